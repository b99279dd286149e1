import type { Executor } from '../store/executor';
import type { NewGrantRow } from '../store/schema';
import { delegatedTo } from './delegation.repository';

const columns = [
  'id',
  'tenant_id',
  'kind',
  'provider',
  'status',
  'injection',
  'allowed_hosts',
  'dek_id',
  'ciphertext',
  'created_at',
  'updated_at',
  'revoked_at',
  'principal_id',
  'account_id',
  'account_label',
  'scopes',
  'missing_scopes',
  'access_expires_at',
] as const;

export async function insertGrant(db: Executor, row: NewGrantRow) {
  await db.insertInto('grants').values(row).execute();
}

/** One indexed read (with the agents it is delegated to); the tenant is part of the key, so another tenant's grant is simply absent. */
export async function findGrant(db: Executor, tenantId: string, id: string) {
  return db.selectFrom('grants').select(columns).select(delegatedTo).where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
}

export async function lockGrantById(db: Executor, tenantId: string, id: string) {
  return db.selectFrom('grants').select(columns).where('id', '=', id).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
}

export async function updateGrantCiphertext(db: Executor, id: string, sealed: { dekId: string; ciphertext: Buffer }, at: Date) {
  await db.updateTable('grants').set({ dek_id: sealed.dekId, ciphertext: sealed.ciphertext, updated_at: at }).where('id', '=', id).execute();
}

/** Marks the grant revoked and deletes its ciphertext in the same statement. */
export async function revokeGrantRow(db: Executor, id: string, at: Date) {
  await db.updateTable('grants').set({ status: 'revoked', dek_id: null, ciphertext: null, revoked_at: at, updated_at: at }).where('id', '=', id).execute();
}

export interface GrantFilter {
  principal?: string | undefined;
  provider?: string | undefined;
  status?: 'active' | 'needs_reauth' | 'revoked' | undefined;
  kind?: 'oauth' | 'secret' | undefined;
  /** Keyset position: rows created before this (created_at, id). */
  after?: { createdAt: Date; id: string } | undefined;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listGrantRows(db: Executor, tenantId: string, filter: GrantFilter, limit: number) {
  let q = db.selectFrom('grants').select(columns).select(delegatedTo).where('tenant_id', '=', tenantId);
  if (filter.principal !== undefined) q = q.where('principal_id', '=', filter.principal);
  if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
  const after = filter.after;
  if (after) q = q.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
