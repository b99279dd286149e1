import type { Executor } from '../store/executor';
import type { Insertable } from 'kysely';
import type { ProviderTable } from '../store/schema';

const columns = ['id', 'tenant_id', 'name', 'template', 'settings', 'client_id', 'dek_id', 'client_secret', 'created_at', 'updated_at'] as const;

export async function findProvider(db: Executor, tenantId: string, name: string) {
  return db.selectFrom('providers').select(columns).where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
}

export async function lockProvider(db: Executor, tenantId: string, name: string) {
  return db.selectFrom('providers').select(columns).where('tenant_id', '=', tenantId).where('name', '=', name).forUpdate().executeTakeFirst();
}

export async function listProviders(db: Executor, tenantId: string) {
  return db.selectFrom('providers').select(columns).where('tenant_id', '=', tenantId).orderBy('name').execute();
}

export async function insertProvider(db: Executor, row: Insertable<ProviderTable>) {
  await db.insertInto('providers').values(row).execute();
}

export async function updateProvider(db: Executor, id: string, row: Pick<Insertable<ProviderTable>, 'template' | 'settings' | 'client_id' | 'dek_id' | 'client_secret' | 'updated_at'>) {
  await db.updateTable('providers').set(row).where('id', '=', id).execute();
}

export async function deleteProviderRow(db: Executor, tenantId: string, name: string): Promise<boolean> {
  const deleted = await db.deleteFrom('providers').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}
