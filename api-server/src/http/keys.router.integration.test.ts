import { sql } from 'kysely';
import { createApiKey } from '../auth/api-key.service';
import { ApiAnswer, apiClient, expectNoSecretsInLogs, startTestApp, TestApp } from '../testing/app';
import { ensureTenant } from '../tenants/tenant.service';

describe('/v1/keys', () => {
  let t: TestApp;
  let clock = new Date();
  beforeAll(async () => {
    t = await startTestApp({ deps: { now: () => clock } });
  });
  // Every key minted here, and the bootstrap key: none may reach a log line.
  const minted: string[] = [];
  const mint = async (body: unknown): Promise<ApiAnswer> => {
    const answer = await t.api('POST', '/v1/keys', body);
    if (typeof answer.body?.key === 'string') minted.push(answer.body.key);
    return answer;
  };
  afterAll(async () => {
    expectNoSecretsInLogs(t.logs, [t.bootstrapKey, ...minted].map((key) => key.slice(12)));
    await t.stop();
  });
  beforeEach(() => {
    clock = new Date();
  });

  it('mints a key that works at once, shows it once and stores only its hash', async () => {
    const created = await mint({ name: 'ci', scopes: ['secrets:read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', scopes: ['secrets:read'], prefix: created.body.key.slice(0, 12) });
    expect(created.body.key).toMatch(/^avk_[A-Za-z0-9_-]{40}$/);

    const own = apiClient(t.url, created.body.key);
    expect((await own('GET', '/v1/secrets')).status).toBe(200);

    const listed = await t.api('GET', '/v1/keys');
    const entry = listed.body.keys.find((k: { id: string }) => k.id === created.body.id);
    expect(entry).toMatchObject({ prefix: created.body.prefix, revokedAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);

    const { rows } = await sql<{ row: string }>`select row_to_json(k)::text as row from api_keys k`.execute(t.database.db);
    expect(rows.length).toBeGreaterThan(0);
    for (const { row } of rows) expect(row).not.toContain(created.body.key.slice(12));
  });

  it('refuses a route whose scope the key lacks, with missing_scope', async () => {
    const { body } = await mint({ name: 'reader', scopes: ['secrets:read'] });
    const answer = await apiClient(t.url, body.key)('POST', '/v1/keys', { name: 'x', scopes: ['keys:admin'] });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('missing_scope');
  });

  it('makes a revocation effective on the next call', async () => {
    const { body } = await mint({ name: 'short-lived', scopes: ['secrets:read'] });
    const own = apiClient(t.url, body.key);
    expect((await own('GET', '/v1/secrets')).status).toBe(200);
    expect((await t.api('DELETE', `/v1/keys/${body.id}`)).status).toBe(204);
    const after = await own('GET', '/v1/secrets');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('api_key_revoked');
  });

  it('refuses an expired key with api_key_expired', async () => {
    const expiresAt = new Date(clock.getTime() + 60_000).toISOString();
    const { body } = await mint({ name: 'expiring', scopes: ['secrets:read'], expiresAt });
    expect((await apiClient(t.url, body.key)('GET', '/v1/secrets')).status).toBe(200);
    clock = new Date(clock.getTime() + 61_000);
    const after = await apiClient(t.url, body.key)('GET', '/v1/secrets');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('api_key_expired');
  });

  it.each([
    ['refuses a key used outside its CIDR allow-list', ['10.0.0.0/8', '2001:db8::/32'], 403],
    ['accepts a key used inside its IPv4 CIDR allow-list', ['127.0.0.0/8'], 200],
  ])('%s', async (_name, cidrs, status) => {
    const { body } = await mint({ name: 'net', scopes: ['secrets:read'], cidrs });
    const answer = await apiClient(t.url, body.key)('GET', '/v1/secrets');
    expect(answer.status).toBe(status);
    if (status === 403) expect(answer.body.error.code).toBe('ip_not_allowed');
  });

  it('binds keys to their tenant: another tenant neither lists nor revokes them', async () => {
    const other = await ensureTenant(t.database.db, `other-${Date.now()}`);
    const otherKey = await createApiKey(t.database.db, other.id, { name: 'other-admin', scopes: ['keys:admin'] }, new Date());
    if (!otherKey.ok) throw new Error('seed failed');
    const foreign = apiClient(t.url, otherKey.value.key);
    const { body: mine } = await mint({ name: 'mine', scopes: ['secrets:read'] });

    const listed = await foreign('GET', '/v1/keys');
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toEqual([otherKey.value.id]);
    const revoke = await foreign('DELETE', `/v1/keys/${mine.id}`);
    expect(revoke.status).toBe(404);
    expect(revoke.body.error.code).toBe('key_not_found');
    expect((await apiClient(t.url, mine.key)('GET', '/v1/secrets')).status).toBe(200);
  });

  it.each([
    ['no Authorization header', undefined, 'unauthenticated'],
    ['a token that is not an API key', 'Bearer hello', 'invalid_api_key'],
    ['an unknown API key', 'Bearer avk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'invalid_api_key'],
    ['a non-bearer scheme', 'Basic dXNlcjpwYXNz', 'unauthenticated'],
  ])('answers 401 for %s', async (_name, authorization, code) => {
    const answer = await apiClient(t.url, undefined)('GET', '/v1/keys', undefined, authorization ? { authorization } : {});
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe(code);
  });

  it.each([
    ['malformed JSON', '{"name": "x", ', 400, 'invalid_json'],
    ['an unknown field', { name: 'x', scopes: ['audit:read'], admin: true }, 400, 'invalid_request'],
    ['a wrong type', { name: 42, scopes: ['audit:read'] }, 400, 'invalid_request'],
    ['an unknown scope', { name: 'x', scopes: ['everything:all'] }, 400, 'invalid_request'],
    ['an invalid CIDR', { name: 'x', scopes: ['audit:read'], cidrs: ['300.1.1.1/8'] }, 400, 'invalid_request'],
    ['an expiry in the past', { name: 'x', scopes: ['audit:read'], expiresAt: '2001-01-01T00:00:00Z' }, 400, 'invalid_request'],
    ['an oversized body', { name: 'x'.repeat(1_100_000), scopes: ['audit:read'] }, 413, 'payload_too_large'],
  ])('refuses %s with a clear error', async (_name, body, status, code) => {
    const answer = await t.api('POST', '/v1/keys', body);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(typeof answer.body.error.message).toBe('string');
  });

  it('answers an unknown route with not_found in the error envelope', async () => {
    const answer = await t.api('GET', '/v1/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });

  it('rotates a key without downtime: the new key works at once, the old one keeps working as deprecated until revoked', async () => {
    const old = await mint({ name: 'agent-a', scopes: ['secrets:read'], cidrs: ['127.0.0.0/8', '::1/128'] });
    const oldClient = apiClient(t.url, old.body.key);
    expect((await oldClient('GET', '/v1/secrets')).headers.get('deprecation')).toBeNull();

    const rotated = await t.api('POST', `/v1/keys/${old.body.id}/rotate`);
    expect(rotated.status).toBe(201);
    minted.push(rotated.body.key);
    expect(rotated.body).toMatchObject({ name: 'agent-a', scopes: ['secrets:read'], cidrs: ['127.0.0.0/8', '::1/128'], replaces: old.body.id });
    expect(rotated.body.key).not.toBe(old.body.key);
    const newClient = apiClient(t.url, rotated.body.key);
    const fresh = await newClient('GET', '/v1/secrets');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('deprecation')).toBeNull();

    const stale = await oldClient('GET', '/v1/secrets');
    expect(stale.status).toBe(200);
    expect(stale.headers.get('deprecation')).toMatch(/^@\d{10}$/);
    expect((await oldClient('GET', '/v1/keys')).headers.get('deprecation')).toMatch(/^@\d{10}$/); // on refusals too
    const listed = (await t.api('GET', '/v1/keys')).body.keys.find((k: { id: string }) => k.id === old.body.id);
    expect(listed.deprecatedAt).toEqual(expect.any(String));
    expect(listed.revokedAt).toBeNull();

    expect((await t.api('DELETE', `/v1/keys/${old.body.id}`)).status).toBe(204);
    expect((await oldClient('GET', '/v1/secrets')).body.error.code).toBe('api_key_revoked');
    expect((await newClient('GET', '/v1/secrets')).status).toBe(200);
    expect((await t.api('POST', `/v1/keys/${old.body.id}/rotate`)).body.error.code).toBe('key_revoked');
    expect((await t.api('POST', `/v1/keys/${old.body.id}/deprecate`)).status).toBe(409);

    const audit = await t.api('GET', '/v1/audit?action=key.rotate');
    expect(audit.body.events[0]).toMatchObject({ decision: 'allow', outcome: 'ok', provider: rotated.body.prefix });
  });

  it('deprecates a key in place (idempotently) and refuses unknown keys', async () => {
    const key = await mint({ name: 'agent-b', scopes: ['secrets:read'] });
    const first = await t.api('POST', `/v1/keys/${key.body.id}/deprecate`);
    expect(first.status).toBe(200);
    expect(first.body.deprecatedAt).toEqual(expect.any(String));
    const again = await t.api('POST', `/v1/keys/${key.body.id}/deprecate`);
    expect(again.body.deprecatedAt).toBe(first.body.deprecatedAt);
    expect((await apiClient(t.url, key.body.key)('GET', '/v1/secrets')).headers.get('deprecation')).toMatch(/^@\d{10}$/);
    expect((await t.api('POST', '/v1/keys/00000000-0000-4000-8000-000000000000/deprecate')).body.error.code).toBe('key_not_found');
    expect((await t.api('POST', '/v1/keys/00000000-0000-4000-8000-000000000000/rotate')).status).toBe(404);
  });

  it.each([
    ['DELETE', '/v1/keys/not-a-uuid', undefined],
    ['GET', '/v1/secrets/not-a-uuid', undefined],
    ['PUT', '/v1/secrets/42/value', { value: 'x' }],
    ['DELETE', '/v1/secrets/..%2Fkeys', undefined],
  ])('refuses a malformed id in %s %s with invalid_request', async (method, path, body) => {
    const answer = await t.api(method, path, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid_request', message: 'the path is invalid' });
  });

  it('answers a well-formed but unknown id with not found', async () => {
    expect((await t.api('DELETE', '/v1/keys/00000000-0000-4000-8000-000000000000')).body.error.code).toBe('key_not_found');
    expect((await t.api('GET', '/v1/secrets/00000000-0000-4000-8000-000000000000')).body.error.code).toBe('secret_not_found');
  });
});
