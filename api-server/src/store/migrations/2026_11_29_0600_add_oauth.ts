// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// OAuth: per-tenant provider configurations, connect sessions and their authorization
// attempts, and the OAuth columns of grants.
import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // A tenant's OAuth client at one provider; the client secret is sealed like a grant's
  // credential (AAD = provider id + tenant).
  await db.schema
    .createTable('providers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('template', 'text')
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('dek_id', 'uuid', (c) => c.references('data_keys.id'))
    .addColumn('client_secret', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('providers_tenant_name_key', ['tenant_id', 'name'])
    .addCheckConstraint('providers_secret_has_key', sql`(client_secret is null) = (dek_id is null)`)
    .execute();

  // Minted by the app's backend for one principal; the bearer token is stored as a hash.
  await db.schema
    .createTable('connect_sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('token_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('providers', 'jsonb', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('return_url', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One authorization request to a provider: found again by the hash of its `state`; the
  // PKCE verifier and nonce are sealed (AAD = flow id + tenant).
  await db.schema
    .createTable('connect_flows')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('connect_sessions.id').onDelete('cascade'))
    .addColumn('state_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('dek_id', 'uuid', (c) => c.notNull().references('data_keys.id'))
    .addColumn('sealed', 'bytea', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .alterTable('grants')
    .addColumn('principal_id', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('account_id', 'text')
    .addColumn('account_label', 'text')
    .addColumn('scopes', 'jsonb')
    .addColumn('missing_scopes', 'jsonb')
    .addColumn('access_expires_at', 'timestamptz')
    .addColumn('refreshed_at', 'timestamptz')
    .addColumn('refresh_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('refresh_retry_at', 'timestamptz')
    .execute();
  // One live OAuth grant per principal × provider × account: reconnecting updates it.
  await sql`create unique index grants_oauth_account_key on grants (tenant_id, provider, principal_id, account_id) where kind = 'oauth' and status <> 'revoked'`.execute(db);
  // The refresher's scan: live OAuth grants by expiry.
  await sql`create index grants_refresh_due_idx on grants (access_expires_at) where kind = 'oauth' and status = 'active'`.execute(db);
  await db.schema.createIndex('grants_principal_idx').on('grants').columns(['tenant_id', 'principal_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('grants_principal_idx').execute();
  await db.schema.dropIndex('grants_refresh_due_idx').execute();
  await db.schema.dropIndex('grants_oauth_account_key').execute();
  await db.schema
    .alterTable('grants')
    .dropColumn('principal_id')
    .dropColumn('agent_id')
    .dropColumn('account_id')
    .dropColumn('account_label')
    .dropColumn('scopes')
    .dropColumn('missing_scopes')
    .dropColumn('access_expires_at')
    .dropColumn('refreshed_at')
    .dropColumn('refresh_failures')
    .dropColumn('refresh_retry_at')
    .execute();
  for (const table of ['connect_flows', 'connect_sessions', 'providers']) await db.schema.dropTable(table).execute();
}
