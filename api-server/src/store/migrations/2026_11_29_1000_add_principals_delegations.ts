// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// End users and delegations: each tenant's OIDC identity providers (whose tokens an app passes
// for its end user), the principals seen through them, and the agents a grant is delegated to.
import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // An issuer whose ID tokens identify this tenant's end users. The optional client (for a
  // later sign-in flow) has its secret sealed like a provider's (AAD = identity provider id + tenant).
  await db.schema
    .createTable('identity_providers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('principal_claim', 'text', (c) => c.notNull().defaultTo('sub'))
    .addColumn('client_id', 'text')
    .addColumn('dek_id', 'uuid', (c) => c.references('data_keys.id'))
    .addColumn('client_secret', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('identity_providers_tenant_name_key', ['tenant_id', 'name'])
    // A token's issuer names exactly one of the tenant's identity providers.
    .addUniqueConstraint('identity_providers_tenant_issuer_key', ['tenant_id', 'issuer'])
    .addCheckConstraint('identity_providers_secret_has_key', sql`(client_secret is null) = (dek_id is null)`)
    .execute();

  // On whose behalf a call is made; users are created the first time their token is seen.
  await db.schema
    .createTable('principals')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'group', 'system', 'agent')`))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('idp', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('principals_tenant_idp_external_key', ['tenant_id', 'idp', 'external_id'])
    .execute();

  // A user's grant an agent may use, until revoked (revoking one leaves the others).
  await db.schema
    .createTable('delegations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('grant_id', 'uuid', (c) => c.notNull().references('grants.id').onDelete('cascade'))
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await sql`create unique index delegations_live_key on delegations (grant_id, agent_id) where revoked_at is null`.execute(db);
  await sql`create index delegations_agent_idx on delegations (tenant_id, agent_id) where revoked_at is null`.execute(db);
  // Grants delegated at connect time so far (grants.agent_id) become delegations.
  await sql`insert into delegations (id, tenant_id, grant_id, agent_id, created_at)
    select gen_random_uuid(), tenant_id, id, agent_id, updated_at from grants where agent_id is not null and status <> 'revoked'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['delegations', 'principals', 'identity_providers']) await db.schema.dropTable(table).execute();
}
