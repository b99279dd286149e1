// Agents: workload identities bound to a Kubernetes service account in their namespace's
// tenant, upserted from `Agent` resources (keyed by name; the resource UID tells a
// recreated resource apart) and looked up when a service-account token authenticates.
import { randomUUID } from 'node:crypto';
import type { AgentInfo, PutAgentBody } from '@alter-vault/sdk';
import type { Selectable } from 'kysely';
import type { AgentIdentity } from '../auth/caller';
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

/** Idempotent: the same resource reconciled twice leaves one agent; a recreated one (new UID) gets a new id. */
export async function putAgent(db: Executor, tenantId: string, namespace: string, name: string, body: PutAgentBody, now: Date): Promise<{ info: AgentInfo; created: boolean }> {
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
  return { info: toInfo(row, namespace), created: !existing || existing.resource_uid !== body.uid };
}

export async function deleteAgent(db: Executor, tenantId: string, name: string): Promise<boolean> {
  const deleted = await db.deleteFrom('agents').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

/** The agent a service account is bound to, as the caller's identity and token-mode permission. */
export async function agentForServiceAccount(db: Executor, tenantId: string, serviceAccount: string): Promise<{ identity: AgentIdentity; tokenMode: boolean } | undefined> {
  const row = await db.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('service_account', '=', serviceAccount).executeTakeFirst();
  if (!row) return undefined;
  const spec = row.spec as AgentSpec;
  return { identity: { id: row.id, name: row.name, providers: spec.providers, grants: spec.grants }, tokenMode: spec.tokenMode === 'allowed' };
}
