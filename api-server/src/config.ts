// The api-server's configuration: every variable validated at start, every problem
// reported at once, then frozen and passed into createApp (STYLE 10). Only this file
// reads process.env.
import path from 'node:path';
import { z } from 'zod';

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const positiveInt = z.coerce.number().int().positive();
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const optionalText = z.string().trim().min(1).optional();

const env = z
  .object({
    ALTER_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    ALTER_HOST: z.string().min(1).default('127.0.0.1'),
    ALTER_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    ALTER_DATA_DIR: z.string().min(1).default('./.alter-data'),
    ALTER_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    ALTER_DB_POOL_SIZE: positiveInt.default(10),
    ALTER_DB_PREPARED_STATEMENTS: bool.default(true),
    ALTER_KEY_PROVIDER: z.enum(['local', 'aws-kms']).default('local'),
    ALTER_LOCAL_KEY: optionalText,
    ALTER_LOCAL_KEY_FILE: optionalText,
    ALTER_LOCAL_PREVIOUS_KEY_FILES: list.optional(),
    ALTER_KMS_KEY_ID: optionalText,
    ALTER_CERBOS_ADDRESS: optionalText,
    ALTER_CERBOS_POLICY_DIR: z.string().min(1).default('./policies'),
    ALTER_CERBOS_BINARY: optionalText,
    ALTER_CERBOS_TIMEOUT_MS: positiveInt.default(1_000),
    ALTER_CERBOS_DECISION_CACHE_MS: z.coerce.number().int().min(0).default(1_000),
    ALTER_BOOTSTRAP_KEY: z.string().regex(/^avk_[A-Za-z0-9_-]{24,}$/, 'must look like avk_ followed by at least 24 letters, digits, _ or -').optional(),
    ALTER_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    ALTER_MAX_REQUEST_BYTES: positiveInt.default(1_048_576),
    ALTER_PROXY_TIMEOUT_MS: positiveInt.default(30_000),
    ALTER_PROXY_MAX_RESPONSE_BYTES: positiveInt.default(10_485_760),
    ALTER_TRUST_PROXY: bool.default(false),
    ALTER_SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
    ALTER_PROVIDERS_DIR: z.string().min(1).optional(),
    ALTER_ALLOWED_RETURN_ORIGINS: list.pipe(z.array(z.url({ protocol: /^https?$/ }))).optional(),
    ALTER_PROVIDER_TIMEOUT_MS: positiveInt.default(10_000),
    ALTER_REFRESH_MARGIN_SECONDS: z.coerce.number().int().min(0).default(300),
    ALTER_REFRESH_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
    ALTER_REFRESH_CONCURRENCY: positiveInt.default(8),
    ALTER_K8S_ISSUERS: list
      .pipe(z.array(z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?=)?https:\/\/\S+$/, 'expected [cluster=]https://issuer')))
      .optional(),
    ALTER_K8S_AUDIENCE: z.string().min(1).default('alter-vault'),
    ALTER_K8S_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).default(30_000),
    ALTER_WALLET_SESSION_IDLE_MINUTES: positiveInt.default(30),
    ALTER_WALLET_SESSION_MAX_HOURS: positiveInt.max(720).default(12),
    ALTER_K8S_TOKENREVIEW: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected the name of a cluster of ALTER_K8S_ISSUERS').optional(),
    ALTER_K8S_TOKENREVIEW_SERVER: z.url({ protocol: /^https$/ }).default('https://kubernetes.default.svc'),
    ALTER_K8S_TOKENREVIEW_TOKEN_FILE: z.string().min(1).default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
    ALTER_K8S_TOKENREVIEW_CA_FILE: z.string().min(1).default('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt'),
  })
  .superRefine((e, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (e.ALTER_K8S_TOKENREVIEW && !(e.ALTER_K8S_ISSUERS ?? []).some((i) => (i.includes('=') && !i.startsWith('https://') ? i.slice(0, i.indexOf('=')) : 'default') === e.ALTER_K8S_TOKENREVIEW))
      issue('ALTER_K8S_TOKENREVIEW', 'names no cluster of ALTER_K8S_ISSUERS');
    if (e.ALTER_CERBOS_ADDRESS && e.ALTER_CERBOS_BINARY) issue('ALTER_CERBOS_BINARY', 'only used when the server starts its own PDP (no ALTER_CERBOS_ADDRESS)');
    if (e.ALTER_KEY_PROVIDER === 'local') {
      if (e.ALTER_LOCAL_KEY && e.ALTER_LOCAL_KEY_FILE) issue('ALTER_LOCAL_KEY', 'set ALTER_LOCAL_KEY or ALTER_LOCAL_KEY_FILE, not both');
      if (e.ALTER_KMS_KEY_ID) issue('ALTER_KMS_KEY_ID', 'only used with ALTER_KEY_PROVIDER=aws-kms');
      if (e.ALTER_DATABASE_URL && !e.ALTER_LOCAL_KEY && !e.ALTER_LOCAL_KEY_FILE)
        issue('ALTER_LOCAL_KEY_FILE', 'a shared Postgres needs a key every replica shares: set ALTER_LOCAL_KEY_FILE or ALTER_LOCAL_KEY (or use aws-kms)');
    } else {
      if (!e.ALTER_KMS_KEY_ID) issue('ALTER_KMS_KEY_ID', 'required with ALTER_KEY_PROVIDER=aws-kms');
      for (const name of ['ALTER_LOCAL_KEY', 'ALTER_LOCAL_KEY_FILE', 'ALTER_LOCAL_PREVIOUS_KEY_FILES'] as const)
        if (e[name]) issue(name, 'only used with ALTER_KEY_PROVIDER=local');
    }
  });

export type KeyProviderConfig =
  | { kind: 'local'; key?: string; keyFile?: string; previousKeyFiles: string[]; generateInDataDir: boolean }
  | { kind: 'aws-kms'; keyId: string };

/** Where policy decisions come from: a PDP beside the server, or one we start as a child. */
export type PolicyConfig = ({ kind: 'remote'; address: string } | { kind: 'embedded'; policyDir: string; binary?: string }) & { timeoutMs: number; cacheMs: number };

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  dbPoolSize: number;
  dbPreparedStatements: boolean;
  keyProvider: KeyProviderConfig;
  policy: PolicyConfig;
  bootstrapKey: string | undefined;
  logLevel: string;
  maxRequestBytes: number;
  proxy: { timeoutMs: number; maxResponseBytes: number };
  trustProxy: boolean;
  shutdownTimeoutMs: number;
  /** The provider catalog (providers/*.yaml). */
  providersDir: string;
  /** Origins a connect session may return to; null: loopback origins only (the embedded default). */
  allowedReturnOrigins: string[] | null;
  providerTimeoutMs: number;
  refresh: { marginMs: number; intervalMs: number; concurrency: number; backoffBaseMs: number; backoffMaxMs: number };
  /** Wallet sessions end after this long unused (idle) or after sign-in (max), whichever comes first. */
  wallet: { sessionIdleMs: number; sessionMaxMs: number };
  /** Clusters whose service-account tokens authenticate agents; empty: none. */
  kubernetes: {
    clusters: { name: string; issuer: string }[];
    audience: string;
    jwksCooldownMs: number;
    /** This cluster's tokens are also confirmed with its TokenReview API. */
    tokenReview: { cluster: string; server: string; tokenFile: string; caFile: string } | undefined;
  };
}

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function parseConfig(source: Record<string, string | undefined>): Readonly<Config> {
  // Empty variables count as unset, as in most twelve-factor servers.
  const present = Object.fromEntries(Object.entries(source).filter(([k, v]) => k.startsWith('ALTER_') && v !== ''));
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    // Messages name the variable, never echo its value: some of them are secrets.
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  const e = parsed.data;
  const keyProvider: KeyProviderConfig =
    e.ALTER_KEY_PROVIDER === 'aws-kms'
      ? { kind: 'aws-kms', keyId: e.ALTER_KMS_KEY_ID! }
      : {
          kind: 'local',
          ...(e.ALTER_LOCAL_KEY ? { key: e.ALTER_LOCAL_KEY } : {}),
          ...(e.ALTER_LOCAL_KEY_FILE ? { keyFile: e.ALTER_LOCAL_KEY_FILE } : {}),
          previousKeyFiles: e.ALTER_LOCAL_PREVIOUS_KEY_FILES ?? [],
          generateInDataDir: !e.ALTER_LOCAL_KEY && !e.ALTER_LOCAL_KEY_FILE,
        };
  return deepFreeze({
    port: e.ALTER_PORT,
    host: e.ALTER_HOST,
    publicUrl: (e.ALTER_PUBLIC_URL ?? `http://127.0.0.1:${e.ALTER_PORT}`).replace(/\/+$/, ''),
    dataDir: e.ALTER_DATA_DIR,
    databaseUrl: e.ALTER_DATABASE_URL,
    dbPoolSize: e.ALTER_DB_POOL_SIZE,
    dbPreparedStatements: e.ALTER_DB_PREPARED_STATEMENTS,
    keyProvider,
    policy: e.ALTER_CERBOS_ADDRESS
      ? { kind: 'remote', address: e.ALTER_CERBOS_ADDRESS, timeoutMs: e.ALTER_CERBOS_TIMEOUT_MS, cacheMs: e.ALTER_CERBOS_DECISION_CACHE_MS }
      : { kind: 'embedded', policyDir: e.ALTER_CERBOS_POLICY_DIR, ...(e.ALTER_CERBOS_BINARY ? { binary: e.ALTER_CERBOS_BINARY } : {}), timeoutMs: e.ALTER_CERBOS_TIMEOUT_MS, cacheMs: e.ALTER_CERBOS_DECISION_CACHE_MS },
    bootstrapKey: e.ALTER_BOOTSTRAP_KEY,
    logLevel: e.ALTER_LOG_LEVEL,
    maxRequestBytes: e.ALTER_MAX_REQUEST_BYTES,
    proxy: { timeoutMs: e.ALTER_PROXY_TIMEOUT_MS, maxResponseBytes: e.ALTER_PROXY_MAX_RESPONSE_BYTES },
    trustProxy: e.ALTER_TRUST_PROXY,
    shutdownTimeoutMs: e.ALTER_SHUTDOWN_TIMEOUT_MS,
    // The catalog ships beside the package (api-server/{src,dist}/../../providers).
    providersDir: e.ALTER_PROVIDERS_DIR ?? path.resolve(__dirname, '../../providers'),
    allowedReturnOrigins: e.ALTER_ALLOWED_RETURN_ORIGINS?.map((u) => new URL(u).origin) ?? null,
    providerTimeoutMs: e.ALTER_PROVIDER_TIMEOUT_MS,
    kubernetes: {
      clusters: (e.ALTER_K8S_ISSUERS ?? []).map((entry) => {
        const at = entry.indexOf('=');
        return at > 0 && !entry.startsWith('https://') ? { name: entry.slice(0, at), issuer: entry.slice(at + 1) } : { name: 'default', issuer: entry };
      }),
      audience: e.ALTER_K8S_AUDIENCE,
      jwksCooldownMs: e.ALTER_K8S_JWKS_COOLDOWN_MS,
      tokenReview: e.ALTER_K8S_TOKENREVIEW
        ? { cluster: e.ALTER_K8S_TOKENREVIEW, server: e.ALTER_K8S_TOKENREVIEW_SERVER, tokenFile: e.ALTER_K8S_TOKENREVIEW_TOKEN_FILE, caFile: e.ALTER_K8S_TOKENREVIEW_CA_FILE }
        : undefined,
    },
    wallet: { sessionIdleMs: e.ALTER_WALLET_SESSION_IDLE_MINUTES * 60_000, sessionMaxMs: e.ALTER_WALLET_SESSION_MAX_HOURS * 3_600_000 },
    refresh: { marginMs: e.ALTER_REFRESH_MARGIN_SECONDS * 1000, intervalMs: e.ALTER_REFRESH_INTERVAL_MS, concurrency: e.ALTER_REFRESH_CONCURRENCY, backoffBaseMs: 5_000, backoffMaxMs: 600_000 },
  });
}

export function configFromEnv(): Readonly<Config> {
  return parseConfig(process.env);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
