import type { Executor } from '../store/executor';
import type { NewGrantRow } from '../store/schema';

const columns = ['id', 'tenant_id', 'kind', 'provider', 'status', 'injection', 'allowed_hosts', 'dek_id', 'ciphertext', 'created_at', 'updated_at'] as const;

export async function insertGrant(db: Executor, row: NewGrantRow) {
  await db.insertInto('grants').values(row).execute();
}

/** One indexed read; the tenant is part of the key, so another tenant's grant is simply absent. */
export async function findGrant(db: Executor, tenantId: string, id: string) {
  return db.selectFrom('grants').select(columns).where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
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
