import type { Injection } from '@alter-vault/sdk';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import { type Grant, isGrantId, type SealedCredential } from './grant';
import { findGrant } from './grant.repository';

type GrantRow = NonNullable<Awaited<ReturnType<typeof findGrant>>>;

function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    provider: row.provider,
    status: row.status,
    injection: row.injection as unknown as Injection,
    allowedHosts: row.allowed_hosts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Loads a grant for use. Missing and foreign grants answer the same grant_not_found, so
 * grant ids cannot be probed across tenants.
 */
export async function loadGrantForUse(db: Executor, tenantId: string, grantId: string): Promise<Result<{ grant: Grant; sealed: SealedCredential | null }>> {
  const row = isGrantId(grantId) ? await findGrant(db, tenantId, grantId) : undefined;
  if (!row) return fail('grant_not_found', 'no such grant');
  const grant = toGrant(row);
  if (grant.status === 'revoked') return fail('grant_revoked', 'the grant was revoked');
  const sealed = row.ciphertext && row.dek_id ? { tenantId, grantId, dekId: row.dek_id, ciphertext: Buffer.from(row.ciphertext) } : null;
  return ok({ grant, sealed });
}
