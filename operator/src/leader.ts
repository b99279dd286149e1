// Leader election on a coordination.k8s.io Lease, so two replicas never both act. The
// leader renews every third of the lease; another replica takes over only once the lease has
// expired, and every write is conditional on the Lease's resourceVersion, so two replicas
// racing for it cannot both win.
import { CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from './logger';

export interface LeaderOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseSeconds: number;
  logger: Logger;
}

const isStatus = (err: unknown, code: number) => (err as { code?: number })?.code === code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LeaderElector {
  private renewing: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: LeaderOptions) {}

  /** Resolves once this replica holds the lease; then renews it, calling onLost if it cannot. */
  async acquire(onLost: () => void): Promise<void> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) {
        this.o.logger.info({ lease: this.o.name, identity: this.o.identity }, 'leading');
        this.renewLoop(onLost);
        return;
      }
      await sleep((this.o.leaseSeconds * 1000) / 3);
    }
  }

  /** Gives the lease up (on a clean shutdown) so another replica takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.renewing);
    try {
      const lease = await this.o.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      lease.spec.holderIdentity = undefined;
      lease.spec.renewTime = undefined;
      await this.o.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
    } catch {
      // It expires by itself.
    }
  }

  private renewLoop(onLost: () => void): void {
    let lastRenew = Date.now();
    const tick = async () => {
      if (this.stopped) return;
      const renewed = await this.tryAcquireOrRenew().catch(() => false);
      if (renewed) lastRenew = Date.now();
      else if (Date.now() - lastRenew >= this.o.leaseSeconds * 1000) {
        this.o.logger.error({ lease: this.o.name }, 'lost the lease');
        this.stopped = true;
        return onLost();
      }
      this.renewing = setTimeout(tick, (this.o.leaseSeconds * 1000) / 3);
    };
    this.renewing = setTimeout(tick, (this.o.leaseSeconds * 1000) / 3);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, leaseSeconds } = this.o;
    // Lease times are MicroTime: six fractional digits, which a plain Date does not serialise.
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      try {
        await api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } } });
        return true;
      } catch (e) {
        if (isStatus(e, 409)) return false; // another replica created it first
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const expires = (spec.renewTime ? new Date(spec.renewTime).getTime() : 0) + (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    if (holder && holder !== identity && expires > now.getTime()) return false;
    const takingOver = holder !== identity;
    lease.spec = {
      ...spec,
      ...(spec.acquireTime ? { acquireTime: new V1MicroTime(spec.acquireTime) } : {}),
      holderIdentity: identity,
      leaseDurationSeconds: leaseSeconds,
      renewTime: now,
      ...(takingOver ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false; // someone wrote it since we read it
      throw err;
    }
  }
}
