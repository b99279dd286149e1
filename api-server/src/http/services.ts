// What routers are given: the wired services of one app instance.
import type { Kysely } from 'kysely';
import type { AuditWriter } from '../audit/audit.writer';
import type { Caller } from '../auth/caller';
import type { Envelope } from '../crypto/envelope';
import { isGrantId } from '../grants/grant';
import type { HotPath } from '../proxy/hot-path';
import type { Database } from '../store/schema';

export interface Services {
  db: Kysely<Database>;
  envelope: Envelope;
  hotPath: HotPath;
  audit: AuditWriter;
  now: () => Date;
}

/** Audits an administrative change (key or secret lifecycle) made by a caller. */
export async function auditChange(
  services: Services,
  caller: Caller,
  requestId: string,
  action: string,
  target: { grantId?: string; provider?: string },
): Promise<void> {
  await services.audit.write({ tenantId: caller.tenantId, requestId, actor: caller.actor, action, decision: 'allow', outcome: 'ok', ...target });
}

/** Audits a use refused at authentication by a key that names its tenant (a leaked, revoked key being tried, say). */
export async function auditRejectedUse(services: Services, caller: Caller, requestId: string, action: string, body: unknown, outcome: string): Promise<void> {
  const grantId = (body as { grantId?: unknown } | undefined)?.grantId;
  await services.audit.write({
    tenantId: caller.tenantId,
    requestId,
    actor: caller.actor,
    action,
    ...(isGrantId(grantId) ? { grantId } : {}),
    decision: 'deny',
    outcome,
  });
}
