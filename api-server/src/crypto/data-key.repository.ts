// SQL for data_keys (wrapped per-tenant DEKs). Transactions belong to the caller (STYLE 20).
import type { Executor } from '../store/executor';

const columns = ['id', 'tenant_id', 'kek_id', 'wrapped', 'created_at', 'rewrapped_at'] as const;

export async function insertDataKey(db: Executor, row: { id: string; tenantId: string; kekId: string; wrapped: Buffer }) {
  await db.insertInto('data_keys').values({ id: row.id, tenant_id: row.tenantId, kek_id: row.kekId, wrapped: row.wrapped }).execute();
}

export async function findDataKey(db: Executor, id: string) {
  return db.selectFrom('data_keys').select(columns).where('id', '=', id).executeTakeFirst();
}

/** The tenant's newest data key, which encrypts new ciphertexts. */
export async function findLatestDataKey(db: Executor, tenantId: string) {
  return db.selectFrom('data_keys').select(columns).where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** Ids of the data keys wrapped under any KEK other than kekId: what a rotation has left to do. */
export async function listDataKeyIdsNotUnder(db: Executor, kekId: string): Promise<string[]> {
  const rows = await db.selectFrom('data_keys').select('id').where('kek_id', '!=', kekId).orderBy('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Locks one data key for re-wrapping. FOR NO KEY UPDATE rather than FOR UPDATE: it does not
 * conflict with the FOR KEY SHARE lock that inserting a grant referencing this key takes.
 */
export async function lockDataKeyById(db: Executor, id: string) {
  return db.selectFrom('data_keys').select(columns).where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
}

export async function updateWrappedDataKey(db: Executor, id: string, next: { kekId: string; wrapped: Buffer; at: Date }) {
  await db.updateTable('data_keys').set({ kek_id: next.kekId, wrapped: next.wrapped, rewrapped_at: next.at }).where('id', '=', id).execute();
}
