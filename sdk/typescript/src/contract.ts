// The public contract v1: request schemas and response shapes shared by the server and
// its clients, so the API cannot drift from the SDK (STYLE 3).
import { z } from 'zod';

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
