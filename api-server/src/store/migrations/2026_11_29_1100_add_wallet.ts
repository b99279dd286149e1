// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// The wallet: the tenant's branding of its end-user pages, wallet sign-in attempts at the
// tenant's identity provider, and wallet sessions (the cookie's token stored as a hash).
import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // One row per tenant that set its look (PUT /v1/tenant/branding); absent → the defaults.
  await db.schema
    .createTable('tenant_branding')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('logo_url', 'text')
    .addColumn('color', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One authorization request to the identity provider: found again by the hash of its
  // `state`; the PKCE verifier and nonce are sealed (AAD = login id + tenant).
  await db.schema
    .createTable('wallet_logins')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('identity_provider', 'text', (c) => c.notNull())
    .addColumn('state_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('dek_id', 'uuid', (c) => c.notNull().references('data_keys.id'))
    .addColumn('sealed', 'bytea', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // A signed-in end user: idle expiry from last_seen_at, absolute expiry at expires_at.
  await db.schema
    .createTable('wallet_sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('token_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('principal_label', 'text')
    .addColumn('identity_provider', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wallet_sessions_expires_idx').on('wallet_sessions').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wallet_sessions').execute();
  await db.schema.dropTable('wallet_logins').execute();
  await db.schema.dropTable('tenant_branding').execute();
}
