// The public contract v1: request schemas and response shapes shared by the server and
// its clients, so the API cannot drift from the SDK (STYLE 3).
import { z } from 'zod';
import { policyRuleTypes } from './policy-rules';

export const scopes = [
  'keys:admin',
  'secrets:read',
  'secrets:write',
  'proxy:execute',
  'tokens:retrieve',
  'grants:read',
  'grants:write',
  'connect:create',
  'providers:read',
  'providers:write',
  'audit:read',
  'policies:read',
  'policies:write',
  'admin:reconcile',
] as const;
export type Scope = (typeof scopes)[number];

const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32');

/** The path of a route on one resource: `/v1/keys/{id}`, `/v1/secrets/{id}`, ... */
export const resourcePath = z.strictObject({ id: z.uuid() });

export const createKeyRequest = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(scopes)).min(1),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  cidrs: z.array(cidr).max(50).optional(),
  /** The key authenticates as this agent of the tenant (scopes proxy:execute and, where its Agent allows token mode, tokens:retrieve). */
  agentId: z.uuid().optional(),
});
export type CreateKeyRequest = z.infer<typeof createKeyRequest>;
export interface CreateKeyResponse {
  id: string;
  key: string;
  prefix: string;
  name: string;
  scopes: Scope[];
  expiresAt: string | null;
  cidrs: string[] | null;
  agentId: string | null;
}
export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  expiresAt: string | null;
  cidrs: string[] | null;
  createdAt: string;
  /** Set once the key is deprecated: it still works, and every answer carries a Deprecation header. */
  deprecatedAt: string | null;
  revokedAt: string | null;
  /** The agent the key authenticates as, if any. */
  agentId: string | null;
}
/** A new key with the old one's name, scopes, CIDRs and expiry; the old one is now deprecated. */
export interface RotateKeyResponse extends CreateKeyResponse {
  replaces: string;
}

/** `host`, `host:port` or `*.domain`, lower-case, no scheme or path. */
export const allowedHost = z
  .string()
  .regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/, 'expected host, host:port or *.domain in lower case');

export const secretTypes = ['bearer', 'header', 'basic', 'query', 'aws_sigv4'] as const;
export type SecretType = (typeof secretTypes)[number];

// Headers the transport owns: a secret may not be injected as one of them.
const transportHeaders = ['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection'];
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name')
  .refine((h) => !transportHeaders.includes(h.toLowerCase()), 'this header is set by the transport');
// Values travel in headers or URLs: control characters would split or corrupt the request.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const stringValue = z.string().min(1).max(16_384).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');
const basicValue = z.strictObject({ username: z.string().min(1).max(1024), password: z.string().max(16_384) });
const sigv4Value = z.strictObject({
  accessKeyId: z.string().min(1).max(256),
  secretAccessKey: z.string().min(1).max(1024),
  sessionToken: z.string().min(1).max(8192).optional(),
  region: z.string().regex(/^[a-z0-9-]+$/),
  service: z.string().regex(/^[a-z0-9-]+$/),
});
export const secretValue = z.union([stringValue, basicValue, sigv4Value]);
export type SecretValue = z.infer<typeof secretValue>;

const secretBase = {
  name: z.string().min(1).max(200),
  slug: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/).optional(),
  allowedHosts: z.array(allowedHost).min(1).max(50),
};
export const createSecretRequest = z.discriminatedUnion('type', [
  z.strictObject({ ...secretBase, type: z.literal('bearer'), value: stringValue }),
  z.strictObject({ ...secretBase, type: z.literal('header'), value: stringValue, headerName }),
  z.strictObject({ ...secretBase, type: z.literal('basic'), value: basicValue }),
  z.strictObject({ ...secretBase, type: z.literal('query'), value: stringValue, paramName: z.string().min(1).max(100) }),
  z.strictObject({ ...secretBase, type: z.literal('aws_sigv4'), value: sigv4Value }),
]);
export type CreateSecretRequest = z.infer<typeof createSecretRequest>;
export const rotateSecretRequest = z.strictObject({ value: secretValue });
export interface SecretInfo {
  id: string;
  grantId: string;
  slug: string;
  name: string;
  type: SecretType;
  allowedHosts: string[];
  createdAt: string;
  updatedAt: string;
}

const auditContext = z
  .record(z.string().max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
  .refine((c) => Object.keys(c).length <= 20, 'at most 20 context keys');

export const proxyRequest = z.strictObject({
  grantId: z.uuid(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  url: z.string().min(1).max(8192),
  headers: z.record(z.string(), z.string()).optional(),
  query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  body: z.unknown().optional(),
  bodyEncoding: z.enum(['utf8', 'base64', 'json']).optional(),
  reason: z.string().max(1000).optional(),
  context: auditContext.optional(),
});
export type ProxyRequest = z.infer<typeof proxyRequest>;
export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

export const retrieveTokenRequest = z.strictObject({
  grantId: z.uuid(),
  reason: z.string().max(1000).optional(),
  context: auditContext.optional(),
});
export interface Injection {
  type: SecretType;
  headerName?: string;
  paramName?: string;
}
export interface RetrieveTokenResponse {
  token: string;
  expiresAt: string | null;
  injection: Injection;
}

export const auditQuery = z.strictObject({
  caller: z.string().optional(),
  principal: z.string().optional(),
  grant: z.uuid().optional(),
  provider: z.string().optional(),
  action: z.string().optional(),
  outcome: z.string().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;
export const auditVerifyQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export interface AuditEvent {
  id: string;
  seq: number;
  occurredAt: string;
  requestId: string | null;
  actor: { type: string; id: string | null; keyPrefix: string | null };
  agentId: string | null;
  principalId: string | null;
  grantId: string | null;
  provider: string | null;
  action: string;
  method: string | null;
  url: string | null;
  decision: 'allow' | 'deny';
  outcome: string;
  upstreamStatus: number | null;
  latencyMs: number | null;
  reason: string | null;
  context: Record<string, unknown> | null;
  hash: string;
}
export interface AuditPage {
  events: AuditEvent[];
  nextCursor: string | null;
}
export interface AuditVerifyResponse {
  ok: boolean;
  checked: number;
  firstBrokenSeq: number | null;
  headSeq: number | null;
}

// OAuth providers configured per tenant (PUT /v1/providers/{name}).
export const providerName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and dashes');
const httpsUrl = z.url({ protocol: /^https$/, error: 'expected an https URL' }).max(2048);
const oauthScope = z.string().min(1).max(512).regex(/^[^\s]+$/, 'a scope has no spaces');
export const putProviderRequest = z.strictObject({
  /** A catalog entry (GET /v1/providers lists them); fields below override it. */
  template: providerName.optional(),
  issuer: httpsUrl.optional(),
  jwksUri: httpsUrl.optional(),
  authorizationUrl: httpsUrl.optional(),
  tokenUrl: httpsUrl.optional(),
  revocationUrl: httpsUrl.optional(),
  userinfoUrl: httpsUrl.optional(),
  clientId: z.string().min(1).max(512),
  /** Omitted on an update: the stored secret stays. */
  clientSecret: z.string().min(1).max(4096).optional(),
  /** The scopes every grant must hold; grants lacking one added later need re-consent. */
  scopes: z.array(oauthScope).max(100).optional(),
  allowedHosts: z.array(allowedHost).min(1).max(100).optional(),
  pkce: z.enum(['required', 'supported', 'unsupported']).optional(),
  tokenAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  authorizationParams: z.record(z.string().max(64), z.string().max(512)).optional(),
  /** Fixed values for the template's connection parameters (a shop, a subdomain). */
  connectionParams: z.record(z.string().max(64), z.string().max(256)).optional(),
  account: z
    .strictObject({
      from: z.enum(['id_token', 'userinfo', 'token_response']),
      id: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/),
      label: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/).optional(),
    })
    .optional(),
});
export type PutProviderRequest = z.infer<typeof putProviderRequest>;
export const providerPath = z.strictObject({ name: providerName });
export interface ProviderInfo {
  name: string;
  template: string | null;
  displayName: string;
  clientId: string;
  hasClientSecret: boolean;
  scopes: string[];
  allowedHosts: string[];
  authorizationUrl: string;
  tokenUrl: string;
  revocationUrl: string | null;
  issuer: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface CatalogEntryInfo {
  id: string;
  kind: 'oauth2' | 'secret';
  displayName: string;
  docs: string;
  defaultScopes?: string[];
  availableScopes?: string[];
  allowedHosts: string[];
}
export interface ProviderList {
  providers: ProviderInfo[];
  catalog: CatalogEntryInfo[];
}

// The hosted connect flow (POST /v1/connect/sessions).
export const createConnectSessionRequest = z.strictObject({
  principalId: z.string().min(1).max(256),
  providers: z.array(providerName).min(1).max(50).optional(),
  agentId: z.string().min(1).max(256).optional(),
  returnUrl: z.url({ protocol: /^https?$/ }).max(2048),
  /** Seconds the session may be used; 10 minutes by default, 1 hour at most. */
  ttlSeconds: z.number().int().min(30).max(3600).optional(),
});
export type CreateConnectSessionRequest = z.infer<typeof createConnectSessionRequest>;
export interface ConnectSession {
  /** The session's bearer token: show it to nobody but the end user's browser. */
  token: string;
  url: string;
  expiresAt: string;
}

// Grants (GET /v1/grants, GET/DELETE /v1/grants/{id}).
export const grantStatuses = ['active', 'needs_reauth', 'revoked'] as const;
export const listGrantsQuery = z.strictObject({
  principal: z.string().max(256).optional(),
  provider: z.string().max(63).optional(),
  status: z.enum(grantStatuses).optional(),
  kind: z.enum(['oauth', 'secret']).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export type ListGrantsQuery = z.infer<typeof listGrantsQuery>;
export interface GrantInfo {
  id: string;
  kind: 'oauth' | 'secret';
  provider: string;
  status: (typeof grantStatuses)[number];
  principalId: string | null;
  /** The agents this grant is delegated to (live delegations; GET /v1/grants/{id}/delegations lists them). */
  delegatedTo: string[];
  accountId: string | null;
  accountLabel: string | null;
  scopes: string[] | null;
  /** Scopes the provider now requires that this grant lacks: a use answers consent_required. */
  missingScopes: string[] | null;
  allowedHosts: string[];
  accessTokenExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
}
export interface GrantPage {
  grants: GrantInfo[];
  nextCursor: string | null;
}
/** What DELETE /v1/grants/{id} did at the provider; `already_revoked` on a repeat. */
export type ProviderRevocation = 'revoked' | 'unsupported' | 'failed' | 'already_revoked';
export interface RevokedGrant extends GrantInfo {
  providerRevocation: ProviderRevocation;
}

// Reconciliation from Kubernetes resources (PUT/DELETE /v1/admin/{kind}/{namespace}/{name}).
// A namespace of a cluster is a tenant; `cluster` (query) names the cluster, `default` unless given.
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a DNS-1123 label');
const dnsSubdomain = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a DNS-1123 subdomain');
export const adminPath = z.strictObject({ namespace: dnsLabel, name: dnsSubdomain });
export const adminQuery = z.strictObject({ cluster: dnsLabel.optional() });
export const putAgentRequest = z.strictObject({
  /** The Agent resource's UID: a deleted and recreated resource is a new agent. */
  uid: z.string().min(1).max(64),
  serviceAccountName: dnsSubdomain,
  /** Providers (or managed secrets, by slug) whose grants in the namespace the agent may use. */
  providers: z.array(z.string().min(1).max(63)).max(100).default([]),
  /** Single grants the agent may use besides those. */
  grants: z.array(z.uuid()).max(1000).default([]),
  tokenMode: z.enum(['allowed', 'forbidden']).default('forbidden'),
  /**
   * The Agent resource's policy parameters as operator rules targeting this agent (each one as
   * POST /v1/policies/rules takes it, without `target`); they replace the rules the previous
   * reconcile set. Rules made through /v1/policies/rules are left alone.
   */
  rules: z.array(z.looseObject({ type: z.enum(policyRuleTypes) })).max(20).default([]),
});
export type PutAgentRequest = z.input<typeof putAgentRequest>;
/** The request as the server reads it, defaults filled. */
export type PutAgentBody = z.output<typeof putAgentRequest>;
export interface AgentInfo {
  id: string;
  namespace: string;
  name: string;
  serviceAccountName: string;
  providers: string[];
  grants: string[];
  tokenMode: 'allowed' | 'forbidden';
  createdAt: string;
  updatedAt: string;
}
