// The hosted connect flow. The app's backend mints a session for one principal; the end
// user's browser opens the session's page, picks a provider, consents there and comes back to
// the callback, which stores the tokens as a grant and returns to the app's returnUrl.
// Sessions are short-lived and single-use; each authorization attempt (a "flow") is found
// again by its state, carries PKCE and (OIDC) a nonce, and is bound to the browser by a cookie.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ConnectSession, CreateConnectSessionRequest } from '@alter-vault/sdk';
import type { Kysely, Selectable } from 'kysely';
import * as oidc from 'openid-client';
import type { AuditInput } from '../audit/audit';
import type { AuditWriter } from '../audit/audit.writer';
import type { Caller } from '../auth/caller';
import type { Envelope } from '../crypto/envelope';
import { insertDelegation } from '../grants/delegation.repository';
import type { Metrics } from '../metrics';
import { fail, ok, Result } from '../result';
import type { ConnectFlowTable, ConnectSessionTable, Database } from '../store/schema';
import type { Catalog } from './catalog';
import { OAuthClient, providerErrorCode, readPath, type TokenSet } from './oidc-client';
import type { ResolvedProvider } from './provider';
import { findProvider, listProviders } from './provider.repository';
import { openProvider } from './provider.service';
import { expiryOf, openTokens, sealTokens } from './tokens';

export interface ConnectDeps {
  db: Kysely<Database>;
  envelope: Envelope;
  catalog: Catalog;
  audit: AuditWriter;
  metrics: Pick<Metrics, 'providerTokenRequests'>;
  providerTimeoutMs: number;
  publicUrl: string;
  isReturnUrlAllowed(url: URL): boolean;
  now: () => Date;
}

/** Why the connect page could not go on; each has its own page text. */
export type ConnectFailureReason = 'session_unknown' | 'session_expired' | 'session_used' | 'provider_not_in_session' | 'state_mismatch' | 'consent_denied' | 'provider_error';

export interface ConnectFailure {
  reason: ConnectFailureReason;
  /** Where the user may go back to, with the error in the query, when the session is known. */
  returnUrl?: string;
}

/** Outcome of a connect page step: a value, or the page to show. */
export type PageResult<T> = { ok: true; value: T } | { ok: false; error: ConnectFailure };

export interface SessionView {
  tenantId: string;
  principalId: string;
  providers: { name: string; displayName: string }[];
  expiresAt: Date;
}

const DEFAULT_TTL_SECONDS = 600;
export const FLOW_COOKIE_PREFIX = 'alter_flow_';

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const callbackPath = '/v1/oauth/callback';

export class ConnectService {
  constructor(private readonly deps: ConnectDeps) {}

  get redirectUri(): string {
    return `${this.deps.publicUrl}${callbackPath}`;
  }

  async createSession(caller: Caller, body: CreateConnectSessionRequest, requestId: string): Promise<Result<ConnectSession>> {
    const returnUrl = new URL(body.returnUrl);
    if (!this.deps.isReturnUrlAllowed(returnUrl)) return fail('return_url_not_allowed', `returnUrl's origin ${returnUrl.origin} is not an allowed return origin (ALTER_ALLOWED_RETURN_ORIGINS)`);
    const configured = new Set((await listProviders(this.deps.db, caller.tenantId)).map((p) => p.name));
    const providers = body.providers ?? [...configured];
    const unknown = providers.filter((p) => !configured.has(p));
    if (unknown.length > 0) return fail('provider_not_found', `not configured for this tenant: ${unknown.join(', ')}`);
    if (providers.length === 0) return fail('provider_not_found', 'no OAuth provider is configured for this tenant (PUT /v1/providers/{name})');
    const token = `avc_${randomBytes(32).toString('base64url')}`;
    const now = this.deps.now();
    const expiresAt = new Date(now.getTime() + (body.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
    await this.deps.db
      .insertInto('connect_sessions')
      .values({
        id: randomUUID(),
        tenant_id: caller.tenantId,
        token_hash: sha256(token),
        principal_id: body.principalId,
        providers: JSON.stringify(providers),
        agent_id: body.agentId ?? null,
        return_url: returnUrl.href,
        created_by: caller.actor.id,
        expires_at: expiresAt,
      })
      .execute();
    await this.deps.audit.write({ tenantId: caller.tenantId, requestId, actor: caller.actor, principalId: body.principalId, ...(body.agentId ? { agentId: body.agentId } : {}), action: 'connect.session.create', decision: 'allow', outcome: 'ok', context: { providers: providers.join(',') } });
    return ok({ token, url: `${this.deps.publicUrl}/connect/${token}`, expiresAt: expiresAt.toISOString() });
  }

  /** The session behind a page's token, if it may still be used. */
  async viewSession(token: string): Promise<PageResult<SessionView>> {
    const session = await this.usableSession(token);
    if (!session.ok) return session;
    const s = session.value;
    const providers = [];
    for (const name of s.providers) {
      const row = await findProvider(this.deps.db, s.tenant_id, name);
      const entry = row?.template ? this.deps.catalog.oauth(row.template) : undefined;
      if (row) providers.push({ name, displayName: entry?.displayName ?? name });
    }
    return { ok: true, value: { tenantId: s.tenant_id, principalId: s.principal_id, providers, expiresAt: s.expires_at } };
  }

  /** Starts one authorization attempt: answers the provider's authorization URL and the flow id for the browser cookie. */
  async startFlow(token: string, providerName: string): Promise<PageResult<{ redirect: URL; flowId: string; maxAgeSeconds: number }>> {
    const session = await this.usableSession(token);
    if (!session.ok) return session;
    const s = session.value;
    if (!s.providers.includes(providerName)) return { ok: false, error: { reason: 'provider_not_in_session', returnUrl: s.return_url } };
    const opened = await openProvider(this.deps, this.deps.db, s.tenant_id, providerName);
    if (!opened.ok) return { ok: false, error: { reason: 'provider_error', returnUrl: s.return_url } };
    const client = this.client(opened.value);
    const flowId = randomUUID();
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = client.isOidc ? oidc.randomNonce() : undefined;
    await this.deps.db.transaction().execute(async (trx) => {
      const sealed = await this.deps.envelope.encrypt(trx, { tenantId: s.tenant_id, grantId: flowId, plaintext: Buffer.from(JSON.stringify({ codeVerifier, nonce }), 'utf8') });
      await trx
        .insertInto('connect_flows')
        .values({ id: flowId, tenant_id: s.tenant_id, session_id: s.id, state_hash: sha256(state), provider: providerName, dek_id: sealed.dekId, sealed: sealed.ciphertext, expires_at: s.expires_at })
        .execute();
    });
    const redirect = await client.authorizationUrl({ redirectUri: this.redirectUri, state, codeVerifier, nonce });
    const maxAgeSeconds = Math.max(1, Math.ceil((s.expires_at.getTime() - this.deps.now().getTime()) / 1000));
    return { ok: true, value: { redirect, flowId, maxAgeSeconds } };
  }

  /**
   * The provider's redirect back. `query` is the callback's query string; `browserFlows` the
   * flow ids named by the browser's cookies. Every refusal is audited in the flow's tenant
   * when one is known, and stores nothing.
   */
  async completeFlow(query: URLSearchParams, browserFlows: string[]): Promise<PageResult<{ returnUrl: string; grantId: string }>> {
    const state = query.get('state');
    const flow = state ? await this.deps.db.selectFrom('connect_flows').selectAll().where('state_hash', '=', sha256(state)).executeTakeFirst() : undefined;
    if (!flow || !browserFlows.includes(flow.id)) {
      // Unknown state, or a state this browser did not start: attribute it to a flow the browser did start.
      const known = flow ?? (browserFlows.length > 0 ? await this.deps.db.selectFrom('connect_flows').selectAll().where('id', 'in', browserFlows).executeTakeFirst() : undefined);
      if (known) await this.auditFlow(known, 'deny', 'state_mismatch');
      return { ok: false, error: { reason: 'state_mismatch' } };
    }
    const session = await this.deps.db.selectFrom('connect_sessions').selectAll().where('id', '=', flow.session_id).executeTakeFirstOrThrow();
    const now = this.deps.now();
    const back = (reason: ConnectFailureReason) => ({ ok: false as const, error: { reason, returnUrl: withQuery(session.return_url, { error: reason, provider: flow.provider }) } });
    if (session.used_at) {
      await this.auditFlow(flow, 'deny', 'session_used', session);
      return back('session_used');
    }
    if (session.expires_at <= now || flow.expires_at <= now) {
      await this.auditFlow(flow, 'deny', 'session_expired', session);
      return back('session_expired');
    }
    const providerError = query.get('error');
    if (providerError) {
      // The user may try again from the same session: only this attempt ends.
      await this.deps.db.deleteFrom('connect_flows').where('id', '=', flow.id).execute();
      const reason = providerError === 'access_denied' ? 'consent_denied' : 'provider_error';
      // The provider's error code, as it sent it (capped: it is the provider's text, not ours).
      await this.auditFlow(flow, 'deny', reason, session, providerError.slice(0, 100));
      return back(reason);
    }
    const opened = await openProvider(this.deps, this.deps.db, flow.tenant_id, flow.provider);
    if (!opened.ok) {
      await this.auditFlow(flow, 'deny', opened.error.code, session);
      return back('provider_error');
    }
    const secrets = JSON.parse((await this.deps.envelope.decrypt(this.deps.db, { tenantId: flow.tenant_id, grantId: flow.id, dekId: flow.dek_id, ciphertext: Buffer.from(flow.sealed) })).toString('utf8')) as {
      codeVerifier: string;
      nonce?: string;
    };
    const client = this.client(opened.value);
    let tokens: TokenSet;
    let account: { id: string; label: string | undefined };
    try {
      tokens = await client.exchangeCode(new URL(`${this.redirectUri}?${query.toString()}`), { state: state!, codeVerifier: secrets.codeVerifier, nonce: secrets.nonce });
      const found = await this.readAccount(client, tokens);
      if (!found) {
        await this.auditFlow(flow, 'deny', 'account_unknown', session, `no ${opened.value.provider.account.id} in the provider's ${opened.value.provider.account.from}`);
        return back('provider_error');
      }
      account = found;
    } catch (err) {
      await this.auditFlow(flow, 'deny', 'provider_error', session, providerErrorCode(err) ?? (err as Error).name);
      return back('provider_error');
    }
    const provider = opened.value.provider;
    const scopes = grantedScopes(tokens, provider.scopes);
    const stored = await this.deps.db.transaction().execute(async (trx): Promise<{ grantId: string; reconnected: boolean } | null> => {
      // Single use, even against a concurrent callback for the same session.
      const claimed = await trx.updateTable('connect_sessions').set({ used_at: now }).where('id', '=', session.id).where('used_at', 'is', null).returning('id').executeTakeFirst();
      if (!claimed) return null;
      const existing = await trx
        .selectFrom('grants')
        .select(['id', 'dek_id', 'ciphertext'])
        .where('tenant_id', '=', flow.tenant_id)
        .where('kind', '=', 'oauth')
        .where('provider', '=', flow.provider)
        .where('principal_id', '=', session.principal_id)
        .where('account_id', '=', account.id)
        .where('status', '<>', 'revoked')
        .forUpdate()
        .executeTakeFirst();
      const grantId = existing?.id ?? randomUUID();
      // Reconnecting keeps a refresh token the provider did not send again.
      const previous = existing?.ciphertext && existing.dek_id ? await openTokens(this.deps.envelope, trx, { tenantId: flow.tenant_id, grantId, dekId: existing.dek_id, ciphertext: existing.ciphertext }) : undefined;
      const refreshToken = tokens.refreshToken ?? previous?.refreshToken;
      const sealed = await sealTokens(this.deps.envelope, trx, flow.tenant_id, grantId, { accessToken: tokens.accessToken, ...(refreshToken ? { refreshToken } : {}) });
      const fields = {
        status: 'active' as const,
        dek_id: sealed.dekId,
        ciphertext: sealed.ciphertext,
        account_label: account.label ?? null,
        scopes: JSON.stringify(scopes),
        missing_scopes: null,
        allowed_hosts: JSON.stringify(provider.allowedHosts),
        access_expires_at: expiryOf(tokens.expiresIn, provider.accessTokenLifetimeSeconds, now),
        refreshed_at: null,
        refresh_failures: 0,
        refresh_retry_at: null,
        updated_at: now,
      };
      if (existing) await trx.updateTable('grants').set(fields).where('id', '=', grantId).execute();
      else
        await trx
          .insertInto('grants')
          .values({ id: grantId, tenant_id: flow.tenant_id, kind: 'oauth', provider: flow.provider, principal_id: session.principal_id, account_id: account.id, injection: JSON.stringify({ type: 'bearer' }), created_at: now, ...fields })
          .execute();
      // A session started with an agent delegates the grant to it (besides any other agents').
      if (session.agent_id) await insertDelegation(trx, { tenantId: flow.tenant_id, grantId, agentId: session.agent_id, at: now });
      await trx.deleteFrom('connect_flows').where('session_id', '=', session.id).execute();
      return { grantId, reconnected: existing !== undefined };
    });
    if (!stored) {
      await this.auditFlow(flow, 'deny', 'session_used', session);
      return back('session_used');
    }
    await this.deps.audit.write({
      ...this.flowAudit(flow, session),
      grantId: stored.grantId,
      action: 'grant.connect',
      decision: 'allow',
      outcome: 'ok',
      context: { reconnected: stored.reconnected, accountId: account.id },
    });
    return { ok: true, value: { grantId: stored.grantId, returnUrl: withQuery(session.return_url, { grantId: stored.grantId, provider: flow.provider, status: 'connected' }) } };
  }

  private client(opened: { provider: ResolvedProvider; clientSecret: string }): OAuthClient {
    return new OAuthClient(opened.provider, opened.clientSecret, { timeoutMs: this.deps.providerTimeoutMs, metrics: this.deps.metrics });
  }

  private async readAccount(client: OAuthClient, tokens: TokenSet): Promise<{ id: string; label: string | undefined } | undefined> {
    const { from, id, label } = client.provider.account;
    const doc = from === 'id_token' ? tokens.claims : from === 'userinfo' ? await client.userinfo(tokens.accessToken) : tokens.raw;
    const accountId = readPath(doc, id);
    return accountId ? { id: accountId, label: label ? readPath(doc, label) : undefined } : undefined;
  }

  private async usableSession(token: string): Promise<PageResult<SessionRow>> {
    const row = token.startsWith('avc_') ? await this.deps.db.selectFrom('connect_sessions').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst() : undefined;
    if (!row) return { ok: false, error: { reason: 'session_unknown' } };
    const back = { returnUrl: row.return_url };
    const now = this.deps.now();
    if (row.used_at) {
      await this.deps.audit.write({ ...this.sessionAudit(row), action: 'connect.session.open', decision: 'deny', outcome: 'session_used' });
      return { ok: false, error: { reason: 'session_used', ...back } };
    }
    if (row.expires_at <= now) {
      await this.deps.audit.write({ ...this.sessionAudit(row), action: 'connect.session.open', decision: 'deny', outcome: 'session_expired' });
      return { ok: false, error: { reason: 'session_expired', ...back } };
    }
    return { ok: true, value: row };
  }

  private sessionAudit(session: SessionRow): Pick<AuditInput, 'tenantId' | 'actor' | 'principalId' | 'agentId'> {
    return { tenantId: session.tenant_id, actor: { type: 'system' }, principalId: session.principal_id, ...(session.agent_id ? { agentId: session.agent_id } : {}) };
  }

  private flowAudit(flow: FlowRow, session?: SessionRow): Pick<AuditInput, 'tenantId' | 'actor' | 'principalId' | 'agentId' | 'provider'> {
    return { ...(session ? this.sessionAudit(session) : { tenantId: flow.tenant_id, actor: { type: 'system' } }), provider: flow.provider };
  }

  private async auditFlow(flow: FlowRow, decision: 'allow' | 'deny', outcome: string, session?: SessionRow, reason?: string): Promise<void> {
    await this.deps.audit.write({ ...this.flowAudit(flow, session), action: 'grant.connect', decision, outcome, ...(reason ? { reason } : {}) });
  }
}

type SessionRow = Selectable<ConnectSessionTable>;
type FlowRow = Selectable<ConnectFlowTable>;

/**
 * The scopes the provider says it granted (all requested ones when it does not say).
 * offline_access is rarely echoed; a refresh token shows it was granted.
 */
function grantedScopes(tokens: TokenSet, requested: string[]): string[] {
  const granted = tokens.scope ? tokens.scope.split(/[\s,]+/).filter(Boolean) : [...requested];
  if (tokens.refreshToken && requested.includes('offline_access') && !granted.includes('offline_access')) granted.push('offline_access');
  return granted;
}

function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}
