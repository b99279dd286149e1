import type { Executor } from '../store/executor';

const columns = ['s.id', 's.tenant_id', 's.grant_id', 's.name', 's.slug', 's.type', 's.created_at', 's.updated_at', 'g.allowed_hosts'] as const;

export async function insertSecret(db: Executor, row: { id: string; tenantId: string; grantId: string; name: string; slug: string; type: string }) {
  await db.insertInto('managed_secrets').values({ id: row.id, tenant_id: row.tenantId, grant_id: row.grantId, name: row.name, slug: row.slug, type: row.type }).execute();
}

export async function findSecret(db: Executor, tenantId: string, id: string) {
  return db.selectFrom('managed_secrets as s').innerJoin('grants as g', 'g.id', 's.grant_id').select(columns).where('s.tenant_id', '=', tenantId).where('s.id', '=', id).executeTakeFirst();
}

export async function listSecrets(db: Executor, tenantId: string) {
  return db.selectFrom('managed_secrets as s').innerJoin('grants as g', 'g.id', 's.grant_id').select(columns).where('s.tenant_id', '=', tenantId).orderBy('s.created_at', 'desc').execute();
}

export async function touchSecret(db: Executor, id: string, at: Date) {
  await db.updateTable('managed_secrets').set({ updated_at: at }).where('id', '=', id).execute();
}

export async function deleteSecretRow(db: Executor, id: string) {
  await db.deleteFrom('managed_secrets').where('id', '=', id).execute();
}

export async function findSecretBySlug(db: Executor, tenantId: string, slug: string) {
  return db.selectFrom('managed_secrets as s').innerJoin('grants as g', 'g.id', 's.grant_id').select(columns).where('s.tenant_id', '=', tenantId).where('s.slug', '=', slug).executeTakeFirst();
}
