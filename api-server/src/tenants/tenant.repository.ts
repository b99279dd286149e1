import type { Executor } from '../store/executor';

export async function findTenantByName(db: Executor, name: string) {
  return db.selectFrom('tenants').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
}

export async function insertTenant(db: Executor, name: string): Promise<{ id: string; name: string }> {
  await db.insertInto('tenants').values({ name }).onConflict((oc) => oc.column('name').doNothing()).execute();
  return db.selectFrom('tenants').select(['id', 'name']).where('name', '=', name).executeTakeFirstOrThrow();
}
