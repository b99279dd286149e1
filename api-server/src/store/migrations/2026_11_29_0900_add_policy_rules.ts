// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// Operator rules (POST /v1/policies/rules): restrictions on the uses of grants, each aimed at
// one target in its tenant. The parameters are the validated request, as JSON.
import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policy_rules')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('policy_rules_target_type', sql`target_type in ('tenant', 'provider', 'agent', 'grant')`)
    .addCheckConstraint('policy_rules_target_id', sql`(target_type = 'tenant') = (target_id is null)`)
    .execute();
  // Every use loads its tenant's rules (cached briefly); listing filters by target.
  await db.schema.createIndex('policy_rules_tenant_target').on('policy_rules').columns(['tenant_id', 'target_type', 'target_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('policy_rules').execute();
}
