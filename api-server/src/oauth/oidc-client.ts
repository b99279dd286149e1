// The one place that talks OAuth to providers, through openid-client: authorization URLs,
// code exchange (with PKCE, state and, for OIDC, nonce and ID-token checks), refresh,
// revocation and the account lookup. Provider quirks wrap its fetch.
import * as oidc from 'openid-client';
import type { Metrics } from '../metrics';
import type { ResolvedProvider } from './provider';
import { type Fetch, quirksOf } from './quirks';

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  /** Seconds, as the provider said; undefined when it did not. */
  expiresIn: number | undefined;
  scope: string | undefined;
  raw: Record<string, unknown>;
  claims: Record<string, unknown> | undefined;
}

export interface OAuthClientOptions {
  timeoutMs: number;
  metrics?: Pick<Metrics, 'providerTokenRequests'>;
}

/** A provider's answer that says the refresh token (or code) is no longer valid. */
export function isInvalidGrant(err: unknown): boolean {
  return err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant';
}

/** A provider's answer naming an OAuth error (as opposed to no answer at all). */
export function providerErrorCode(err: unknown): string | undefined {
  return err instanceof oidc.ResponseBodyError ? err.error : undefined;
}

export class OAuthClient {
  private readonly quirks;
  private readonly config: oidc.Configuration;

  constructor(
    readonly provider: ResolvedProvider,
    private readonly clientSecret: string,
    private readonly options: OAuthClientOptions,
  ) {
    this.quirks = quirksOf(provider.quirks);
    const server: oidc.ServerMetadata = {
      // A plain OAuth 2.0 provider has no issuer; its authorization server is named by origin.
      issuer: provider.issuer ?? new URL(provider.authorizationUrl).origin,
      authorization_endpoint: provider.authorizationUrl,
      token_endpoint: provider.tokenUrl,
      ...(provider.revocationUrl ? { revocation_endpoint: provider.revocationUrl } : {}),
      ...(provider.userinfoUrl ? { userinfo_endpoint: provider.userinfoUrl } : {}),
      ...(provider.jwksUri ? { jwks_uri: provider.jwksUri } : {}),
    };
    const auth = provider.tokenAuthMethod === 'client_secret_basic' ? oidc.ClientSecretBasic(clientSecret) : oidc.ClientSecretPost(clientSecret);
    this.config = new oidc.Configuration(server, provider.clientId, { client_secret: clientSecret }, auth);
    this.config.timeout = Math.ceil(options.timeoutMs / 1000);
    this.config[oidc.customFetch] = this.fetchChain();
  }

  get isOidc(): boolean {
    return this.provider.issuer !== null;
  }

  async authorizationUrl(input: { redirectUri: string; state: string; codeVerifier: string; nonce: string | undefined }): Promise<URL> {
    let params: Record<string, string> = {
      redirect_uri: input.redirectUri,
      state: input.state,
      ...(this.provider.scopes.length > 0 ? { scope: this.provider.scopes.join(this.provider.scopeSeparator) } : {}),
      ...this.provider.authorizationParams,
    };
    if (this.provider.pkce !== 'unsupported') {
      params.code_challenge = await oidc.calculatePKCECodeChallenge(input.codeVerifier);
      params.code_challenge_method = 'S256';
    }
    if (input.nonce) params.nonce = input.nonce;
    for (const quirk of this.quirks) if (quirk.authorizationParams) params = quirk.authorizationParams(params);
    return oidc.buildAuthorizationUrl(this.config, params);
  }

  /** Exchanges the code from the callback URL, checking state, PKCE and (OIDC) the ID token and nonce. */
  async exchangeCode(callbackUrl: URL, checks: { state: string; codeVerifier: string; nonce: string | undefined }): Promise<TokenSet> {
    const tokens = await oidc.authorizationCodeGrant(this.config, callbackUrl, {
      expectedState: checks.state,
      ...(this.provider.pkce !== 'unsupported' ? { pkceCodeVerifier: checks.codeVerifier } : {}),
      ...(checks.nonce ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
    });
    return toTokenSet(tokens);
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    return toTokenSet(await oidc.refreshTokenGrant(this.config, refreshToken));
  }

  /** The provider account's userinfo document (any JSON the provider answers). */
  async userinfo(accessToken: string): Promise<Record<string, unknown>> {
    if (!this.provider.userinfoUrl) throw new TypeError('the provider has no userinfo endpoint');
    const headers = new Headers({ accept: 'application/json', 'user-agent': 'alter-vault' });
    const res = await oidc.fetchProtectedResource(this.config, accessToken, new URL(this.provider.userinfoUrl), 'GET', undefined, headers);
    if (!res.ok) throw new Error(`the userinfo endpoint answered HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  /**
   * Revokes the grant at the provider: RFC 7009 on the refresh token (which ends the grant at
   * most providers) and the access token, or the provider's own way (a quirk).
   */
  async revoke(tokens: { accessToken: string; refreshToken: string | undefined }): Promise<'revoked' | 'unsupported'> {
    if (!this.provider.revocationUrl) return 'unsupported';
    const custom = this.quirks.find((q) => q.revoke);
    if (custom?.revoke) {
      await custom.revoke({
        revocationUrl: this.provider.revocationUrl,
        clientId: this.provider.clientId,
        clientSecret: this.clientSecret,
        ...tokens,
        fetch: globalThis.fetch,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      return 'revoked';
    }
    if (tokens.refreshToken) await oidc.tokenRevocation(this.config, tokens.refreshToken, { token_type_hint: 'refresh_token' });
    await oidc.tokenRevocation(this.config, tokens.accessToken, { token_type_hint: 'access_token' });
    return 'revoked';
  }

  private fetchChain(): Fetch {
    const tokenUrl = new URL(this.provider.tokenUrl).href;
    const metrics = this.options.metrics;
    const name = this.provider.template ?? 'custom';
    let chain: Fetch = (url, init) => fetch(url, init as RequestInit);
    for (const quirk of this.quirks) if (quirk.tokenFetch) chain = quirk.tokenFetch(chain, tokenUrl);
    const inner = chain;
    // Counted outermost: what the provider's rate limit sees.
    return async (url, init) => {
      if (url !== tokenUrl || !metrics) return inner(url, init);
      const grantType = init.body instanceof URLSearchParams ? (init.body.get('grant_type') ?? 'unknown') : 'unknown';
      try {
        const res = await inner(url, init);
        metrics.providerTokenRequests.inc({ provider: name, grant_type: grantType, outcome: res.ok ? 'ok' : `http_${res.status}` });
        return res;
      } catch (err) {
        metrics.providerTokenRequests.inc({ provider: name, grant_type: grantType, outcome: 'network_error' });
        throw err;
      }
    };
  }
}

function toTokenSet(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): TokenSet {
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresIn: tokens.expiresIn(),
    scope: tokens.scope,
    raw: { ...tokens } as Record<string, unknown>,
    claims: tokens.claims() as Record<string, unknown> | undefined,
  };
}

/** Reads a dotted path (`authed_user.id`) from a JSON document; numbers become strings. */
export function readPath(doc: Record<string, unknown> | undefined, path: string): string | undefined {
  let value: unknown = doc;
  for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}
