// Per-tenant OAuth provider configuration (PUT/GET /v1/providers). The client secret is
// sealed like a grant's credential; a change of required scopes flags the grants that lack
// them (scope drift).
import { randomUUID } from 'node:crypto';
import type { CatalogEntryInfo, ProviderInfo, PutProviderRequest } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import * as oidc from 'openid-client';
import type { Envelope } from '../crypto/envelope';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import type { Database } from '../store/schema';
import type { Catalog } from './catalog';
import { missingScopes, type ProviderRecord, type ProviderSettings, type ResolvedProvider, resolveProvider } from './provider';
import { findProvider, insertProvider, listProviders, lockProvider, updateProvider } from './provider.repository';

export interface ProviderDeps {
  db: Kysely<Database>;
  envelope: Envelope;
  catalog: Catalog;
  /** Bounds every call to a provider (discovery, token, userinfo, revocation). */
  providerTimeoutMs: number;
}

type ProviderRow = NonNullable<Awaited<ReturnType<typeof findProvider>>>;

function toRecord(row: ProviderRow): ProviderRecord {
  return { id: row.id, tenantId: row.tenant_id, name: row.name, template: row.template, settings: row.settings as ProviderSettings, clientId: row.client_id };
}

function toInfo(row: ProviderRow, resolved: ResolvedProvider): ProviderInfo {
  return {
    name: row.name,
    template: row.template,
    displayName: resolved.displayName,
    clientId: row.client_id,
    hasClientSecret: row.client_secret !== null,
    scopes: resolved.scopes,
    allowedHosts: resolved.allowedHosts,
    authorizationUrl: resolved.authorizationUrl,
    tokenUrl: resolved.tokenUrl,
    revocationUrl: resolved.revocationUrl,
    issuer: resolved.issuer,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Fills the endpoints of an issuer-only custom provider from its OIDC discovery document. */
async function discover(deps: ProviderDeps, input: PutProviderRequest): Promise<Result<PutProviderRequest>> {
  if (!input.issuer || input.template || input.authorizationUrl || input.tokenUrl) return ok(input);
  try {
    const config = await oidc.discovery(new URL(input.issuer), input.clientId, undefined, undefined, { timeout: Math.ceil(deps.providerTimeoutMs / 1000) });
    const m = config.serverMetadata();
    const urls = {
      authorizationUrl: m.authorization_endpoint,
      tokenUrl: m.token_endpoint,
      revocationUrl: m.revocation_endpoint,
      userinfoUrl: m.userinfo_endpoint,
      jwksUri: m.jwks_uri,
    };
    return ok({ ...input, ...Object.fromEntries(Object.entries(urls).filter(([, v]) => v !== undefined)) });
  } catch (err) {
    return fail('provider_error', `OIDC discovery at ${input.issuer} failed: ${(err as Error).message}`);
  }
}

export async function putProvider(deps: ProviderDeps, tenantId: string, name: string, body: PutProviderRequest, now: Date): Promise<Result<{ info: ProviderInfo; created: boolean; flagged: number }>> {
  const discovered = await discover(deps, body);
  if (!discovered.ok) return discovered;
  const { template, clientId, clientSecret, ...settings } = discovered.value;
  const result = await deps.db.transaction().execute(async (trx): Promise<Result<{ created: boolean; flagged: number }>> => {
    const existing = await lockProvider(trx, tenantId, name);
    const id = existing?.id ?? randomUUID();
    const resolved = resolveProvider({ id, tenantId, name, template: template ?? null, settings, clientId }, deps.catalog);
    if (!resolved.ok) return resolved;
    let secret: { dek_id: string | null; client_secret: Uint8Array | null };
    if (clientSecret !== undefined) {
      const sealed = await deps.envelope.encrypt(trx, { tenantId, grantId: id, plaintext: Buffer.from(clientSecret, 'utf8') });
      secret = { dek_id: sealed.dekId, client_secret: sealed.ciphertext };
    } else if (existing?.client_secret) {
      secret = { dek_id: existing.dek_id, client_secret: existing.client_secret };
    } else {
      return fail('invalid_request', 'clientSecret is required when a provider is first configured');
    }
    const row = { template: template ?? null, settings: JSON.stringify(settings), client_id: clientId, ...secret, updated_at: now };
    if (existing) await updateProvider(trx, id, row);
    else await insertProvider(trx, { id, tenant_id: tenantId, name, ...row });
    const flagged = await applyToGrants(trx, tenantId, name, resolved.value, now);
    return ok({ created: !existing, flagged });
  });
  if (!result.ok) return result;
  const info = await getProviderInfo(deps, tenantId, name);
  return ok({ info: info!, ...result.value });
}

/**
 * Live grants follow their provider's configuration: allowed hosts are replaced, and scopes
 * now required but not granted are recorded so a use asks for re-consent. Answers how many
 * grants lack scopes.
 */
async function applyToGrants(trx: Executor, tenantId: string, name: string, provider: ResolvedProvider, now: Date): Promise<number> {
  const grants = await trx
    .selectFrom('grants')
    .select(['id', 'scopes'])
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'oauth')
    .where('provider', '=', name)
    .where('status', '<>', 'revoked')
    .forUpdate()
    .execute();
  let flagged = 0;
  for (const grant of grants) {
    const missing = missingScopes(provider.scopes, grant.scopes);
    if (missing.length > 0) flagged++;
    await trx
      .updateTable('grants')
      .set({ missing_scopes: missing.length > 0 ? JSON.stringify(missing) : null, allowed_hosts: JSON.stringify(provider.allowedHosts), updated_at: now })
      .where('id', '=', grant.id)
      .execute();
  }
  return flagged;
}

export async function getProviderInfo(deps: Pick<ProviderDeps, 'db' | 'catalog'>, tenantId: string, name: string): Promise<ProviderInfo | undefined> {
  const row = await findProvider(deps.db, tenantId, name);
  if (!row) return undefined;
  const resolved = resolveProvider(toRecord(row), deps.catalog);
  return resolved.ok ? toInfo(row, resolved.value) : undefined;
}

export async function listProviderInfos(deps: Pick<ProviderDeps, 'db' | 'catalog'>, tenantId: string): Promise<ProviderInfo[]> {
  const infos: ProviderInfo[] = [];
  for (const row of await listProviders(deps.db, tenantId)) {
    const resolved = resolveProvider(toRecord(row), deps.catalog);
    if (resolved.ok) infos.push(toInfo(row, resolved.value));
  }
  return infos;
}

export function catalogInfos(catalog: Catalog): CatalogEntryInfo[] {
  return [...catalog.entries.values()].map((e) =>
    e.kind === 'oauth2'
      ? { id: e.id, kind: e.kind, displayName: e.displayName, docs: e.docs, defaultScopes: e.oauth.defaultScopes, availableScopes: e.oauth.availableScopes, allowedHosts: e.api.allowedHosts }
      : { id: e.id, kind: e.kind, displayName: e.displayName, docs: e.docs, allowedHosts: e.api.allowedHosts },
  );
}

/** A configured provider with its client secret opened, for one call to the provider. */
export async function openProvider(deps: Pick<ProviderDeps, 'db' | 'catalog' | 'envelope'>, db: Executor, tenantId: string, name: string): Promise<Result<{ provider: ResolvedProvider; clientSecret: string }>> {
  const row = await findProvider(db, tenantId, name);
  if (!row || !row.client_secret || !row.dek_id) return fail('provider_not_found', `no provider "${name}" is configured`);
  const resolved = resolveProvider(toRecord(row), deps.catalog);
  if (!resolved.ok) return resolved;
  const secret = await deps.envelope.decrypt(db, { tenantId, grantId: row.id, dekId: row.dek_id, ciphertext: Buffer.from(row.client_secret) });
  return ok({ provider: resolved.value, clientSecret: secret.toString('utf8') });
}
