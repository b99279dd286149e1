import type { GrantInfo, GrantPage, Injection, ListGrantsQuery } from '@alter-vault/sdk';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import { type Grant, isGrantId, type SealedCredential } from './grant';
import { findGrant, listGrantRows } from './grant.repository';

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
    accessExpiresAt: row.access_expires_at,
    principalId: row.principal_id,
    delegatedTo: row.delegated_to ?? [],
    missingScopes: row.missing_scopes,
  };
}

/**
 * Loads a grant for use. Missing and foreign grants answer the same grant_not_found, so
 * grant ids cannot be probed across tenants; with `principalId` (a caller acting for an end
 * user), so does another principal's grant.
 */
export async function loadGrantForUse(db: Executor, tenantId: string, grantId: string, principalId?: string): Promise<Result<{ grant: Grant; sealed: SealedCredential | null }>> {
  const row = isGrantId(grantId) ? await findGrant(db, tenantId, grantId) : undefined;
  if (!row || (principalId !== undefined && row.principal_id !== principalId)) return fail('grant_not_found', 'no such grant');
  const grant = toGrant(row);
  if (grant.status === 'revoked') return fail('grant_revoked', 'the grant was revoked');
  if (grant.status === 'needs_reauth') return fail('reauth_required', 'the provider no longer accepts this grant; the user must reconnect');
  if (grant.missingScopes && grant.missingScopes.length > 0) return fail('consent_required', `the provider now requires scopes this grant lacks: ${grant.missingScopes.join(' ')}; the user must reconnect`);
  const sealed = row.ciphertext && row.dek_id ? { tenantId, grantId, dekId: row.dek_id, ciphertext: Buffer.from(row.ciphertext) } : null;
  return ok({ grant, sealed });
}

function toInfo(row: GrantRow): GrantInfo {
  return {
    id: row.id,
    kind: row.kind,
    provider: row.provider,
    status: row.status,
    principalId: row.principal_id,
    delegatedTo: row.delegated_to ?? [],
    accountId: row.account_id,
    accountLabel: row.account_label,
    scopes: row.scopes,
    missingScopes: row.missing_scopes,
    allowedHosts: row.allowed_hosts,
    accessTokenExpiresAt: row.access_expires_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

export async function getGrantInfo(db: Executor, tenantId: string, grantId: string): Promise<GrantInfo | undefined> {
  const row = await findGrant(db, tenantId, grantId);
  return row && toInfo(row);
}

export async function listGrantInfos(db: Executor, tenantId: string, query: ListGrantsQuery): Promise<Result<GrantPage>> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  if (query.cursor && !after) return fail('invalid_request', 'cursor is not one this server issued');
  const limit = query.limit ?? 100;
  const rows = await listGrantRows(db, tenantId, { principal: query.principal, provider: query.provider, status: query.status, kind: query.kind, after }, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return ok({ grants: page.map(toInfo), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null });
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  return isGrantId(id) && !Number.isNaN(createdAt.getTime()) ? { createdAt, id } : undefined;
}
