// Agents: workload identities bound to a Kubernetes service account in their namespace's
// tenant, upserted from `Agent` resources (keyed by name; the resource UID tells a
// recreated resource apart) and looked up when a service-account token authenticates.
import { randomUUID } from 'node:crypto';
import { type AgentInfo, type CreatePolicyRuleRequest, createPolicyRuleRequest, type PolicyRuleSpec, type PutAgentBody } from '@alter-vault/sdk';
import type { Selectable } from 'kysely';
import type { AgentIdentity } from '../auth/caller';
import { createRule, normalise } from '../policy/rule.service';
import { fail, ok, type Result } from '../result';
import type { Executor } from '../store/executor';
import type { AgentTable } from '../store/schema';

type AgentSpec = Pick<PutAgentBody, 'providers' | 'grants' | 'tokenMode'>;
type AgentRow = Selectable<AgentTable>;

function toInfo(row: AgentRow, namespace: string): AgentInfo {
  const spec = row.spec as AgentSpec;
  return {
    id: row.id,
    namespace,
    name: row.name,
    serviceAccountName: row.service_account,
    providers: spec.providers,
    grants: spec.grants,
    tokenMode: spec.tokenMode,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Who made the rules a reconcile sets (rules made through /v1/policies/rules name their key). */
const RECONCILED = 'Agent resource';

/**
 * Idempotent: the same resource reconciled twice leaves one agent; a recreated one (new UID)
 * gets a new id. The resource's policy parameters replace the rules the last reconcile set.
 */
export async function putAgent(db: Executor, tenantId: string, namespace: string, name: string, body: PutAgentBody, now: Date): Promise<Result<{ info: AgentInfo; created: boolean }>> {
  const rules: CreatePolicyRuleRequest[] = [];
  for (const [i, rule] of body.rules.entries()) {
    const parsed = createPolicyRuleRequest.safeParse({ ...rule, target: { type: 'tenant' } });
    if (!parsed.success) return fail('invalid_request', `rules[${i}] is not a valid ${rule.type} rule: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
    // Every check before the first write, so a refused rule leaves the agent as it was.
    const normalised = normalise(parsed.data as PolicyRuleSpec);
    if (!normalised.ok) return fail('invalid_request', `rules[${i}]: ${normalised.error.message}`);
    rules.push(parsed.data);
  }
  const spec: AgentSpec = { providers: body.providers, grants: body.grants, tokenMode: body.tokenMode };
  const existing = await db.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).forUpdate().executeTakeFirst();
  const fields = { service_account: body.serviceAccountName, resource_uid: body.uid, spec: JSON.stringify(spec), updated_at: now };
  if (existing && existing.resource_uid === body.uid) {
    await db.updateTable('agents').set(fields).where('id', '=', existing.id).execute();
  } else {
    if (existing) await db.deleteFrom('agents').where('id', '=', existing.id).execute();
    await db.insertInto('agents').values({ id: randomUUID(), tenant_id: tenantId, name, created_at: now, ...fields }).execute();
  }
  const row = await db.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirstOrThrow();
  if (existing) await db.deleteFrom('policy_rules').where('tenant_id', '=', tenantId).where('target_type', '=', 'agent').where('target_id', '=', existing.id).where('created_by', '=', RECONCILED).execute();
  for (const rule of rules) {
    const created = await createRule(db, tenantId, { ...rule, target: { type: 'agent', id: row.id } }, RECONCILED, now);
    // Checked above; an agent target needs no lookup. A throw rolls the caller's transaction back.
    if (!created.ok) throw new TypeError(`a checked rule was refused: ${created.error.message}`);
  }
  return ok({ info: toInfo(row, namespace), created: !existing || existing.resource_uid !== body.uid });
}

/** Deletes the agent and every rule that targets it. */
export async function deleteAgent(db: Executor, tenantId: string, name: string): Promise<boolean> {
  const deleted = await db.deleteFrom('agents').where('tenant_id', '=', tenantId).where('name', '=', name).returning('id').executeTakeFirst();
  if (!deleted) return false;
  await db.deleteFrom('policy_rules').where('tenant_id', '=', tenantId).where('target_type', '=', 'agent').where('target_id', '=', deleted.id).execute();
  return true;
}

type AgentCaller = { identity: AgentIdentity; tokenMode: boolean };

function toCaller(row: AgentRow): AgentCaller {
  const spec = row.spec as AgentSpec;
  return { identity: { id: row.id, name: row.name, providers: spec.providers, grants: spec.grants }, tokenMode: spec.tokenMode === 'allowed' };
}

/** The agent a service account is bound to, as the caller's identity and token-mode permission. */
export async function agentForServiceAccount(db: Executor, tenantId: string, serviceAccount: string): Promise<AgentCaller | undefined> {
  const row = await db.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('service_account', '=', serviceAccount).executeTakeFirst();
  return row && toCaller(row);
}

/** The agent an API key belongs to. */
export async function agentById(db: Executor, tenantId: string, id: string): Promise<AgentCaller | undefined> {
  const row = await findAgentById(db, tenantId, id);
  return row && toCaller(row);
}

export async function findAgentById(db: Executor, tenantId: string, id: string) {
  return db.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}
