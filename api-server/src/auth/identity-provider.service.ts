// A tenant's identity providers (PUT/GET /v1/identity-providers): the OIDC issuers whose
// tokens identify its end users (X-Alter-User-Token, user-token.ts). The optional client is
// the vault's own at the issuer, for end users signing in to the wallet; its secret is sealed
// like a provider's (AAD = identity provider id + tenant).
import { randomUUID } from 'node:crypto';
import type { IdentityProviderInfo, PutIdentityProviderRequest } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import type { Envelope } from '../crypto/envelope';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import type { Database } from '../store/schema';
import { findIdentityProvider, findIdentityProviderByIssuer, insertIdentityProvider, listIdentityProviders, lockIdentityProvider, updateIdentityProvider } from './identity-provider.repository';

type Row = NonNullable<Awaited<ReturnType<typeof findIdentityProvider>>>;

/** What verifying a token needs of an identity provider. */
export interface IdentityProvider {
  id: string;
  tenantId: string;
  name: string;
  issuer: string;
  audience: string;
  principalClaim: string;
  clientId: string | null;
}

export const DEFAULT_PRINCIPAL_CLAIM = 'sub';

function toIdentityProvider(row: Row): IdentityProvider {
  return { id: row.id, tenantId: row.tenant_id, name: row.name, issuer: row.issuer, audience: row.audience, principalClaim: row.principal_claim, clientId: row.client_id };
}

function toInfo(row: Row): IdentityProviderInfo {
  return {
    name: row.name,
    issuer: row.issuer,
    audience: row.audience,
    principalClaim: row.principal_claim,
    clientId: row.client_id,
    hasClientSecret: row.client_secret !== null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function putIdentityProvider(
  deps: { db: Kysely<Database>; envelope: Envelope },
  tenantId: string,
  name: string,
  body: PutIdentityProviderRequest,
  now: Date,
): Promise<Result<{ info: IdentityProviderInfo; created: boolean }>> {
  return deps.db.transaction().execute(async (trx): Promise<Result<{ info: IdentityProviderInfo; created: boolean }>> => {
    const existing = await lockIdentityProvider(trx, tenantId, name);
    const other = await findIdentityProviderByIssuer(trx, tenantId, body.issuer);
    if (other && other.name !== name) return fail('invalid_request', `the identity provider "${other.name}" already has the issuer ${body.issuer}: a token's issuer names one identity provider`);
    const id = existing?.id ?? randomUUID();
    let secret: { dek_id: string | null; client_secret: Uint8Array | null } = { dek_id: null, client_secret: null };
    if (body.clientSecret !== undefined) {
      const sealed = await deps.envelope.encrypt(trx, { tenantId, grantId: id, plaintext: Buffer.from(body.clientSecret, 'utf8') });
      secret = { dek_id: sealed.dekId, client_secret: sealed.ciphertext };
    } else if (existing?.client_secret && body.clientId !== undefined && body.clientId === existing.client_id) {
      // Kept only for the same client: a secret never outlives the client it belongs to.
      secret = { dek_id: existing.dek_id, client_secret: existing.client_secret };
    }
    const fields = { issuer: body.issuer, audience: body.audience, principal_claim: body.principalClaim ?? DEFAULT_PRINCIPAL_CLAIM, client_id: body.clientId ?? null, ...secret, updated_at: now };
    if (existing) await updateIdentityProvider(trx, id, fields);
    else await insertIdentityProvider(trx, { id, tenant_id: tenantId, name, created_at: now, ...fields });
    return ok({ info: toInfo((await findIdentityProvider(trx, tenantId, name))!), created: !existing });
  });
}

export async function listIdentityProviderInfos(db: Executor, tenantId: string): Promise<IdentityProviderInfo[]> {
  return (await listIdentityProviders(db, tenantId)).map(toInfo);
}

export async function getIdentityProviderInfo(db: Executor, tenantId: string, name: string): Promise<IdentityProviderInfo | undefined> {
  const row = await findIdentityProvider(db, tenantId, name);
  return row && toInfo(row);
}

/** The tenant's identity provider whose tokens carry this issuer. */
export async function identityProviderForIssuer(db: Executor, tenantId: string, issuer: string): Promise<IdentityProvider | undefined> {
  const row = await findIdentityProviderByIssuer(db, tenantId, issuer);
  return row && toIdentityProvider(row);
}

/** An identity provider with its client opened, for a sign-in at the issuer; not found without a client secret. */
export async function openIdentityProvider(deps: { envelope: Envelope }, db: Executor, tenantId: string, name: string): Promise<Result<{ provider: IdentityProvider; clientId: string; clientSecret: string }>> {
  const row = await findIdentityProvider(db, tenantId, name);
  if (!row || !row.client_id || !row.client_secret || !row.dek_id) return fail('provider_not_found', `no identity provider "${name}" with a client is configured`);
  const secret = await deps.envelope.decrypt(db, { tenantId, grantId: row.id, dekId: row.dek_id, ciphertext: Buffer.from(row.client_secret) });
  return ok({ provider: toIdentityProvider(row), clientId: row.client_id, clientSecret: secret.toString('utf8') });
}
