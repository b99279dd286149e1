// Delegations: a connect session started with an agent delegates the resulting grant to that
// agent (connect.service.ts), which may then use it (policies/derived_roles/grant_roles.yaml
// reads the grant's delegatedTo). Revoking one delegation leaves the grant and every other
// agent's delegation as they were.
import type { DelegationInfo, DelegationList } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import { fail, ok, Result } from '../result';
import type { Database } from '../store/schema';
import type { Executor } from '../store/executor';
import { findRevokedDelegation, listDelegationRows, revokeDelegationRow } from './delegation.repository';
import { isGrantId } from './grant';
import { findGrant, lockGrantById } from './grant.repository';

type DelegationRow = Awaited<ReturnType<typeof listDelegationRows>>[number];

function toInfo(row: DelegationRow): DelegationInfo {
  return { id: row.id, grantId: row.grant_id, agentId: row.agent_id, createdAt: row.created_at.toISOString(), revokedAt: row.revoked_at?.toISOString() ?? null };
}

/** The grant, if the caller may see it: of its tenant, and of the end user it acts for (if any). */
function visible(row: { principal_id: string | null } | undefined, onBehalfOf: string | undefined): boolean {
  return row !== undefined && (onBehalfOf === undefined || row.principal_id === onBehalfOf);
}

export async function listDelegations(db: Executor, tenantId: string, grantId: string, onBehalfOf?: string): Promise<Result<DelegationList>> {
  const grant = isGrantId(grantId) ? await findGrant(db, tenantId, grantId) : undefined;
  if (!visible(grant, onBehalfOf)) return fail('grant_not_found', 'no such grant');
  return ok({ delegations: (await listDelegationRows(db, tenantId, grantId)).map(toInfo) });
}

/**
 * Revokes the grant's delegation to one agent. Idempotent: a delegation already revoked answers
 * as it is (`revoked: false`); one that never existed is delegation_not_found.
 */
export async function revokeDelegation(
  db: Kysely<Database>,
  tenantId: string,
  grantId: string,
  agentId: string,
  now: Date,
  onBehalfOf?: string,
): Promise<Result<{ delegation: DelegationInfo; principalId: string | null; provider: string; revoked: boolean }>> {
  return db.transaction().execute(async (trx) => {
    // Under the grant's row lock: a concurrent reconnect with the same agent waits for this.
    const grant = await lockGrantById(trx, tenantId, grantId);
    if (!grant || !visible(grant, onBehalfOf)) return fail('grant_not_found', 'no such grant');
    const revoked = await revokeDelegationRow(trx, tenantId, grantId, agentId, now);
    if (revoked) {
      return ok({ delegation: toInfo(revoked), principalId: grant.principal_id, provider: grant.provider, revoked: true });
    }
    const earlier = await findRevokedDelegation(trx, tenantId, grantId, agentId);
    if (!earlier) return fail('delegation_not_found', `the grant is not delegated to agent ${agentId}`);
    return ok({ delegation: toInfo(earlier), principalId: grant.principal_id, provider: grant.provider, revoked: false });
  });
}
