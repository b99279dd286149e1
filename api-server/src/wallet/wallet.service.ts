// What a signed-in end user sees and does in the wallet: their grants (provider, account,
// scopes, status, created, last used, the agents they are delegated to), the activity on
// them from the audit log, and taking back a grant or one agent's delegation. Every action
// is audited as the principal's own, with origin `wallet`.
import type { AuditInput } from '../audit/audit';
import type { AuditWriter } from '../audit/audit.writer';
import { revokeDelegation } from '../grants/delegation.service';
import type { Catalog } from '../oauth/catalog';
import { listProviders } from '../oauth/provider.repository';
import { type ProviderRevocation, revokeGrant, type RevokeDeps } from '../oauth/revoke';
import type { Executor } from '../store/executor';
import { type ActivityEvent, type ActivityFilter, activityKinds, type WalletGrant, type WalletResult, type WalletSession } from './wallet';
import { actorNames, findPrincipalGrant, lastUse, listPrincipalGrants, liveDelegations, queryActivity } from './wallet.repository';

export interface WalletDeps extends RevokeDeps {
  db: RevokeDeps['db'];
  catalog: Catalog;
  audit: AuditWriter;
  now: () => Date;
}

const MAX_GRANTS = 200;
export const ACTIVITY_PAGE = 25;

export class WalletService {
  constructor(private readonly deps: WalletDeps) {}

  async grants(session: WalletSession): Promise<WalletGrant[]> {
    const { db } = this.deps;
    const rows = await listPrincipalGrants(db, session.tenantId, session.principalId, MAX_GRANTS);
    const names = await this.providerNames(db, session.tenantId);
    const delegations = await liveDelegations(
      db,
      session.tenantId,
      rows.filter((r) => r.status !== 'revoked').map((r) => r.id),
    );
    const lastUsed = await Promise.all(rows.map((r) => lastUse(db, session.tenantId, r.id)));
    return rows.map((r, i) => ({
      id: r.id,
      provider: r.provider,
      providerName: names.get(r.provider) ?? r.provider,
      account: r.account_label ?? r.account_id ?? '',
      scopes: r.scopes ?? [],
      status: r.status,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
      lastUsedAt: lastUsed[i] ?? null,
      agents: delegations.filter((d) => d.grant_id === r.id).map((d) => ({ id: d.agent_id, name: d.agent_name ?? d.agent_id })),
    }));
  }

  /** One of the session's own grants; grant_not_found for anyone else's. */
  async grant(session: WalletSession, grantId: string): Promise<WalletResult<WalletGrant>> {
    const row = await findPrincipalGrant(this.deps.db, session.tenantId, session.principalId, grantId);
    if (!row) return { ok: false, reason: 'grant_not_found', tenantName: session.tenantName };
    const all = await this.grants(session);
    const found = all.find((g) => g.id === grantId);
    return found ? { ok: true, value: found } : { ok: false, reason: 'grant_not_found', tenantName: session.tenantName };
  }

  async activity(session: WalletSession, filter: ActivityFilter, grants: WalletGrant[]): Promise<{ events: ActivityEvent[]; nextBefore: number | null }> {
    const grantIds = grants.map((g) => g.id);
    // A grant filter names one of the user's own grants, or matches nothing.
    const scope = filter.grant !== undefined ? (grantIds.includes(filter.grant) ? [filter.grant] : []) : grantIds;
    const rows = await queryActivity(this.deps.db, session.tenantId, {
      principalId: filter.grant !== undefined ? undefined : session.principalId,
      grantIds: scope,
      actions: filter.kind ? activityKinds[filter.kind].actions : undefined,
      decision: filter.outcome === 'allowed' ? 'allow' : filter.outcome === 'denied' ? 'deny' : undefined,
      from: filter.from ? new Date(`${filter.from}T00:00:00Z`) : undefined,
      to: filter.to ? new Date(new Date(`${filter.to}T00:00:00Z`).getTime() + 86_400_000) : undefined,
      beforeSeq: filter.before,
      limit: ACTIVITY_PAGE + 1,
    });
    const page = rows.slice(0, ACTIVITY_PAGE);
    const names = await actorNames(this.deps.db, session.tenantId, {
      apiKeys: page.filter((r) => r.actor_type === 'api_key' && r.actor_id).map((r) => r.actor_id!),
      agents: page.flatMap((r) => [r.actor_type === 'agent' ? r.actor_id : null, r.agent_id]).filter((id): id is string => !!id),
    });
    const events = page.map((r): ActivityEvent => {
      const context = (r.context ?? {}) as Record<string, unknown>;
      return {
        seq: r.seq,
        occurredAt: new Date(r.occurred_at),
        action: r.action,
        actor: actorLabel(r.actor_type, r.actor_id, r.key_prefix, names, session.principalId),
        grantId: r.grant_id,
        provider: r.provider,
        method: r.method,
        url: r.url,
        allowed: r.decision === 'allow',
        outcome: r.outcome,
        upstreamStatus: r.upstream_status,
        reason: r.reason,
        origin: typeof context.origin === 'string' ? context.origin : null,
        agent: (r.agent_id ? names.get(r.agent_id) : undefined) ?? (typeof context.agent === 'string' ? context.agent : r.agent_id),
      };
    });
    return { events, nextBefore: rows.length > ACTIVITY_PAGE ? page[page.length - 1]!.seq : null };
  }

  /** Revokes one of the user's grants: at the provider where it can be, and its ciphertext deleted. */
  async revokeGrant(session: WalletSession, grantId: string, requestId: string): Promise<WalletResult<{ providerRevocation: ProviderRevocation }>> {
    const own = await findPrincipalGrant(this.deps.db, session.tenantId, session.principalId, grantId);
    if (!own) return { ok: false, reason: 'grant_not_found', tenantName: session.tenantName };
    const revoked = await revokeGrant(this.deps, session.tenantId, grantId, this.deps.now());
    if (!revoked.ok) return { ok: false, reason: 'grant_not_found', tenantName: session.tenantName };
    const { provider, providerRevocation } = revoked.value;
    if (providerRevocation !== 'already_revoked') {
      await this.deps.audit.write({ ...this.auditAs(session, requestId), grantId, provider, action: 'grant.revoke', decision: 'allow', outcome: 'ok', context: { origin: 'wallet', providerRevocation } });
    }
    return { ok: true, value: { providerRevocation } };
  }

  /** Ends one agent's delegation of one of the user's grants; the grant and other delegations stay. */
  async revokeDelegation(session: WalletSession, grantId: string, agentId: string, requestId: string): Promise<WalletResult<{ agentName: string }>> {
    const own = await this.grant(session, grantId);
    if (!own.ok) return own;
    const agent = own.value.agents.find((a) => a.id === agentId);
    if (!agent) return { ok: false, reason: 'delegation_not_found', tenantName: session.tenantName };
    const ended = await revokeDelegation(this.deps.db, session.tenantId, grantId, agentId, this.deps.now(), session.principalId);
    if (!ended.ok || !ended.value.revoked) return { ok: false, reason: 'delegation_not_found', tenantName: session.tenantName };
    await this.deps.audit.write({
      ...this.auditAs(session, requestId),
      grantId,
      provider: own.value.provider,
      agentId,
      action: 'grant.delegation.revoke',
      decision: 'allow',
      outcome: 'ok',
      context: { origin: 'wallet', agent: agent.name },
    });
    return { ok: true, value: { agentName: agent.name } };
  }

  /** A refused wallet request (a forged form post), audited for the user to see. */
  async auditRefused(session: WalletSession, requestId: string, action: string, grantId: string | undefined, outcome: string): Promise<void> {
    await this.deps.audit.write({ ...this.auditAs(session, requestId), ...(grantId ? { grantId } : {}), action, decision: 'deny', outcome, context: { origin: 'wallet' } });
  }

  private auditAs(session: WalletSession, requestId: string): Pick<AuditInput, 'tenantId' | 'requestId' | 'actor' | 'principalId'> {
    return { tenantId: session.tenantId, requestId, actor: { type: 'principal', id: session.principalId }, principalId: session.principalId };
  }

  private async providerNames(db: Executor, tenantId: string): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const p of await listProviders(db, tenantId)) names.set(p.name, (p.template ? this.deps.catalog.oauth(p.template)?.displayName : undefined) ?? p.name);
    return names;
  }
}

function actorLabel(type: string, id: string | null, keyPrefix: string | null, names: Map<string, string>, principalId: string): string {
  if (type === 'principal') return id === principalId ? 'You, in the wallet' : 'The user';
  if (type === 'api_key') return `App “${(id && names.get(id)) ?? keyPrefix ?? 'unknown key'}”`;
  if (type === 'agent') return `Agent “${(id && names.get(id)) ?? id ?? 'unknown'}”`;
  return 'Alter Vault';
}
