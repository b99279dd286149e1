// Refresh of OAuth access tokens, on demand (a use that finds the token expired or inside the
// margin) and in the background. Single flight per grant: in this process one promise per
// grant, across replicas the grant's row lock; whoever gets the lock second re-checks and
// finds the token fresh. The provider is called while the row is locked, and the new tokens
// (a rotated refresh token included) are written in that same transaction.
import type { AuditInput } from '../audit/audit';
import type { AuditWriter } from '../audit/audit.writer';
import type { Envelope } from '../crypto/envelope';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import type { Database, GrantRow } from '../store/schema';
import type { Kysely } from 'kysely';
import type { Catalog } from './catalog';
import { isInvalidGrant, OAuthClient, providerErrorCode } from './oidc-client';
import { openProvider } from './provider.service';
import { expiryOf, openTokens, sealTokens } from './tokens';

export interface RefreshSettings {
  /** Refresh when the access token expires within this many ms. */
  marginMs: number;
  /** Background pass period; 0 turns the background refresher off. */
  intervalMs: number;
  /** Grants refreshed at once by one background pass (each in its own transaction). */
  concurrency: number;
  /** Cool-down after a transient failure: base × 2^(failures-1), capped. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface RefreshDeps {
  db: Kysely<Database>;
  envelope: Envelope;
  catalog: Catalog;
  audit: AuditWriter;
  metrics: Pick<Metrics, 'providerTokenRequests' | 'refreshes'>;
  logger: Logger;
  providerTimeoutMs: number;
  settings: RefreshSettings;
  now: () => Date;
}

type Trigger = 'use' | 'background';
type Outcome = { result: Result<void>; event?: Omit<AuditInput, 'tenantId'> & { tenantId: string } };

const grantColumns = [
  'id',
  'tenant_id',
  'provider',
  'status',
  'dek_id',
  'ciphertext',
  'access_expires_at',
  'refresh_failures',
  'refresh_retry_at',
  'principal_id',
] as const;
/** What every audit row of a grant's refresh carries. */
type AuditBase = Pick<AuditInput, 'tenantId' | 'actor' | 'grantId' | 'provider' | 'principalId'>;
type LockedGrant = Pick<GrantRow, (typeof grantColumns)[number]>;

export class GrantRefresher {
  private readonly inflight = new Map<string, Promise<Result<void>>>();
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly deps: RefreshDeps) {}

  /** The token expires within the margin (or already has). A token without expiry is never due. */
  isDue(expiresAt: Date | null, now = this.deps.now()): boolean {
    return expiresAt !== null && expiresAt.getTime() - now.getTime() <= this.deps.settings.marginMs;
  }

  /** On demand, before a use: ok when the stored token may be used (refreshed if it had to be). */
  ensureFresh(tenantId: string, grantId: string): Promise<Result<void>> {
    let pending = this.inflight.get(grantId);
    if (!pending) {
      pending = this.refreshUnderLock(tenantId, grantId).finally(() => this.inflight.delete(grantId));
      this.inflight.set(grantId, pending);
    }
    return pending;
  }

  private async refreshUnderLock(tenantId: string, grantId: string): Promise<Result<void>> {
    const outcome = await this.deps.db.transaction().execute(async (trx): Promise<Outcome> => {
      const row = await trx.selectFrom('grants').select(grantColumns).where('id', '=', grantId).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
      if (!row) return { result: fail('grant_not_found', 'no such grant') };
      return this.refreshLocked(trx, row, 'use');
    });
    // Audited after the commit: the audit writer needs a connection of its own.
    if (outcome.event) await this.deps.audit.write(outcome.event);
    return outcome.result;
  }

  /** One background pass: every due grant, `concurrency` at a time. */
  async refreshDue(): Promise<{ refreshed: number; failed: number }> {
    const counts = { refreshed: 0, failed: 0 };
    const worker = async () => {
      while (!this.stopped) {
        const now = this.deps.now();
        const outcome = await this.deps.db.transaction().execute(async (trx): Promise<Outcome | null> => {
          // SKIP LOCKED: grants another replica (or a use) is refreshing are left to it.
          const row = await trx
            .selectFrom('grants')
            .select(grantColumns)
            .where('kind', '=', 'oauth')
            .where('status', '=', 'active')
            .where('access_expires_at', '<=', new Date(now.getTime() + this.deps.settings.marginMs))
            .where((eb) => eb.or([eb('refresh_retry_at', 'is', null), eb('refresh_retry_at', '<=', now)]))
            .orderBy('access_expires_at')
            .limit(1)
            .forUpdate()
            .skipLocked()
            .executeTakeFirst();
          return row ? this.refreshLocked(trx, row, 'background') : null;
        });
        if (!outcome) return;
        if (outcome.event) await this.deps.audit.write(outcome.event);
        if (outcome.result.ok) counts.refreshed++;
        else counts.failed++;
      }
    };
    await Promise.all(Array.from({ length: this.deps.settings.concurrency }, worker));
    return counts;
  }

  /** Starts the background passes, each period jittered by ±20% so replicas spread out. */
  start(): void {
    if (this.deps.settings.intervalMs <= 0) return;
    const schedule = () => {
      if (this.stopped) return;
      const delay = this.deps.settings.intervalMs * (0.8 + Math.random() * 0.4);
      this.timer = setTimeout(() => {
        this.pass = this.refreshDue()
          .catch((err: unknown) => this.deps.logger.error({ err }, 'background refresh pass failed'))
          .finally(schedule);
      }, delay);
      this.timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
    await Promise.allSettled([...this.inflight.values()]);
  }

  private async refreshLocked(trx: Executor, row: LockedGrant, trigger: Trigger): Promise<Outcome> {
    const now = this.deps.now();
    const expired = row.access_expires_at !== null && row.access_expires_at.getTime() <= now.getTime();
    const base: AuditBase = { tenantId: row.tenant_id, actor: { type: 'system' }, grantId: row.id, provider: row.provider, ...(row.principal_id ? { principalId: row.principal_id } : {}) };
    const count = (outcome: string) => this.deps.metrics.refreshes.inc({ trigger, outcome });
    if (row.status === 'revoked') return { result: fail('grant_revoked', 'the grant was revoked') };
    if (row.status === 'needs_reauth') return { result: fail('reauth_required', 'the user must reconnect this grant') };
    // Another caller refreshed it while we waited for the lock.
    if (!this.isDue(row.access_expires_at, now)) return { result: ok(undefined) };
    const usable = expired ? fail('provider_unavailable', 'the provider could not refresh the token; retry later') : ok(undefined);
    if (row.refresh_retry_at && row.refresh_retry_at > now) return { result: usable };
    if (!row.ciphertext || !row.dek_id) return { result: fail('grant_revoked', 'the grant holds no credential') };

    const tokens = await openTokens(this.deps.envelope, trx, { tenantId: row.tenant_id, grantId: row.id, dekId: row.dek_id, ciphertext: row.ciphertext });
    const needsReauth = async (reason: string): Promise<Outcome> => {
      await trx.updateTable('grants').set({ status: 'needs_reauth', refresh_failures: row.refresh_failures + 1, updated_at: now }).where('id', '=', row.id).execute();
      count('needs_reauth');
      return {
        result: fail('reauth_required', 'the provider no longer accepts this grant; the user must reconnect'),
        event: { ...base, action: 'grant.needs_reauth', decision: 'deny', outcome: 'reauth_required', reason },
      };
    };
    if (!tokens.refreshToken) {
      if (expired) return needsReauth('the access token expired and the provider issued no refresh token');
      // Nothing to do until it expires; the background pass looks again then.
      await trx.updateTable('grants').set({ refresh_retry_at: row.access_expires_at }).where('id', '=', row.id).execute();
      return { result: ok(undefined) };
    }
    const opened = await openProvider(this.deps, trx, row.tenant_id, row.provider);
    if (!opened.ok) return this.deferred(trx, row, base, now, usable, count, opened.error.code);
    const client = new OAuthClient(opened.value.provider, opened.value.clientSecret, { timeoutMs: this.deps.providerTimeoutMs, metrics: this.deps.metrics });
    let set;
    try {
      set = await client.refresh(tokens.refreshToken);
    } catch (err) {
      // We hold the row lock and read the refresh token under it: invalid_grant is about the current token.
      if (isInvalidGrant(err)) return needsReauth('the provider answered invalid_grant to the refresh');
      this.deps.logger.warn({ grantId: row.id, provider: row.provider, error: providerErrorCode(err) ?? (err as Error).name }, 'token refresh failed');
      return this.deferred(trx, row, base, now, usable, count, providerErrorCode(err) ?? 'provider_unreachable');
    }
    // A response without a refresh token keeps the one we have.
    const sealed = await sealTokens(this.deps.envelope, trx, row.tenant_id, row.id, { accessToken: set.accessToken, refreshToken: set.refreshToken ?? tokens.refreshToken });
    await trx
      .updateTable('grants')
      .set({
        dek_id: sealed.dekId,
        ciphertext: sealed.ciphertext,
        access_expires_at: expiryOf(set.expiresIn, opened.value.provider.accessTokenLifetimeSeconds, now),
        refreshed_at: now,
        refresh_failures: 0,
        refresh_retry_at: null,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
    count('ok');
    return {
      result: ok(undefined),
      event: { ...base, action: 'grant.refresh', decision: 'allow', outcome: 'ok', context: { trigger, rotated: set.refreshToken !== undefined && set.refreshToken !== tokens.refreshToken } },
    };
  }

  /** A transient failure: cool down with capped exponential backoff (jittered) before the next try. */
  private async deferred(trx: Executor, row: LockedGrant, base: AuditBase, now: Date, usable: Result<void>, count: (o: string) => void, reason: string): Promise<Outcome> {
    const failures = row.refresh_failures + 1;
    const { backoffBaseMs, backoffMaxMs } = this.deps.settings;
    const delay = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (failures - 1)) * (0.5 + Math.random() * 0.5);
    await trx
      .updateTable('grants')
      .set({ refresh_failures: failures, refresh_retry_at: new Date(now.getTime() + delay) })
      .where('id', '=', row.id)
      .execute();
    count('failed');
    return {
      result: usable,
      event: { ...base, action: 'grant.refresh', decision: 'allow', outcome: 'provider_unavailable', reason },
    };
  }
}
