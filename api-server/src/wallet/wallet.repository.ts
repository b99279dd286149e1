// SQL of the wallet's reads: one principal's grants, their delegations and last use, and the
// audit events that concern them.
import type { Executor } from '../store/executor';

const grantColumns = ['id', 'provider', 'status', 'account_id', 'account_label', 'scopes', 'created_at', 'revoked_at'] as const;

/** The principal's OAuth grants in the tenant, live ones first, newest first. */
export async function listPrincipalGrants(db: Executor, tenantId: string, principalId: string, limit: number) {
  return db
    .selectFrom('grants')
    .select(grantColumns)
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', principalId)
    .where('kind', '=', 'oauth')
    .orderBy((eb) => eb.case().when('status', '=', 'revoked').then(1).else(0).end())
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** One of the principal's OAuth grants; absent when it is someone else's (or not there). */
export async function findPrincipalGrant(db: Executor, tenantId: string, principalId: string, grantId: string) {
  return db
    .selectFrom('grants')
    .select(grantColumns)
    .where('id', '=', grantId)
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', principalId)
    .where('kind', '=', 'oauth')
    .executeTakeFirst();
}

/** Live delegations of these grants, with the agent's name where the agent still exists. */
export async function liveDelegations(db: Executor, tenantId: string, grantIds: string[]) {
  if (grantIds.length === 0) return [];
  return db
    .selectFrom('delegations as d')
    .leftJoin('agents as a', (join) => join.on((eb) => eb.and([eb('a.tenant_id', '=', eb.ref('d.tenant_id')), eb(eb.cast('a.id', 'text'), '=', eb.ref('d.agent_id'))])))
    .select(['d.grant_id', 'd.agent_id', 'a.name as agent_name'])
    .where('d.tenant_id', '=', tenantId)
    .where('d.grant_id', 'in', grantIds)
    .where('d.revoked_at', 'is', null)
    .orderBy('d.created_at')
    .execute();
}

/** When the grant was last used successfully (an allowed proxy call or token retrieval), from the audit log. */
export async function lastUse(db: Executor, tenantId: string, grantId: string): Promise<Date | null> {
  const row = await db
    .selectFrom('audit_events')
    .select('occurred_at')
    .where('tenant_id', '=', tenantId)
    .where('grant_id', '=', grantId)
    .where('action', 'in', ['proxy', 'retrieve_token'])
    .where('decision', '=', 'allow')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.occurred_at ?? null;
}

export interface ActivityQuery {
  /** Events naming this principal (absent: only events on grantIds). */
  principalId?: string | undefined;
  /** The principal's grants: events on them are the principal's, whoever caused them. */
  grantIds: string[];
  actions?: readonly string[] | undefined;
  decision?: 'allow' | 'deny' | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

/** Newest first: events naming the principal, or on one of its grants. */
export async function queryActivity(db: Executor, tenantId: string, q: ActivityQuery) {
  if (q.principalId === undefined && q.grantIds.length === 0) return [];
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([...(q.principalId !== undefined ? [eb('principal_id', '=', q.principalId)] : []), ...(q.grantIds.length > 0 ? [eb('grant_id', 'in', q.grantIds)] : [])]));
  if (q.actions) query = query.where('action', 'in', [...q.actions]);
  if (q.decision) query = query.where('decision', '=', q.decision);
  if (q.from) query = query.where('occurred_at', '>=', q.from);
  if (q.to) query = query.where('occurred_at', '<', q.to);
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  return query.orderBy('seq', 'desc').limit(q.limit).execute();
}

/** Display names of API keys and agents of the tenant, by id. */
export async function actorNames(db: Executor, tenantId: string, ids: { apiKeys: string[]; agents: string[] }): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const keys = ids.apiKeys.filter((id) => uuid.test(id));
  const agents = ids.agents.filter((id) => uuid.test(id));
  if (keys.length > 0) for (const r of await db.selectFrom('api_keys').select(['id', 'name']).where('tenant_id', '=', tenantId).where('id', 'in', keys).execute()) names.set(r.id, r.name);
  if (agents.length > 0) for (const r of await db.selectFrom('agents').select(['id', 'name']).where('tenant_id', '=', tenantId).where('id', 'in', agents).execute()) names.set(r.id, r.name);
  return names;
}
