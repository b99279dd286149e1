import { randomUUID } from 'node:crypto';
import type { ApiKeyInfo, CreateKeyRequest, CreateKeyResponse, ErrorCode, RotateKeyResponse, Scope } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import { scopes as allScopes } from '@alter-vault/sdk';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import type { Database } from '../store/schema';
import { DEFAULT_TENANT, ensureTenant } from '../tenants/tenant.service';
import { generateApiKey, hashApiKey, ipAllowed, keyPrefix, looksLikeApiKey, normaliseCidrs } from './api-key';
import { findApiKeyByHash, insertApiKey, listApiKeys, lockApiKey, markApiKeyDeprecated, revokeApiKey } from './api-key.repository';
import { agentById, findAgentById } from '../agents/agent.service';
import type { Authentication, Caller } from './caller';

type KeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as Scope[],
    expiresAt: row.expires_at?.toISOString() ?? null,
    cidrs: row.cidrs,
    createdAt: row.created_at.toISOString(),
    deprecatedAt: row.deprecated_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    agentId: row.agent_id,
  };
}

// What an agent's key may do: what its service-account token may do.
const AGENT_KEY_SCOPES: ReadonlySet<Scope> = new Set(['proxy:execute', 'tokens:retrieve']);

export async function createApiKey(db: Executor, tenantId: string, input: CreateKeyRequest, now: Date, key = generateApiKey()): Promise<Result<CreateKeyResponse>> {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt <= now) return fail('invalid_request', 'expiresAt must be in the future');
  let cidrs: string[] | null = null;
  if (input.cidrs) {
    const parsed = normaliseCidrs(input.cidrs);
    if (!parsed.ok) return fail('invalid_request', `invalid CIDR: ${parsed.invalid}`);
    cidrs = parsed.cidrs;
  }
  const scopes = [...new Set(input.scopes)];
  if (input.agentId) {
    if (!(await findAgentById(db, tenantId, input.agentId))) return fail('agent_not_found', 'no such agent in this tenant');
    const beyond = scopes.filter((s) => !AGENT_KEY_SCOPES.has(s));
    if (beyond.length > 0) return fail('invalid_request', `an agent's key may hold only ${[...AGENT_KEY_SCOPES].join(' and ')}, not ${beyond.join(', ')}`);
  }
  const row = await insertApiKey(db, { id: randomUUID(), tenantId, name: input.name, prefix: keyPrefix(key), hash: hashApiKey(key), scopes, cidrs, expiresAt, agentId: input.agentId ?? null });
  const info = toInfo(row);
  return ok({ id: info.id, key, prefix: info.prefix, name: info.name, scopes: info.scopes, expiresAt: info.expiresAt, cidrs: info.cidrs, agentId: info.agentId });
}

export async function listKeys(db: Executor, tenantId: string): Promise<ApiKeyInfo[]> {
  return (await listApiKeys(db, tenantId)).map(toInfo);
}

/** active → deprecated: the key keeps working, and every answer to it says it is deprecated. Idempotent. */
export async function deprecateKey(db: Kysely<Database>, tenantId: string, id: string, now: Date): Promise<Result<ApiKeyInfo>> {
  return db.transaction().execute(async (trx) => {
    const row = await lockLiveKey(trx, tenantId, id);
    if (!row.ok) return row;
    return ok(toInfo(row.value.deprecated_at ? row.value : await markApiKeyDeprecated(trx, id, now)));
  });
}

/**
 * Rotation without downtime: a new key with the old one's name, scopes, CIDRs and expiry,
 * and the old one deprecated (not revoked) so callers can move over; revoke it after.
 */
export async function rotateKey(db: Kysely<Database>, tenantId: string, id: string, now: Date): Promise<Result<RotateKeyResponse>> {
  return db.transaction().execute(async (trx) => {
    const locked = await lockLiveKey(trx, tenantId, id);
    if (!locked.ok) return locked;
    const row = locked.value;
    if (row.expires_at && row.expires_at <= now) return fail('invalid_request', `API key ${row.prefix} has expired: mint a new key instead`);
    const created = await createApiKey(
      trx,
      tenantId,
      {
        name: row.name,
        scopes: row.scopes as Scope[],
        ...(row.cidrs ? { cidrs: row.cidrs } : {}),
        ...(row.expires_at ? { expiresAt: row.expires_at.toISOString() } : {}),
        ...(row.agent_id ? { agentId: row.agent_id } : {}),
      },
      now,
    );
    if (!created.ok) return created;
    if (!row.deprecated_at) await markApiKeyDeprecated(trx, id, now);
    return ok({ ...created.value, replaces: id });
  });
}

/** The tenant's key, locked for a lifecycle change; a revoked key has no lifecycle left. */
async function lockLiveKey(trx: Executor, tenantId: string, id: string): Promise<Result<KeyRow>> {
  const row = await lockApiKey(trx, tenantId, id);
  if (!row) return fail('key_not_found', 'no such API key');
  return row.revoked_at ? fail('key_revoked', `API key ${row.prefix} is revoked`) : ok(row);
}

export async function revokeKey(db: Executor, tenantId: string, id: string, now: Date): Promise<Result<void>> {
  return (await revokeApiKey(db, tenantId, id, now)) ? ok(undefined) : fail('key_not_found', 'no such API key');
}

/** Checks a presented key: one indexed read, no cache, so a revocation holds on the next call. */
export async function authenticateApiKey(db: Executor, token: string, ip: string | undefined, now: Date): Promise<Authentication> {
  if (!looksLikeApiKey(token)) return fail('invalid_api_key', 'the API key is not valid');
  const row = await findApiKeyByHash(db, hashApiKey(token));
  if (!row) return fail('invalid_api_key', 'the API key is not valid');
  const caller: Caller = {
    tenantId: row.tenant_id,
    actor: { type: 'api_key', id: row.id, keyPrefix: row.prefix },
    scopes: new Set(row.scopes as Scope[]),
    ...(row.deprecated_at ? { deprecatedAt: row.deprecated_at } : {}),
  };
  const refuse = (code: ErrorCode, message: string): Authentication => ({ ...fail(code, message), identified: caller });
  if (row.revoked_at) return refuse('api_key_revoked', `API key ${row.prefix} was revoked`);
  if (row.expires_at && row.expires_at <= now) return refuse('api_key_expired', `API key ${row.prefix} has expired`);
  if (row.cidrs && !ipAllowed(ip, row.cidrs)) return refuse('ip_not_allowed', `API key ${row.prefix} may not be used from this address`);
  if (!row.agent_id) return ok(caller);
  // An agent's key acts as the agent, as its service-account token would (token mode only where its Agent allows).
  const agent = await agentById(db, row.tenant_id, row.agent_id);
  if (!agent) return fail('invalid_api_key', 'the API key is not valid');
  const scopes = new Set([...caller.scopes].filter((s) => s === 'proxy:execute' || (s === 'tokens:retrieve' && agent.tokenMode)));
  return ok({ ...caller, actor: { type: 'agent', id: agent.identity.id }, scopes, agent: agent.identity });
}

/**
 * ALTER_BOOTSTRAP_KEY: makes sure a key with that value exists (every scope, tenant
 * `default`), so a script can drive a new server without reading its log. A bootstrap
 * key that was revoked stays revoked.
 */
export async function ensureBootstrapKey(db: Executor, key: string, now: Date): Promise<'created' | 'exists' | 'revoked'> {
  const existing = await findApiKeyByHash(db, hashApiKey(key));
  if (existing) return existing.revoked_at ? 'revoked' : 'exists';
  const tenant = await ensureTenant(db, DEFAULT_TENANT);
  const created = await createApiKey(db, tenant.id, { name: 'bootstrap', scopes: [...allScopes] }, now, key);
  if (!created.ok) throw new TypeError(`bootstrap key rejected: ${created.error.message}`);
  return 'created';
}
