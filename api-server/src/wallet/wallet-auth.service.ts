// Wallet sign-in: OpenID Connect authorization code with PKCE, state and nonce against the
// tenant's identity provider (openid-client), no password of ours. The principal is the
// provider's `principal_claim` (what apps pass as principalId when they connect a user).
// Each attempt (a "login") is found again by its state, its PKCE verifier and nonce sealed,
// and bound to the browser that started it by a cookie. A signed-in user holds a session
// whose token lives only in an http-only cookie; the server keeps its hash, an idle and an
// absolute expiry.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as oidc from 'openid-client';
import type { AuditWriter } from '../audit/audit.writer';
import { upsertPrincipal } from '../auth/identity-provider.repository';
import type { Envelope } from '../crypto/envelope';
import type { Logger } from '../logger';
import { providerErrorCode, readPath } from '../oauth/oidc-client';
import type { Database } from '../store/schema';
import { findTenantByName } from '../tenants/tenant.repository';
import type { IdentityProviderSource, WalletIdentityProvider, WalletResult, WalletSession } from './wallet';

export interface WalletAuthDeps {
  db: Kysely<Database>;
  envelope: Envelope;
  audit: AuditWriter;
  identityProviders: IdentityProviderSource;
  logger: Logger;
  publicUrl: string;
  providerTimeoutMs: number;
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, used or not. */
  maxMs: number;
  now: () => Date;
}

export const LOGIN_COOKIE_PREFIX = 'alter_wallet_login_';
export const SESSION_COOKIE = 'alter_wallet';
export const WALLET_CALLBACK_PATH = '/wallet/callback';
const LOGIN_TTL_MS = 10 * 60_000;
/** last_seen_at is written at most this often (not on every page). */
const TOUCH_MS = 30_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const LABEL_CLAIMS = ['email', 'preferred_username', 'name'];

export class WalletAuth {
  private readonly configs = new Map<string, Promise<oidc.Configuration>>();

  constructor(private readonly deps: WalletAuthDeps) {}

  get redirectUri(): string {
    return `${this.deps.publicUrl}${WALLET_CALLBACK_PATH}`;
  }

  get sessionMaxAgeSeconds(): number {
    return Math.ceil(this.deps.maxMs / 1000);
  }

  async tenant(name: string): Promise<{ id: string; name: string } | undefined> {
    return name.length > 0 && name.length <= 253 ? findTenantByName(this.deps.db, name) : undefined;
  }

  /** The identity providers a user of this tenant may sign in with. */
  async signInOptions(tenantId: string): Promise<string[]> {
    return this.deps.identityProviders.walletProviders(tenantId);
  }

  /** Starts one sign-in: answers the identity provider's authorization URL and the login id for the browser cookie. */
  async startLogin(tenant: { id: string; name: string }, idpName: string): Promise<WalletResult<{ redirect: URL; loginId: string; maxAgeSeconds: number }>> {
    const idp = await this.deps.identityProviders.open(tenant.id, idpName);
    if (!idp) return { ok: false, reason: 'idp_unknown', tenantName: tenant.name };
    let config: oidc.Configuration;
    try {
      config = await this.config(tenant.id, idp);
    } catch (err) {
      this.deps.logger.warn({ tenantId: tenant.id, identityProvider: idp.name, error: providerErrorCode(err) ?? (err as Error).name }, 'wallet: identity provider discovery failed');
      return { ok: false, reason: 'sign_in_failed', tenantName: tenant.name };
    }
    const loginId = randomUUID();
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const now = this.deps.now();
    await this.deps.db.transaction().execute(async (trx) => {
      // Attempts nobody finished are dropped as new ones start.
      await trx.deleteFrom('wallet_logins').where('expires_at', '<', now).execute();
      const sealed = await this.deps.envelope.encrypt(trx, { tenantId: tenant.id, grantId: loginId, plaintext: Buffer.from(JSON.stringify({ codeVerifier, nonce }), 'utf8') });
      await trx
        .insertInto('wallet_logins')
        .values({ id: loginId, tenant_id: tenant.id, identity_provider: idp.name, state_hash: sha256(state), dek_id: sealed.dekId, sealed: sealed.ciphertext, expires_at: new Date(now.getTime() + LOGIN_TTL_MS) })
        .execute();
    });
    const redirect = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      // email and profile: the principal claim may be one of theirs, and they label the user.
      scope: 'openid email profile',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { ok: true, value: { redirect, loginId, maxAgeSeconds: LOGIN_TTL_MS / 1000 } };
  }

  /**
   * The identity provider's redirect back. `browserLogins` are the login ids named by the
   * browser's cookies: a state this browser did not start is refused (login CSRF).
   */
  async completeLogin(query: URLSearchParams, browserLogins: string[], requestId: string): Promise<WalletResult<{ token: string; tenantName: string }>> {
    const state = query.get('state');
    const found = state ? await this.deps.db.selectFrom('wallet_logins').selectAll().where('state_hash', '=', sha256(state)).executeTakeFirst() : undefined;
    if (!found || !browserLogins.includes(found.id)) {
      if (found) await this.auditSignIn(found.tenant_id, requestId, { decision: 'deny', outcome: 'state_mismatch', identityProvider: found.identity_provider });
      return { ok: false, reason: 'login_unknown' };
    }
    // Single use: whoever deletes the row completes it.
    const login = await this.deps.db.deleteFrom('wallet_logins').where('id', '=', found.id).returningAll().executeTakeFirst();
    const tenant = await this.deps.db.selectFrom('tenants').select(['id', 'name']).where('id', '=', found.tenant_id).executeTakeFirst();
    if (!login || !tenant) return { ok: false, reason: 'login_unknown' };
    const refuse = async (reason: 'login_expired' | 'sign_in_denied' | 'sign_in_failed' | 'principal_claim_missing', outcome: string, detail?: string): Promise<WalletResult<never>> => {
      await this.auditSignIn(tenant.id, requestId, { decision: 'deny', outcome, identityProvider: login.identity_provider, ...(detail ? { reason: detail } : {}) });
      return { ok: false, reason, tenantName: tenant.name };
    };
    const now = this.deps.now();
    if (login.expires_at <= now) return refuse('login_expired', 'login_expired');
    const idpError = query.get('error');
    if (idpError) return refuse(idpError === 'access_denied' ? 'sign_in_denied' : 'sign_in_failed', idpError === 'access_denied' ? 'sign_in_denied' : 'idp_error', idpError.slice(0, 100));
    const idp = await this.deps.identityProviders.open(tenant.id, login.identity_provider);
    if (!idp) return refuse('sign_in_failed', 'idp_unknown');
    const checks = JSON.parse((await this.deps.envelope.decrypt(this.deps.db, { tenantId: tenant.id, grantId: login.id, dekId: login.dek_id, ciphertext: Buffer.from(login.sealed) })).toString('utf8')) as {
      codeVerifier: string;
      nonce: string;
    };
    let claims: Record<string, unknown>;
    try {
      const config = await this.config(tenant.id, idp);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(`${this.redirectUri}?${query.toString()}`), {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: state!,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const idToken = (tokens.claims() ?? {}) as Record<string, unknown>;
      claims = idToken;
      // Claims beyond sub are often only in userinfo (scope claims when an access token is issued).
      const needPrincipal = readPath(idToken, idp.principalClaim) === undefined;
      const needLabel = LABEL_CLAIMS.every((c) => readPath(idToken, c) === undefined);
      if ((needPrincipal || needLabel) && config.serverMetadata().userinfo_endpoint) {
        try {
          claims = { ...(await oidc.fetchUserInfo(config, tokens.access_token, String(idToken.sub))), ...idToken };
        } catch (err) {
          // Without the label the user is shown by principal; without the principal, no sign-in.
          if (needPrincipal) throw err;
        }
      }
    } catch (err) {
      return refuse('sign_in_failed', 'idp_error', providerErrorCode(err) ?? (err as Error).name);
    }
    const principalId = readPath(claims, idp.principalClaim);
    // A connect session's principalId is at most 256 characters: a longer claim names no grant.
    if (!principalId || principalId.length > 256) return refuse('principal_claim_missing', 'principal_claim_missing', `no usable ${idp.principalClaim} claim`);
    const label = LABEL_CLAIMS.map((c) => readPath(claims, c)).find((v) => v !== undefined && v !== principalId) ?? null;
    const token = `avw_${randomBytes(32).toString('base64url')}`;
    await this.deps.db.transaction().execute(async (trx) => {
      // The end user as the rest of the vault knows them (created the first time they are seen).
      await upsertPrincipal(trx, { tenantId: tenant.id, kind: 'user', idp: idp.name, externalId: principalId });
      await trx.deleteFrom('wallet_sessions').where('expires_at', '<', now).execute();
      await trx
        .insertInto('wallet_sessions')
        .values({
          id: randomUUID(),
          tenant_id: tenant.id,
          token_hash: sha256(token),
          principal_id: principalId,
          principal_label: label?.slice(0, 200) ?? null,
          identity_provider: idp.name,
          created_at: now,
          last_seen_at: now,
          expires_at: new Date(now.getTime() + this.deps.maxMs),
        })
        .execute();
    });
    await this.auditSignIn(tenant.id, requestId, { decision: 'allow', outcome: 'ok', identityProvider: idp.name, principalId });
    return { ok: true, value: { token, tenantName: tenant.name } };
  }

  /** The session behind the cookie's token in this tenant; `expired` when it was one and ended. */
  async readSession(tenant: { id: string; name: string }, token: string | undefined): Promise<{ session?: WalletSession; expired?: true }> {
    if (!token?.startsWith('avw_')) return {};
    const row = await this.deps.db.selectFrom('wallet_sessions').selectAll().where('token_hash', '=', sha256(token)).where('tenant_id', '=', tenant.id).executeTakeFirst();
    if (!row) return {};
    const now = this.deps.now();
    if (row.expires_at <= now || now.getTime() - row.last_seen_at.getTime() >= this.deps.idleMs) {
      await this.deps.db.deleteFrom('wallet_sessions').where('id', '=', row.id).execute();
      return { expired: true };
    }
    if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_MS) await this.deps.db.updateTable('wallet_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
    return {
      session: {
        id: row.id,
        tenantId: row.tenant_id,
        tenantName: tenant.name,
        principalId: row.principal_id,
        principalLabel: row.principal_label,
        identityProvider: row.identity_provider,
        csrfToken: csrfTokenOf(token),
        expiresAt: row.expires_at,
      },
    };
  }

  async signOut(session: WalletSession, requestId: string): Promise<void> {
    await this.deps.db.deleteFrom('wallet_sessions').where('id', '=', session.id).execute();
    await this.deps.audit.write({
      tenantId: session.tenantId,
      requestId,
      actor: { type: 'principal', id: session.principalId },
      principalId: session.principalId,
      action: 'wallet.sign_out',
      decision: 'allow',
      outcome: 'ok',
      context: { origin: 'wallet' },
    });
  }

  private async auditSignIn(tenantId: string, requestId: string, f: { decision: 'allow' | 'deny'; outcome: string; identityProvider: string; principalId?: string; reason?: string }): Promise<void> {
    await this.deps.audit.write({
      tenantId,
      requestId,
      actor: f.principalId ? { type: 'principal', id: f.principalId } : { type: 'system' },
      ...(f.principalId ? { principalId: f.principalId } : {}),
      action: 'wallet.sign_in',
      decision: f.decision,
      outcome: f.outcome,
      ...(f.reason ? { reason: f.reason } : {}),
      context: { origin: 'wallet', identityProvider: f.identityProvider },
    });
  }

  /** openid-client's configuration of an identity provider: discovered once per issuer, client and secret. */
  private config(tenantId: string, idp: WalletIdentityProvider): Promise<oidc.Configuration> {
    const key = [tenantId, idp.name, idp.issuer, idp.clientId, sha256(idp.clientSecret).toString('base64')].join('\n');
    let pending = this.configs.get(key);
    if (!pending) {
      pending = this.discover(idp);
      pending.catch(() => this.configs.delete(key));
      this.configs.set(key, pending);
    }
    return pending;
  }

  private async discover(idp: WalletIdentityProvider): Promise<oidc.Configuration> {
    const timeout = Math.ceil(this.deps.providerTimeoutMs / 1000);
    const discovered = await oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.None(), { timeout });
    const metadata = discovered.serverMetadata();
    // client_secret_basic unless the provider says it only takes client_secret_post (RFC 8414's default is basic).
    const methods = metadata.token_endpoint_auth_methods_supported;
    const auth = methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post') ? oidc.ClientSecretPost(idp.clientSecret) : oidc.ClientSecretBasic(idp.clientSecret);
    const config = new oidc.Configuration(metadata, idp.clientId, { client_secret: idp.clientSecret }, auth);
    config.timeout = timeout;
    return config;
  }
}

/** A session's CSRF token: derived from the cookie's token (never stored), useless without it. */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update('alter-vault wallet csrf\n').update(sessionToken).digest('base64url');
}

export function csrfMatches(session: WalletSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length !== session.csrfToken.length) return false;
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(session.csrfToken));
}
