// What routers are given: the wired services of one app instance.
import type { Kysely } from 'kysely';
import type { AuditWriter } from '../audit/audit.writer';
import type { Caller } from '../auth/caller';
import type { ServiceAccountVerifier } from '../auth/service-account';
import type { UserTokenVerifier } from '../auth/user-token';
import type { Envelope } from '../crypto/envelope';
import { isGrantId } from '../grants/grant';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Catalog } from '../oauth/catalog';
import type { ConnectService } from '../oauth/connect.service';
import type { GrantRefresher } from '../oauth/refresh';
import type { PolicyRules } from '../policy/rule.service';
import type { BrandingService } from '../tenants/branding.service';
import type { WalletAuth } from '../wallet/wallet-auth.service';
import type { WalletService } from '../wallet/wallet.service';
import type { HotPath } from '../proxy/hot-path';
import type { Database } from '../store/schema';

export interface Services {
  db: Kysely<Database>;
  envelope: Envelope;
  hotPath: HotPath;
  /** The operator's rules: changed through /v1/policies/rules, read by the hot path. */
  rules: PolicyRules;
  audit: AuditWriter;
  catalog: Catalog;
  connect: ConnectService;
  refresher: GrantRefresher;
  /** Absent when no cluster is trusted. */
  serviceAccounts: ServiceAccountVerifier | undefined;
  /** End users' tokens (X-Alter-User-Token) of the tenants' identity providers. */
  userTokens: UserTokenVerifier;
  /** The tenants' look on their end-user pages (connect, wallet). */
  branding: BrandingService;
  /** The end users' wallet: sign-in through the tenant's identity provider, and what they see and do there. */
  walletAuth: WalletAuth;
  wallet: WalletService;
  metrics: Metrics;
  logger: Logger;
  providerTimeoutMs: number;
  now: () => Date;
}

/** Audits an administrative change (key or secret lifecycle) made by a caller. */
export async function auditChange(
  services: Services,
  caller: Caller,
  requestId: string,
  action: string,
  target: { grantId?: string; provider?: string; principalId?: string; context?: Record<string, unknown> },
): Promise<void> {
  // A caller acting for an end user names that user (unless the target names its own principal).
  const principal = caller.principal ? { principalId: caller.principal.externalId } : {};
  await services.audit.write({ tenantId: caller.tenantId, requestId, actor: caller.actor, action, decision: 'allow', outcome: 'ok', ...principal, ...target });
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
