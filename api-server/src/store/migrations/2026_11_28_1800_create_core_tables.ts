// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kek_id', 'text', (c) => c.notNull())
    .addColumn('wrapped', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('rewrapped_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('data_keys_tenant_idx').on('data_keys').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('scopes', 'jsonb', (c) => c.notNull())
    .addColumn('cidrs', 'jsonb')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('grants')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('injection', 'jsonb', (c) => c.notNull())
    .addColumn('allowed_hosts', 'jsonb', (c) => c.notNull())
    .addColumn('dek_id', 'uuid', (c) => c.references('data_keys.id'))
    .addColumn('ciphertext', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addCheckConstraint('grants_ciphertext_has_key', sql`(ciphertext is null) = (dek_id is null)`)
    .execute();
  await db.schema.createIndex('grants_tenant_idx').on('grants').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('managed_secrets')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('grant_id', 'uuid', (c) => c.notNull().unique().references('grants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('managed_secrets_tenant_slug_key', ['tenant_id', 'slug'])
    .execute();

  // Append-only, hash-chained per tenant; audit_heads holds each chain's tip so that
  // writers on several replicas serialise on one row lock.
  await db.schema
    .createTable('audit_events')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull().unique())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('key_prefix', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('principal_id', 'text')
    .addColumn('grant_id', 'uuid')
    .addColumn('provider', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('method', 'text')
    .addColumn('url', 'text')
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('upstream_status', 'integer')
    .addColumn('latency_ms', 'integer')
    .addColumn('reason', 'text')
    .addColumn('context', 'jsonb')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_events_pkey', ['tenant_id', 'seq'])
    .execute();
  await db.schema.createIndex('audit_events_time_idx').on('audit_events').columns(['tenant_id', 'occurred_at']).execute();
  await db.schema.createIndex('audit_events_grant_idx').on('audit_events').columns(['tenant_id', 'grant_id', 'seq']).execute();

  await db.schema
    .createTable('audit_heads')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_heads', 'audit_events', 'managed_secrets', 'grants', 'api_keys', 'data_keys', 'tenants']) {
    await db.schema.dropTable(table).execute();
  }
}
