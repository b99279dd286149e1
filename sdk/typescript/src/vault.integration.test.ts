// The TypeScript client against a real server (Postgres, Cerbos, a local https upstream).
import { inspect } from 'node:util';
import { expectNoSecretsInLogs, startTestApp, TestApp } from '../../../api-server/src/testing/app';
import { HttpsUpstream, startHttpsUpstream } from '../../../api-server/src/testing/https-upstream';
import { freePort } from '../../../testenv/util';
import { GrantNotFound, InvalidRequest, MissingScope, PolicyUnavailable, Unauthenticated, Vault, VaultError } from './index';

const run = Math.random().toString(36).slice(2, 10);
const secretValue = `sk-sdk-${run}`;

describe('Vault client', () => {
  let t: TestApp;
  let upstream: HttpsUpstream;
  let vault: Vault;
  let grantId: string;
  beforeAll(async () => {
    upstream = await startHttpsUpstream();
    t = await startTestApp();
    vault = new Vault({ baseUrl: t.url, apiKey: t.bootstrapKey });
    ({ grantId } = await vault.secrets.create({ name: 'sdk', type: 'bearer', value: secretValue, allowedHosts: [upstream.host] }));
  });
  afterAll(async () => {
    expectNoSecretsInLogs(t.logs, [secretValue]);
    await t.stop();
    await upstream.close();
  });

  it('request() answers with the upstream response as a standard Response, the credential injected on the way', async () => {
    const res = await vault.request('POST', `${upstream.url}/echo/items`, { grantId, json: { name: 'widget' }, query: { page: '2' }, headers: { 'x-trace': 't-1' }, reason: 'sdk test', context: { runId: run } });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const echoed = (await res.json()) as { method: string; path: string; headers: Record<string, string>; body: string };
    expect(echoed).toMatchObject({ method: 'POST', path: '/echo/items?page=2', body: '{"name":"widget"}' });
    expect(echoed.headers).toMatchObject({ authorization: `Bearer ${secretValue}`, 'x-trace': 't-1', 'content-type': 'application/json' });

    const bytes = Uint8Array.from([0, 1, 2, 255]);
    const binary = (await (await vault.request('PUT', `${upstream.url}/echo`, { grantId, body: bytes })).json()) as { bodyBase64: string };
    expect(Buffer.from(binary.bodyBase64, 'base64')).toEqual(Buffer.from(bytes));
    const missing = await vault.request('GET', `${upstream.url}/status/404`, { grantId });
    expect(missing.status).toBe(404);

    const [event] = (await vault.audit.list({ grant: grantId, action: 'proxy', limit: 1 })).events.reverse();
    expect(event).toMatchObject({ decision: 'allow', upstreamStatus: 404, method: 'GET' });
  });

  it('getToken() hands out the token in token mode', async () => {
    expect(await vault.getToken(grantId, { reason: 'sdk test' })).toEqual({ token: secretValue, expiresAt: null, injection: { type: 'bearer' } });
  });

  it('trace() tags every use inside it, nested and across awaits, for the audit log', async () => {
    await vault.trace({ runId: `trace-${run}`, threadId: 't-1' }, async () => {
      await vault.getToken(grantId);
      await vault.trace({ toolName: 'search' }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await vault.request('GET', `${upstream.url}/echo`, { grantId, context: { threadId: 't-2' } });
      });
    });
    await vault.getToken(grantId);
    const events = (await vault.audit.list({ grant: grantId, limit: 3 })).events;
    expect(events.map((e) => [e.action, e.context])).toEqual([
      ['retrieve_token', null],
      ['proxy', { runId: `trace-${run}`, threadId: 't-2', toolName: 'search' }],
      ['retrieve_token', { runId: `trace-${run}`, threadId: 't-1' }],
    ]);
  });

  it('raises typed errors with the server’s stable codes', async () => {
    const unknown = vault.getToken('00000000-0000-4000-8000-000000000000');
    await expect(unknown).rejects.toBeInstanceOf(GrantNotFound);
    await expect(unknown).rejects.toMatchObject({ code: 'grant_not_found', status: 404, requestId: expect.any(String) });
    await expect(vault.request('GET', 'https://example.com/', { grantId })).rejects.toMatchObject({ name: 'InvalidRequest', code: 'host_not_allowed', status: 403 });
    await expect(vault.request('GET', `${upstream.url}/echo`, { grantId, headers: { Authorization: 'Bearer mine' } })).rejects.toBeInstanceOf(InvalidRequest);

    const narrow = await vault.keys.create({ name: 'reader', scopes: ['secrets:read'] });
    const reader = new Vault({ baseUrl: t.url, apiKey: narrow.key });
    await expect(reader.getToken(grantId)).rejects.toBeInstanceOf(MissingScope);
    await vault.keys.revoke(narrow.id);
    await expect(reader.secrets.list()).rejects.toMatchObject({ name: 'Unauthenticated', code: 'api_key_revoked', status: 401 });
    await expect(reader.secrets.list()).rejects.toBeInstanceOf(Unauthenticated);
  });

  it('manages secrets, keys and the audit log', async () => {
    const created = await vault.secrets.create({ name: 'rotating', type: 'header', headerName: 'X-Key', value: `v1-${run}`, allowedHosts: [upstream.host] });
    expect((await vault.secrets.get(created.id)).grantId).toBe(created.grantId);
    await vault.secrets.rotate(created.id, `v2-${run}`);
    expect((await vault.getToken(created.grantId)).token).toBe(`v2-${run}`);
    await vault.secrets.delete(created.id);
    await expect(vault.getToken(created.grantId)).rejects.toMatchObject({ code: 'grant_revoked' });
    expect((await vault.secrets.list()).map((s) => s.id)).not.toContain(created.id);

    const key = await vault.keys.create({ name: 'agent', scopes: ['tokens:retrieve'] });
    const rotated = await vault.keys.rotate(key.id);
    expect(rotated.replaces).toBe(key.id);
    expect((await vault.keys.list()).find((k) => k.id === key.id)?.deprecatedAt).toEqual(expect.any(String));
    expect((await new Vault({ baseUrl: t.url, apiKey: rotated.key }).getToken(grantId)).token).toBe(secretValue);

    const exported = [];
    for await (const event of vault.audit.export({ grant: created.grantId })) exported.push(event);
    expect(exported.map((e) => e.action)).toEqual(['secret.create', 'secret.rotate', 'retrieve_token', 'secret.delete', 'retrieve_token']);
    expect(await vault.audit.verify()).toMatchObject({ ok: true, firstBrokenSeq: null });
  });

  it('keeps the API key out of JSON, inspection and error messages', async () => {
    expect(JSON.stringify(vault)).not.toContain(t.bootstrapKey);
    expect(inspect(vault, { depth: 5, showHidden: true })).not.toContain(t.bootstrapKey);
    const failure = await vault.getToken('00000000-0000-4000-8000-000000000000').catch((err: VaultError) => err);
    expect(`${inspect(failure)} ${JSON.stringify(failure)}`).not.toContain(t.bootstrapKey);
  });

  it('fails with network_error when the vault cannot be reached, after retrying a refused connection', async () => {
    const port = await freePort();
    const started = Date.now();
    const offline = new Vault({ baseUrl: `http://127.0.0.1:${port}`, apiKey: t.bootstrapKey, retries: 2 });
    await expect(offline.secrets.list()).rejects.toMatchObject({ name: 'VaultError', code: 'network_error', status: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // two backoffs of at least 100 and 200 ms
  });
});

describe('Vault client retries', () => {
  it('sends a use again while the policy decision point is unavailable, and gives up with PolicyUnavailable', async () => {
    const upstream = await startHttpsUpstream();
    const port = await freePort();
    const t = await startTestApp({ env: { ALTER_CERBOS_ADDRESS: `127.0.0.1:${port}`, ALTER_CERBOS_TIMEOUT_MS: '200' } });
    try {
      const vault = new Vault({ baseUrl: t.url, apiKey: t.bootstrapKey, retries: 2 });
      const { grantId } = await vault.secrets.create({ name: 'no-pdp', type: 'bearer', value: 'sk-no-pdp', allowedHosts: [upstream.host] });
      await expect(vault.request('GET', `${upstream.url}/echo`, { grantId })).rejects.toBeInstanceOf(PolicyUnavailable);
      expect(upstream.requests).toHaveLength(0);
      // Three attempts, each denied and audited.
      const denied = await vault.audit.list({ grant: grantId, outcome: 'policy_unavailable' });
      expect(denied.events).toHaveLength(3);
    } finally {
      await t.stop();
      await upstream.close();
    }
  });
});
