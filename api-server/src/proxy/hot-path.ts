// The hot path of DESIGN's request flow, shared by proxy mode and token mode:
// load grant → authorize → fresh token (OAuth) → decrypt → (inject → forward) → audit → answer.
// Every use, allowed or denied, writes one audit row before the answer; if that write
// fails, the answer is audit_unavailable.
import type { ProxyRequest, ProxyResponse, RetrieveTokenResponse } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import type { AuditInput } from '../audit/audit';
import type { AuditWriter } from '../audit/audit.writer';
import type { Caller } from '../auth/caller';
import type { Envelope } from '../crypto/envelope';
import { type Grant, isGrantId, type SealedCredential } from '../grants/grant';
import { loadGrantForUse } from '../grants/grant.service';
import type { Authorizer, GrantAction } from '../policy/authorizer';
import type { UseContext } from '../policy/rule.inputs';
import type { PolicyRules } from '../policy/rule.service';
import { CodedError, DomainError, fail, ok, Result } from '../result';
import type { GrantRefresher } from '../oauth/refresh';
import type { StoredTokens } from '../oauth/tokens';
import type { Database } from '../store/schema';
import { decodeRequestBody, encodeBody, forward } from './forward';
import { inject, SecretMaterial } from './injection';
import { checkCallerHeaders, checkCallerQuery, redactUrl, resolveTarget } from './target';

export interface HotPathDeps {
  db: Kysely<Database>;
  envelope: Envelope;
  authorizer: Authorizer;
  /** The operator's rules (POST /v1/policies/rules), decided by the policy with the authorizer. */
  rules: PolicyRules;
  audit: AuditWriter;
  refresher: GrantRefresher;
  proxy: { timeoutMs: number; maxResponseBytes: number };
  now: () => Date;
}

interface UseMeta {
  requestId: string;
  reason?: string | undefined;
  context?: Record<string, unknown> | undefined;
  /** The caller's address (express req.ip), for ip_allowlist rules. */
  ip?: string | undefined;
}

export class HotPath {
  constructor(private readonly deps: HotPathDeps) {}

  async proxy(caller: Caller, input: ProxyRequest, meta: UseMeta): Promise<Result<ProxyResponse>> {
    const started = Date.now();
    let url: string | null = null;
    const record = (grant: Grant | null, decision: 'allow' | 'deny', outcome: string, upstreamStatus?: number) =>
      this.audit(caller, 'proxy', input.grantId, grant, meta, { decision, outcome, method: input.method, url, upstreamStatus, latencyMs: Date.now() - started });
    const deny = async (grant: Grant | null, error: DomainError, decision: 'allow' | 'deny' = 'deny'): Promise<Result<never>> => {
      await record(grant, decision, error.code);
      return { ok: false, error };
    };

    const used = await this.loadAndAuthorize(caller, input.grantId, 'proxy', { ip: meta.ip, method: input.method, path: pathOf(input.url) });
    if (!used.ok) return deny(null, used.error);
    const { grant, sealed } = used.value;

    const target = resolveTarget({ url: input.url, query: input.query }, grant.allowedHosts);
    if (target.ok) url = redactUrl(target.value);
    if (!target.ok) return deny(grant, target.error);
    const headers = checkCallerHeaders(input.headers ?? {}, grant.injection);
    if (!headers.ok) return deny(grant, headers.error);
    const query = checkCallerQuery(target.value, grant.injection);
    if (!query.ok) return deny(grant, query.error);
    const body = decodeRequestBody(input.method, input.body, input.bodyEncoding);
    if (!body.ok) return deny(grant, body.error);

    const material = await this.decrypt(grant, sealed);
    if (!material.ok) return deny(grant, material.error);

    const requestHeaders = { ...headers.value, ...(body.value.contentType && !hasHeader(headers.value, 'content-type') ? { 'content-type': body.value.contentType } : {}) };
    const upstream = await forward(await inject(material.value, { method: input.method, url: target.value, headers: requestHeaders, ...(body.value.body ? { body: body.value.body } : {}) }), this.deps.proxy);
    if (!upstream.ok) return deny(grant, upstream.error, 'allow');

    await record(grant, 'allow', 'ok', upstream.value.status);
    const encoded = encodeBody(upstream.value.body, upstream.value.headers['content-type'], upstream.value.headers['content-encoding']);
    return ok({ status: upstream.value.status, headers: upstream.value.headers, body: encoded.body, bodyEncoding: encoded.bodyEncoding });
  }

  async retrieveToken(caller: Caller, grantId: string, meta: UseMeta): Promise<Result<RetrieveTokenResponse>> {
    const started = Date.now();
    const record = (grant: Grant | null, decision: 'allow' | 'deny', outcome: string) =>
      this.audit(caller, 'retrieve_token', grantId, grant, meta, { decision, outcome, latencyMs: Date.now() - started });
    const deny = async (grant: Grant | null, error: DomainError): Promise<Result<never>> => {
      await record(grant, 'deny', error.code);
      return { ok: false, error };
    };

    const used = await this.loadAndAuthorize(caller, grantId, 'retrieve_token', { ip: meta.ip });
    if (!used.ok) return deny(null, used.error);
    const { grant, sealed } = used.value;
    if (grant.injection.type === 'aws_sigv4') {
      const error = { code: 'token_mode_unsupported' as const, message: 'AWS credentials are only used in proxy mode, signed per request' };
      return deny(grant, error);
    }
    const material = await this.decrypt(grant, sealed);
    if (!material.ok) return deny(grant, material.error);
    await record(grant, 'allow', 'ok');
    const m = material.value;
    const token = m.type === 'basic' ? Buffer.from(`${m.value.username}:${m.value.password}`, 'utf8').toString('base64') : (m.value as string);
    return ok({ token, expiresAt: grant.accessExpiresAt?.toISOString() ?? null, injection: grant.injection });
  }

  private async loadAndAuthorize(caller: Caller, grantId: string, action: GrantAction, context: UseContext): Promise<Result<{ grant: Grant; sealed: SealedCredential | null }>> {
    // A caller acting for an end user finds only that user's grants.
    const onBehalfOf = caller.principal?.externalId;
    const loaded = await loadGrantForUse(this.deps.db, caller.tenantId, grantId, onBehalfOf);
    if (!loaded.ok) return loaded;
    // Rules that cannot be loaded deny (policy_unavailable); a use over a rate limit is counted here.
    const rules = await this.deps.rules.forUse(caller, loaded.value.grant, action, context);
    if (!rules.ok) return rules;
    const decision = await this.deps.authorizer.authorize({ caller, grant: loaded.value.grant, action, rules: rules.value });
    if (!decision.ok) return decision;
    const { grant } = loaded.value;
    if (grant.kind !== 'oauth' || !this.deps.refresher.isDue(grant.accessExpiresAt)) return loaded;
    // Expired or about to: refresh once (N concurrent uses, one provider call), then read the new token.
    const fresh = await this.deps.refresher.ensureFresh(caller.tenantId, grant.id);
    return fresh.ok ? loadGrantForUse(this.deps.db, caller.tenantId, grantId, onBehalfOf) : fresh;
  }

  /** The ciphertext holds the value only; how to inject it is the grant's (non-secret) injection. */
  private async decrypt(grant: Grant, sealed: SealedCredential | null): Promise<Result<SecretMaterial>> {
    if (!sealed) return fail('grant_revoked', 'the grant holds no credential');
    try {
      const plaintext = await this.deps.envelope.decrypt(this.deps.db, sealed);
      const stored: unknown = JSON.parse(plaintext.toString('utf8'));
      // An OAuth grant holds its tokens; only the access token is ever injected.
      const value = grant.kind === 'oauth' ? (stored as StoredTokens).accessToken : stored;
      return ok({ ...grant.injection, value } as SecretMaterial);
    } catch (err) {
      if (err instanceof CodedError) return fail(err.code, err.message);
      throw err;
    }
  }

  private async audit(
    caller: Caller,
    action: GrantAction,
    grantId: string,
    grant: Grant | null,
    meta: UseMeta,
    fields: Pick<AuditInput, 'decision' | 'outcome'> & { method?: string; url?: string | null; upstreamStatus?: number | undefined; latencyMs: number },
  ): Promise<void> {
    try {
      await this.deps.audit.write({
        tenantId: caller.tenantId,
        requestId: meta.requestId,
        actor: caller.actor,
        ...(caller.agent ? { agentId: caller.agent.id } : {}),
        // On whose behalf: the end user the caller acts for, or else the grant's.
        ...(caller.principal ? { principalId: caller.principal.externalId } : grant?.principalId ? { principalId: grant.principalId } : {}),
        ...(isGrantId(grantId) ? { grantId } : {}),
        ...(grant ? { provider: grant.provider } : {}),
        action,
        ...(fields.method ? { method: fields.method } : {}),
        ...(fields.url ? { url: fields.url } : {}),
        decision: fields.decision,
        outcome: fields.outcome,
        ...(fields.upstreamStatus !== undefined ? { upstreamStatus: fields.upstreamStatus } : {}),
        latencyMs: fields.latencyMs,
        ...(meta.reason ? { reason: meta.reason } : {}),
        ...(meta.context ? { context: meta.context } : {}),
      });
    } catch (err) {
      if (err instanceof CodedError) throw err;
      throw new CodedError('audit_unavailable', 'the audit log could not be written', { cause: err });
    }
  }
}

/** The normalised path of the caller's URL, as forwarded (dot segments resolved); '' when it does not parse. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}
