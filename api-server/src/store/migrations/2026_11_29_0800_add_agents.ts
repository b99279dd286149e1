// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// Agents: a workload's identity, bound to one Kubernetes service account in its tenant
// (a cluster's namespace), reconciled from an `Agent` resource keyed by its UID.
import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('service_account', 'text', (c) => c.notNull())
    .addColumn('resource_uid', 'text', (c) => c.notNull())
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('agents_tenant_name_key', ['tenant_id', 'name'])
    // One agent per service account: a token maps to exactly one identity.
    .addUniqueConstraint('agents_tenant_service_account_key', ['tenant_id', 'service_account'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('agents').execute();
}
