// SQL of identity_providers (a tenant's OIDC issuers of end-user tokens) and principals.
import { randomUUID } from 'node:crypto';
import type { Insertable, Updateable } from 'kysely';
import type { Executor } from '../store/executor';
import type { IdentityProviderTable } from '../store/schema';

const columns = ['id', 'tenant_id', 'name', 'issuer', 'audience', 'principal_claim', 'client_id', 'dek_id', 'client_secret', 'created_at', 'updated_at'] as const;

export async function findIdentityProvider(db: Executor, tenantId: string, name: string) {
  return db.selectFrom('identity_providers').select(columns).where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
}

/** The tenant's identity provider of an issuer (one at most: unique per tenant). */
export async function findIdentityProviderByIssuer(db: Executor, tenantId: string, issuer: string) {
  return db.selectFrom('identity_providers').select(columns).where('tenant_id', '=', tenantId).where('issuer', '=', issuer).executeTakeFirst();
}

export async function lockIdentityProvider(db: Executor, tenantId: string, name: string) {
  return db.selectFrom('identity_providers').select(columns).where('tenant_id', '=', tenantId).where('name', '=', name).forUpdate().executeTakeFirst();
}

export async function listIdentityProviders(db: Executor, tenantId: string) {
  return db.selectFrom('identity_providers').select(columns).where('tenant_id', '=', tenantId).orderBy('name').execute();
}

export async function insertIdentityProvider(db: Executor, row: Insertable<IdentityProviderTable>) {
  await db.insertInto('identity_providers').values(row).execute();
}

export async function updateIdentityProvider(db: Executor, id: string, row: Updateable<IdentityProviderTable>) {
  await db.updateTable('identity_providers').set(row).where('id', '=', id).execute();
}

/** Idempotent: the principal of (tenant, idp, external id), inserted the first time it is seen. */
export async function upsertPrincipal(db: Executor, p: { tenantId: string; kind: 'user' | 'group' | 'system' | 'agent'; idp: string; externalId: string }) {
  const find = () =>
    db.selectFrom('principals').select(['id', 'kind', 'idp', 'external_id']).where('tenant_id', '=', p.tenantId).where('idp', '=', p.idp).where('external_id', '=', p.externalId).executeTakeFirst();
  const seen = await find();
  if (seen) return seen;
  // A concurrent first sight inserts the same row: one wins, both read it.
  await db
    .insertInto('principals')
    .values({ id: randomUUID(), tenant_id: p.tenantId, kind: p.kind, idp: p.idp, external_id: p.externalId })
    .onConflict((oc) => oc.columns(['tenant_id', 'idp', 'external_id']).doNothing())
    .execute();
  return (await find())!;
}
