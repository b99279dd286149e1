// A tenant's OAuth provider: its catalog entry (if any) merged with the tenant's settings,
// placeholders filled. Everything the connect flow, refresh and revocation need, except the
// client secret, which stays sealed until the moment of use.
import type { PutProviderRequest } from '@alter-vault/sdk';
import { fail, ok, Result } from '../result';
import { type Catalog, fillPlaceholders, type OAuthProviderEntry } from './catalog';

type Account = OAuthProviderEntry['oauth']['account'];

export interface ResolvedProvider {
  id: string;
  tenantId: string;
  name: string;
  template: string | null;
  displayName: string;
  issuer: string | null;
  jwksUri: string | null;
  authorizationUrl: string;
  tokenUrl: string;
  revocationUrl: string | null;
  userinfoUrl: string | null;
  scopeSeparator: string;
  scopes: string[];
  pkce: 'required' | 'supported' | 'unsupported';
  tokenAuthMethod: 'client_secret_basic' | 'client_secret_post';
  authorizationParams: Record<string, string>;
  account: Account;
  accessTokenLifetimeSeconds: number | null;
  quirks: string[];
  allowedHosts: string[];
  clientId: string;
}

/** What a tenant stored: the PUT body without the client credentials. */
export type ProviderSettings = Omit<PutProviderRequest, 'template' | 'clientId' | 'clientSecret'>;

export interface ProviderRecord {
  id: string;
  tenantId: string;
  name: string;
  template: string | null;
  settings: ProviderSettings;
  clientId: string;
}

/**
 * Merges the catalog entry with the tenant's settings. Fails with invalid_request naming what
 * is missing, so a PUT that cannot work is refused when it is made, not at connect time.
 */
export function resolveProvider(record: ProviderRecord, catalog: Catalog): Result<ResolvedProvider> {
  const s = record.settings;
  const entry = record.template ? catalog.oauth(record.template) : undefined;
  if (record.template && !entry) return fail('invalid_request', `"${record.template}" is not an OAuth provider of the catalog (GET /v1/providers lists them)`);
  const o = entry?.oauth;
  const params = entry?.connectionParams ?? [];
  const values = s.connectionParams ?? {};
  const missing: string[] = [];
  const pick = <T>(name: string, value: T | undefined): T | undefined => {
    if (value === undefined) missing.push(name);
    return value;
  };
  const fill = (template: string | undefined): string | undefined => (template === undefined ? undefined : fillPlaceholders(template, params, values));
  try {
    const issuer = fill(s.issuer ?? o?.issuer) ?? null;
    const account: Account | undefined = s.account ?? o?.account ?? (issuer ? { from: 'id_token', id: 'sub' } : undefined);
    const resolved = {
      id: record.id,
      tenantId: record.tenantId,
      name: record.name,
      template: record.template,
      displayName: entry?.displayName ?? record.name,
      issuer,
      jwksUri: fill(s.jwksUri ?? o?.jwksUri) ?? null,
      authorizationUrl: pick('authorizationUrl', fill(s.authorizationUrl ?? o?.authorizationUrl)),
      tokenUrl: pick('tokenUrl', fill(s.tokenUrl ?? o?.tokenUrl)),
      revocationUrl: fill(s.revocationUrl ?? o?.revocationUrl) ?? null,
      userinfoUrl: fill(s.userinfoUrl ?? o?.userinfoUrl) ?? null,
      scopeSeparator: o?.scopeSeparator ?? ' ',
      scopes: s.scopes ?? o?.defaultScopes ?? [],
      pkce: s.pkce ?? o?.pkce ?? 'supported',
      tokenAuthMethod: s.tokenAuthMethod ?? o?.tokenAuthMethod ?? 'client_secret_basic',
      authorizationParams: { ...(o?.authorizationParams ?? {}), ...(s.authorizationParams ?? {}) },
      account: pick('account', account),
      accessTokenLifetimeSeconds: o?.accessTokenLifetimeSeconds ?? null,
      quirks: o?.quirks ?? [],
      allowedHosts: pick('allowedHosts', (s.allowedHosts ?? entry?.api.allowedHosts)?.map((h) => fillPlaceholders(h, params, values))),
      clientId: record.clientId,
    };
    if (missing.length > 0) return fail('invalid_request', `the provider needs ${missing.join(', ')} (no catalog template supplies them)`);
    if (resolved.issuer && !resolved.jwksUri) return fail('invalid_request', 'an issuer needs a jwksUri to verify ID tokens (or give only the issuer to discover both)');
    if (resolved.account?.from === 'id_token' && !resolved.issuer) return fail('invalid_request', 'account.from id_token needs an issuer');
    if (resolved.account?.from === 'userinfo' && !resolved.userinfoUrl) return fail('invalid_request', 'account.from userinfo needs a userinfoUrl');
    return ok(resolved as ResolvedProvider);
  } catch (err) {
    // fillPlaceholders: a connection parameter is missing or does not match its pattern.
    if (err instanceof TypeError) return fail('invalid_request', err.message);
    throw err;
  }
}

/** The scopes a grant lacks that the provider configuration now requires (scope drift). */
export function missingScopes(required: readonly string[], granted: readonly string[] | null): string[] {
  const have = new Set(granted ?? []);
  return required.filter((s) => !have.has(s));
}
