// The client for app backends and agents. Proxy mode by default: vault.request() answers
// with the upstream's response as a standard Response, and the credential never reaches
// this process. Errors are typed (vault-error.ts); answers that guarantee nothing was done
// (the vault's store, key provider or policy decision point briefly unavailable) are
// retried with backoff and jitter, honouring Retry-After; nothing else is sent twice.
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  AgentInfo,
  ApiKeyInfo,
  AuditEvent,
  AuditPage,
  AuditQuery,
  AuditVerifyResponse,
  ConnectSession,
  CreateConnectSessionRequest,
  CreateKeyRequest,
  CreateKeyResponse,
  CreateSecretRequest,
  GrantInfo,
  GrantPage,
  ListGrantsQuery,
  ProviderInfo,
  ProviderList,
  ProxyRequest,
  PutAgentRequest,
  PutProviderRequest,
  ProxyResponse,
  RetrieveTokenResponse,
  RevokedGrant,
  RotateKeyResponse,
  SecretInfo,
} from './contract';
import { type ErrorBody, type ErrorCode, errorCodes } from './errors';
import { DEFAULT_TOKEN_PATH, ServiceAccountToken } from './service-account';
import { VaultError, vaultError } from './vault-error';

export interface VaultOptions {
  baseUrl: string;
  apiKey: string;
  /** Per attempt, from sending to the last byte of the answer. Default 30 s. */
  timeoutMs?: number;
  /** Further attempts after an answer that guarantees nothing was done. Default 2. */
  retries?: number;
}

export interface ServiceAccountOptions extends Omit<VaultOptions, 'apiKey'> {
  /** The projected service-account token (audience `alter-vault`). Default /var/run/secrets/tokens/alter-vault. */
  tokenPath?: string;
}

export interface UseOptions {
  /** Why the call is made; lands in the audit row. */
  reason?: string;
  /** runId, threadId, toolName, ...: short scalar values, kept in the audit row. */
  context?: Record<string, string | number | boolean>;
}

export interface RequestOptions extends UseOptions {
  grantId: string;
  /** Sent as JSON (content-type application/json). */
  json?: unknown;
  /** Sent as is: text, or bytes. */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  query?: Record<string, string | string[]>;
}

const RETRYABLE = new Set<string>(['policy_unavailable', 'kms_unavailable', 'store_unavailable', 'shutting_down']);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const knownCode = (code: unknown): code is ErrorCode => typeof code === 'string' && (errorCodes as readonly string[]).includes(code);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type AuditContext = NonNullable<UseOptions['context']>;

export class Vault {
  readonly baseUrl: string;
  readonly #trace = new AsyncLocalStorage<AuditContext>();
  #credential: string | ServiceAccountToken;
  readonly #timeoutMs: number;
  readonly #retries: number;

  constructor(options: VaultOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#credential = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 2;
  }

  /**
   * A client for an agent in Kubernetes: authenticates with the pod's projected
   * service-account token instead of an API key. The file is re-read when the kubelet
   * rotates it, so a long-running agent keeps working; a missing or empty file throws
   * `credential_unavailable` here, and on a call if it goes missing later.
   */
  static fromServiceAccount(options: ServiceAccountOptions): Vault {
    const { tokenPath = DEFAULT_TOKEN_PATH, ...rest } = options;
    const vault = new Vault({ ...rest, apiKey: '' });
    vault.#credential = new ServiceAccountToken(tokenPath).load();
    return vault;
  }

  /**
   * Tags every use made inside fn (and whatever it awaits) with these audit context values,
   * e.g. an agent run's `runId` and `threadId`. A call's own `context` wins on a clash.
   */
  trace<T>(context: AuditContext, fn: () => T): T {
    return this.#trace.run({ ...this.#trace.getStore(), ...context }, fn);
  }

  /** Calls a provider API with the grant's credential injected by the vault. */
  async request(method: ProxyRequest['method'], url: string, options: RequestOptions): Promise<Response> {
    const { grantId, json, body, headers, query, reason, context } = options;
    if (json !== undefined && body !== undefined) throw new TypeError('pass json or body, not both');
    const payload =
      json !== undefined
        ? { body: json, bodyEncoding: 'json' as const }
        : typeof body === 'string'
          ? { body, bodyEncoding: 'utf8' as const }
          : body
            ? { body: Buffer.from(body).toString('base64'), bodyEncoding: 'base64' as const }
            : {};
    const answer = await this.call<ProxyResponse>('POST', '/v1/proxy', { grantId, method, url, headers, query, ...payload, reason, context: this.traced(context) });
    const bytes = Buffer.from(answer.body, answer.bodyEncoding === 'base64' ? 'base64' : 'utf8');
    return new Response(NULL_BODY_STATUSES.has(answer.status) || method === 'HEAD' ? null : bytes, { status: answer.status, headers: answer.headers });
  }

  /** Token mode, where the grant and the policy allow it. Prefer request(). */
  async getToken(grantId: string, options: UseOptions = {}): Promise<RetrieveTokenResponse> {
    return this.call<RetrieveTokenResponse>('POST', '/v1/tokens/retrieve', { grantId, reason: options.reason, context: this.traced(options.context) });
  }

  private traced(context: AuditContext | undefined): AuditContext | undefined {
    const traced = this.#trace.getStore();
    return traced || context ? { ...traced, ...context } : undefined;
  }

  readonly secrets = {
    create: (input: CreateSecretRequest) => this.call<SecretInfo>('POST', '/v1/secrets', input),
    list: async () => (await this.call<{ secrets: SecretInfo[] }>('GET', '/v1/secrets')).secrets,
    get: (id: string) => this.call<SecretInfo>('GET', `/v1/secrets/${encodeURIComponent(id)}`),
    rotate: (id: string, value: CreateSecretRequest['value']) => this.call<SecretInfo>('PUT', `/v1/secrets/${encodeURIComponent(id)}/value`, { value }),
    delete: (id: string) => this.call<void>('DELETE', `/v1/secrets/${encodeURIComponent(id)}`),
  };

  readonly grants = {
    /** One page, newest first; pass `nextCursor` back as `cursor` for the next. */
    list: (query: ListGrantsQuery = {}) => this.call<GrantPage>('GET', `/v1/grants${queryString(query)}`),
    get: (id: string) => this.call<GrantInfo>('GET', `/v1/grants/${encodeURIComponent(id)}`),
    /** Revokes at the provider where it can, and deletes the ciphertext; `providerRevocation` says which happened. */
    revoke: (id: string) => this.call<RevokedGrant>('DELETE', `/v1/grants/${encodeURIComponent(id)}`),
  };

  readonly connect = {
    /** A short-lived, single-use URL to send the end user to. */
    createSession: (input: CreateConnectSessionRequest) => this.call<ConnectSession>('POST', '/v1/connect/sessions', input),
  };

  readonly providers = {
    /** This tenant's configured providers and the catalog. */
    list: () => this.call<ProviderList>('GET', '/v1/providers'),
    get: (name: string) => this.call<ProviderInfo>('GET', `/v1/providers/${encodeURIComponent(name)}`),
    put: (name: string, input: PutProviderRequest) => this.call<ProviderInfo>('PUT', `/v1/providers/${encodeURIComponent(name)}`, input),
  };

  /**
   * Reconciliation from Kubernetes resources (the operator's client; key scope admin:reconcile).
   * Each call is idempotent and acts in the tenant of `namespace` in `cluster` (default `default`).
   */
  readonly admin = {
    putAgent: (ref: AdminRef, input: PutAgentRequest) => this.call<AgentInfo>('PUT', adminPath('agents', ref), input),
    deleteAgent: (ref: AdminRef) => this.call<void>('DELETE', adminPath('agents', ref)),
    putProvider: (ref: AdminRef, input: PutProviderRequest) => this.call<ProviderInfo>('PUT', adminPath('providers', ref), input),
    deleteProvider: (ref: AdminRef) => this.call<void>('DELETE', adminPath('providers', ref)),
    putSecret: (ref: AdminRef, input: CreateSecretRequest) => this.call<SecretInfo>('PUT', adminPath('secrets', ref), input),
    deleteSecret: (ref: AdminRef) => this.call<void>('DELETE', adminPath('secrets', ref)),
  };

  readonly keys = {
    create: (input: CreateKeyRequest) => this.call<CreateKeyResponse>('POST', '/v1/keys', input),
    list: async () => (await this.call<{ keys: ApiKeyInfo[] }>('GET', '/v1/keys')).keys,
    rotate: (id: string) => this.call<RotateKeyResponse>('POST', `/v1/keys/${encodeURIComponent(id)}/rotate`),
    deprecate: (id: string) => this.call<ApiKeyInfo>('POST', `/v1/keys/${encodeURIComponent(id)}/deprecate`),
    revoke: (id: string) => this.call<void>('DELETE', `/v1/keys/${encodeURIComponent(id)}`),
  };

  readonly audit = {
    /** One page, newest first; pass `nextCursor` back as `cursor` for the next. */
    list: (query: AuditQuery = {}) => this.call<AuditPage>('GET', `/v1/audit${queryString(query)}`),
    /** Every matching event, oldest first, streamed. */
    export: (query: Omit<AuditQuery, 'cursor' | 'limit'> = {}) => this.exportEvents(query),
    verify: (range: { from?: string; to?: string } = {}) => this.call<AuditVerifyResponse>('GET', `/v1/audit/verify${queryString(range)}`),
  };

  /** The API key or token stays out of logs and serialised state. */
  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }

  private async *exportEvents(query: Omit<AuditQuery, 'cursor' | 'limit'>): AsyncGenerator<AuditEvent> {
    const res = await this.send('GET', `/v1/audit/export${queryString(query)}`, undefined, false);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line) yield JSON.parse(line) as AuditEvent;
    }
    if (pending.trim()) yield JSON.parse(pending) as AuditEvent;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body, true);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  /** Sends with retries; resolves with a 2xx answer or throws a VaultError. */
  private async send(method: string, path: string, body: unknown, timed: boolean): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const bearer = typeof this.#credential === 'string' ? this.#credential : await this.#credential.current();
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          // The signal also bounds reading the body; a streamed export is left to run.
          ...(timed ? { signal: AbortSignal.timeout(this.#timeoutMs) } : {}),
        });
      } catch (err) {
        const refused = (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
        // Refused: nothing reached the vault, so another attempt is safe.
        if (refused && attempt < this.#retries) {
          await sleep(backoff(attempt));
          continue;
        }
        if ((err as Error).name === 'TimeoutError') throw new VaultError('timeout', `no answer from the vault within ${this.#timeoutMs} ms`, 0, undefined, undefined, { cause: err });
        throw new VaultError('network_error', `could not reach the vault at ${this.baseUrl}`, 0, undefined, undefined, { cause: err });
      }
      if (res.ok) return res;
      const parsed = (await res.json().catch(() => undefined)) as Partial<ErrorBody> | undefined;
      const code = knownCode(parsed?.error?.code) ? parsed.error.code : 'internal_error';
      if (RETRYABLE.has(code) && attempt < this.#retries) {
        await sleep(retryAfterMs(res.headers.get('retry-after')) ?? backoff(attempt));
        continue;
      }
      throw vaultError(code, parsed?.error?.message ?? `the vault answered HTTP ${res.status}`, res.status, res.headers.get('x-request-id') ?? undefined, parsed?.error?.details);
    }
  }
}

/** Exponential, capped, with full jitter between half and all of it. */
function backoff(attempt: number): number {
  const ceiling = Math.min(5_000, 200 * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header || !/^\d{1,5}$/.test(header)) return undefined;
  return Math.min(30_000, Number(header) * 1_000);
}

/** A Kubernetes resource the admin API reconciles. */
export interface AdminRef {
  namespace: string;
  name: string;
  cluster?: string;
}

function adminPath(kind: 'agents' | 'providers' | 'secrets', ref: AdminRef): string {
  return `/v1/admin/${kind}/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}${queryString({ cluster: ref.cluster })}`;
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}
