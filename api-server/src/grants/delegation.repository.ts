// SQL of delegations: a grant an agent may use, until revoked.
import { randomUUID } from 'node:crypto';
import { type ExpressionBuilder, sql } from 'kysely';
import type { Executor } from '../store/executor';
import type { Database } from '../store/schema';

const columns = ['id', 'tenant_id', 'grant_id', 'agent_id', 'created_at', 'revoked_at'] as const;

/** A select of grants' column `delegated_to`: the agents of the grant's live delegations, sorted (a JSON array). */
export function delegatedTo(eb: ExpressionBuilder<Database, 'grants'>) {
  return eb
    .selectFrom('delegations')
    .select(sql<string[]>`coalesce(jsonb_agg(delegations.agent_id order by delegations.agent_id), '[]'::jsonb)`.as('agents'))
    .whereRef('delegations.grant_id', '=', 'grants.id')
    .where('delegations.revoked_at', 'is', null)
    .as('delegated_to');
}

/** Idempotent: a live delegation of the grant to the agent exists afterwards. */
export async function insertDelegation(db: Executor, d: { tenantId: string; grantId: string; agentId: string; at: Date }) {
  await db
    .insertInto('delegations')
    .values({ id: randomUUID(), tenant_id: d.tenantId, grant_id: d.grantId, agent_id: d.agentId, created_at: d.at })
    .onConflict((oc) => oc.columns(['grant_id', 'agent_id']).where('revoked_at', 'is', null).doNothing())
    .execute();
}

/** Live and revoked, newest first. */
export async function listDelegationRows(db: Executor, tenantId: string, grantId: string) {
  return db.selectFrom('delegations').select(columns).where('tenant_id', '=', tenantId).where('grant_id', '=', grantId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

/** Revokes the grant's live delegation to the agent; undefined when there is none. */
export async function revokeDelegationRow(db: Executor, tenantId: string, grantId: string, agentId: string, at: Date) {
  return db
    .updateTable('delegations')
    .set({ revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('grant_id', '=', grantId)
    .where('agent_id', '=', agentId)
    .where('revoked_at', 'is', null)
    .returning(columns)
    .executeTakeFirst();
}

/** The grant's most recently revoked delegation to the agent (a repeated revoke answers it). */
export async function findRevokedDelegation(db: Executor, tenantId: string, grantId: string, agentId: string) {
  return db
    .selectFrom('delegations')
    .select(columns)
    .where('tenant_id', '=', tenantId)
    .where('grant_id', '=', grantId)
    .where('agent_id', '=', agentId)
    .where('revoked_at', 'is not', null)
    .orderBy('revoked_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}
