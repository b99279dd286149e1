// One controller per kind: an informer feeds object keys to the shared work queue; each
// reconcile follows the fixed order (STYLE): finalizer → inputs → checks → act through the
// vault's admin API → status, written only when it changed. Deleting an object revokes what
// it created in the vault, then removes the finalizer.
import { createHmac, randomBytes } from 'node:crypto';
import { type Vault, VaultError } from '@alter-vault/sdk';
import {
  type CoreV1Api,
  type CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from '@kubernetes/client-node';
import { Reason, type ReadyState, readyCondition, SYNCED, vaultFailure } from './conditions';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { WorkQueue } from './queue';
import type { CustomObject, Reconciler } from './reconcilers/reconciler';

export const FINALIZER = 'vault.alterauth.com/finalizer';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface ControllerDeps {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  vault: Vault;
  cluster: string;
  secrets: ObjectCache<V1Secret>;
  queue: WorkQueue;
  metrics: Metrics;
  logger: Logger;
  /** Keys the hash of what was last registered, so an unchanged object is not re-sent. New per process. */
  hashKey: Buffer;
}

export function newHashKey(): Buffer {
  return randomBytes(32);
}

/** Restarts an informer that stopped on an error (the apiserver went away, a watch expired badly). */
export function keepRunning(informer: Informer<KubernetesObject>, logger: Logger, what: string): void {
  informer.on('error', (err: unknown) => {
    logger.warn({ informer: what, err }, 'watch failed; restarting');
    setTimeout(() => void informer.start().catch(() => undefined), 2_000).unref();
  });
}

export class Controller<T extends CustomObject, P> {
  readonly informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  private readonly kind: string;

  constructor(
    private readonly reconciler: Reconciler<T, P>,
    private readonly deps: ControllerDeps,
  ) {
    const { group, version, plural, kind } = reconciler.resource;
    this.kind = kind;
    this.informer = makeInformer(deps.kc, `/apis/${group}/${version}/${plural}`, () => deps.custom.listClusterCustomObject({ group, version, plural }));
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, (obj) => this.enqueue(obj as unknown as T));
    keepRunning(this.informer, deps.logger, plural);
  }

  owns(key: string): boolean {
    return key.startsWith(`${this.kind}/`);
  }

  enqueue(obj: T): void {
    this.deps.queue.add(`${this.kind}/${obj.metadata.namespace}/${obj.metadata.name}`);
  }

  /** Objects of a namespace that read this Secret: a change of the Secret reconciles them. */
  enqueueReaders(namespace: string, secretName: string): void {
    for (const obj of this.informer.list(namespace) as unknown as T[]) if (this.reconciler.secretsOf(obj).includes(secretName)) this.enqueue(obj);
  }

  enqueueAll(): void {
    for (const obj of this.informer.list() as unknown as T[]) this.enqueue(obj);
  }

  async reconcile(key: string): Promise<'done' | 'retry'> {
    const [, namespace, name] = key.split('/') as [string, string, string];
    const obj = this.informer.get(name, namespace) as unknown as T | undefined;
    if (!obj) return 'done'; // gone, finalizer already removed
    const stop = this.deps.metrics.duration.startTimer({ kind: this.kind });
    const count = (result: string) => this.deps.metrics.reconciles.inc({ kind: this.kind, result });
    try {
      const outcome = await this.reconcileObject(obj, namespace, name);
      count(outcome === 'done' ? 'ok' : 'not_ready');
      return outcome;
    } catch (err) {
      count('error');
      this.deps.logger.error({ kind: this.kind, namespace, name, err: err instanceof Error ? err : new Error(String(err)) }, 'reconcile failed');
      return 'retry';
    } finally {
      stop();
    }
  }

  private async reconcileObject(obj: T, namespace: string, name: string): Promise<'done' | 'retry'> {
    const ref = { namespace, name, cluster: this.deps.cluster };
    const finalizers = obj.metadata.finalizers ?? [];
    // 1. Deletion: revoke in the vault, then let the object go.
    if (obj.metadata.deletionTimestamp) {
      if (!finalizers.includes(FINALIZER)) return 'done';
      await this.reconciler.remove(this.deps.vault, ref);
      await this.patchMetadata(obj, finalizers.filter((f) => f !== FINALIZER));
      this.deps.logger.info({ kind: this.kind, namespace, name }, 'removed from the vault');
      return 'done';
    }
    // 2. Finalizer first, so nothing is created in the vault that a deletion could miss.
    if (!finalizers.includes(FINALIZER)) {
      await this.patchMetadata(obj, [...finalizers, FINALIZER]);
      return 'done'; // the update event reconciles again
    }
    // 3. Inputs and checks.
    const desired = this.reconciler.desired(obj, (secretName) => this.deps.secrets.get(secretName, namespace));
    if (!desired.ok) {
      await this.writeStatus(obj, desired.state, {});
      return 'done'; // a change of the Secret or the spec reconciles again
    }
    // 4. Act, unless the vault already holds exactly this.
    const hash = createHmac('sha256', this.deps.hashKey).update(JSON.stringify([obj.metadata.uid, desired.payload])).digest('hex').slice(0, 32);
    const current = obj.status;
    const ready = current?.conditions?.find((c) => c.type === 'Ready');
    if (current?.syncedHash === hash && ready?.status === 'True' && current.observedGeneration === obj.metadata.generation) return 'done';
    let fields: Record<string, unknown>;
    try {
      fields = await this.reconciler.apply(this.deps.vault, ref, desired.payload);
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      const state = vaultFailure(err);
      await this.writeStatus(obj, state, {});
      return state.reason === Reason.VaultRejected ? 'done' : 'retry';
    }
    // 5. Status.
    await this.writeStatus(obj, SYNCED, { ...fields, syncedHash: hash });
    return 'done';
  }

  private async patchMetadata(obj: T, finalizers: string[]): Promise<void> {
    const { group, version, plural } = this.reconciler.resource;
    const body = { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } };
    await this.deps.custom.patchNamespacedCustomObject({ group, version, plural, namespace: obj.metadata.namespace!, name: obj.metadata.name!, body }, mergePatch);
  }

  /** Writes status only when it changed; an Event marks each transition of Ready. */
  private async writeStatus(obj: T, state: ReadyState, fields: Record<string, unknown>): Promise<void> {
    const generation = obj.metadata.generation ?? 0;
    const previous: NonNullable<CustomObject['status']> & Record<string, unknown> = obj.status ?? {};
    const condition = readyCondition(state, generation, previous.conditions, new Date());
    const status = { ...previous, ...fields, observedGeneration: generation, conditions: [condition, ...(previous.conditions ?? []).filter((c) => c.type !== 'Ready')] };
    if (JSON.stringify(status) === JSON.stringify(previous)) return;
    const { group, version, plural } = this.reconciler.resource;
    await this.deps.custom.patchNamespacedCustomObjectStatus({ group, version, plural, namespace: obj.metadata.namespace!, name: obj.metadata.name!, body: { status } }, mergePatch);
    const before = previous.conditions?.find((c) => c.type === 'Ready');
    if (!before || before.status !== condition.status || before.reason !== condition.reason) await this.event(obj, state);
  }

  private async event(obj: T, state: ReadyState): Promise<void> {
    const now = new Date();
    const namespace = obj.metadata.namespace!;
    await this.deps.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${obj.metadata.name}.`, namespace },
          involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
          type: state.ready ? 'Normal' : 'Warning',
          reason: state.reason,
          message: state.message,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: 'alter-vault-operator' },
        },
      })
      .catch((err: unknown) => this.deps.logger.warn({ err: err instanceof Error ? err : new Error(String(err)) }, 'could not record an event'));
  }
}
