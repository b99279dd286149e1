import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { sql } from 'kysely';
import { createApiKey } from '../auth/api-key.service';
import { ensureTenant } from '../tenants/tenant.service';
import { apiClient, expectNoSecretsInLogs, startTestApp, TestApp } from '../testing/app';
import { HttpsUpstream, startHttpsUpstream } from '../testing/https-upstream';

// Each stored value is unique to this run, so finding it anywhere else is a leak.
const run = Math.random().toString(36).slice(2, 10);
const secretValues = {
  bearer: `sk-bearer-${run}`,
  header: `hdr-${run}`,
  query: `qp-${run}`,
  password: `pw-${run}`,
  awsSecret: `aws-secret-${run}`,
  rotated: `sk-rotated-${run}`,
};

describe('/v1/secrets and the hot path (/v1/proxy, /v1/tokens/retrieve)', () => {
  let t: TestApp;
  let upstream: HttpsUpstream;
  const grants: Record<string, { id: string; grantId: string }> = {};

  beforeAll(async () => {
    upstream = await startHttpsUpstream();
    t = await startTestApp({ env: { ALTER_PROXY_TIMEOUT_MS: '1500', ALTER_PROXY_MAX_RESPONSE_BYTES: '100000' } });
    const allowedHosts = [upstream.host];
    const create = async (name: string, body: object) => {
      const answer = await t.api('POST', '/v1/secrets', { name, allowedHosts, ...body });
      expect(answer.status).toBe(201);
      grants[name] = answer.body;
    };
    await create('bearer', { type: 'bearer', value: secretValues.bearer });
    await create('header', { type: 'header', headerName: 'X-Api-Token', value: secretValues.header });
    await create('query', { type: 'query', paramName: 'api_key', value: secretValues.query });
    await create('basic', { type: 'basic', value: { username: 'svc', password: secretValues.password } });
    await create('aws', { type: 'aws_sigv4', value: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secretValues.awsSecret, region: 'eu-west-1', service: 'execute-api' } });
  });

  afterAll(async () => {
    // The secret values must never reach a log line, however the calls ended.
    expectNoSecretsInLogs(t.logs, Object.values(secretValues));
    await t.stop();
    await upstream.close();
  });

  const proxy = (grant: string, extra: object = {}) => t.api('POST', '/v1/proxy', { grantId: grants[grant]!.grantId, method: 'GET', url: `${upstream.url}/echo`, ...extra });
  const lastRequest = () => upstream.requests[upstream.requests.length - 1]!;

  it.each([
    ['bearer', (r: ReturnType<typeof lastRequest>) => expect(r.headers.authorization).toBe(`Bearer ${secretValues.bearer}`)],
    ['header', (r: ReturnType<typeof lastRequest>) => expect(r.headers['x-api-token']).toBe(secretValues.header)],
    ['query', (r: ReturnType<typeof lastRequest>) => expect(new URL(r.path, 'https://x').searchParams.get('api_key')).toBe(secretValues.query)],
    ['basic', (r: ReturnType<typeof lastRequest>) => expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`svc:${secretValues.password}`).toString('base64')}`)],
  ])('injects a %s credential into the upstream request and returns the answer', async (grant, check) => {
    const answer = await proxy(grant, { headers: { 'x-trace': 'abc' }, query: { page: '2' } });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe(200);
    expect(answer.body.bodyEncoding).toBe('utf8');
    const echoed = JSON.parse(answer.body.body);
    expect(echoed.headers['x-trace']).toBe('abc');
    expect(echoed.path).toContain('page=2');
    check(lastRequest());
  });

  it('signs an aws_sigv4 request per call with a signature the upstream can verify', async () => {
    const answer = await proxy('aws', { method: 'POST', url: `${upstream.url}/echo/items?b=2&a=1`, body: { hello: 'world' } });
    expect(answer.status).toBe(200);
    const received = lastRequest();
    const authorization = received.headers.authorization as string;
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/);
    // Recompute the signature over what actually arrived, as AWS would.
    const url = new URL(received.path, upstream.url);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
    const headers = Object.fromEntries(signedHeaders.map((h) => [h, String(received.headers[h])]));
    const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secretValues.awsSecret }, region: 'eu-west-1', service: 'execute-api', sha256: Sha256, applyChecksum: false });
    const amzDate = received.headers['x-amz-date'] as string;
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const expected = await signer.sign(
      { method: received.method, protocol: 'https:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: received.body },
      { signingDate },
    );
    expect(expected.headers.authorization ?? expected.headers.Authorization).toBe(authorization);
  });

  it('rotates a value while keeping the grantId; the next call uses the new value', async () => {
    const before = grants.bearer!;
    const rotated = await t.api('PUT', `/v1/secrets/${before.id}/value`, { value: secretValues.rotated });
    expect(rotated.status).toBe(200);
    expect(rotated.body.grantId).toBe(before.grantId);
    await proxy('bearer');
    expect(lastRequest().headers.authorization).toBe(`Bearer ${secretValues.rotated}`);
  });

  it('refuses a rotation whose value does not fit the secret type', async () => {
    const answer = await t.api('PUT', `/v1/secrets/${grants.basic!.id}/value`, { value: 'just-a-string' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });

  it('returns a redirect to the caller instead of following it', async () => {
    const answer = await proxy('bearer', { url: `${upstream.url}/redirect`, query: { to: 'https://elsewhere.example/steal' } });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe(302);
    expect(answer.body.headers.location).toBe('https://elsewhere.example/steal');
  });

  it.each([
    ['a URL that is not https', { url: 'http://127.0.0.1/echo' }, 400, 'url_not_https'],
    ['a host that is not allowed', { url: 'https://evil.example.com/echo' }, 403, 'host_not_allowed'],
    ['an allowed host on another port', { url: 'https://127.0.0.1:1/echo' }, 403, 'host_not_allowed'],
    ['a caller Authorization header', { headers: { Authorization: 'Bearer mine' } }, 400, 'forbidden_header'],
    ['a caller Cookie header', { headers: { cookie: 'a=b' } }, 400, 'forbidden_header'],
    ['a caller x-api-key header', { headers: { 'X-API-Key': 'k' } }, 400, 'forbidden_header'],
    ['a caller x-amz-security-token header', { headers: { 'x-amz-security-token': 't' } }, 400, 'forbidden_header'],
    ['a body on GET', { body: 'x' }, 400, 'invalid_request'],
  ])('refuses %s before any credential is used, and audits the denial', async (_name, extra, status, code) => {
    const sent = upstream.requests.length;
    const answer = await proxy('bearer', extra);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(upstream.requests.length).toBe(sent);
    const audit = await t.api('GET', `/v1/audit?grant=${grants.bearer!.grantId}&outcome=${code}`);
    expect(audit.body.events[0]).toMatchObject({ action: 'proxy', decision: 'deny', outcome: code });
  });

  it('refuses the secret’s own header name from the caller', async () => {
    const answer = await proxy('header', { headers: { 'x-api-token': 'override' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('forbidden_header');
  });

  it('answers upstream_timeout when the upstream does not answer in time', async () => {
    const answer = await proxy('bearer', { url: `${upstream.url}/hang` });
    expect(answer.status).toBe(504);
    expect(answer.body.error.code).toBe('upstream_timeout');
  });

  it('answers upstream_response_too_large past the response cap', async () => {
    const answer = await proxy('bearer', { url: `${upstream.url}/big`, query: { bytes: '500000' } });
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe('upstream_response_too_large');
  });

  it('answers an unknown grant and another tenant’s grant with the same 404', async () => {
    const other = await ensureTenant(t.database.db, `tenant-b-${run}`);
    const key = await createApiKey(t.database.db, other.id, { name: 'b', scopes: ['proxy:execute', 'tokens:retrieve'] }, new Date());
    if (!key.ok) throw new Error('seed failed');
    const foreign = apiClient(t.url, key.value.key);
    const theirs = await foreign('POST', '/v1/proxy', { grantId: grants.bearer!.grantId, method: 'GET', url: `${upstream.url}/echo` });
    const missing = await foreign('POST', '/v1/proxy', { grantId: '00000000-0000-4000-8000-000000000000', method: 'GET', url: `${upstream.url}/echo` });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual(missing.body);
    expect(theirs.body.error.code).toBe('grant_not_found');
    const token = await foreign('POST', '/v1/tokens/retrieve', { grantId: grants.bearer!.grantId });
    expect(token.status).toBe(404);
  });

  it('denies a key without proxy:execute and audits the denial', async () => {
    const { body } = await t.api('POST', '/v1/keys', { name: 'no-proxy', scopes: ['audit:read'] });
    const answer = await apiClient(t.url, body.key)('POST', '/v1/proxy', { grantId: grants.bearer!.grantId, method: 'GET', url: `${upstream.url}/echo` });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('missing_scope');
    const audit = await t.api('GET', `/v1/audit?caller=${body.prefix}`);
    expect(audit.body.events[0]).toMatchObject({ action: 'proxy', decision: 'deny', outcome: 'missing_scope', actor: { keyPrefix: body.prefix } });
  });

  it('hands out a token in token mode, but never AWS credentials', async () => {
    const header = await t.api('POST', '/v1/tokens/retrieve', { grantId: grants.header!.grantId, reason: 'sdk needs it' });
    expect(header.status).toBe(200);
    expect(header.body).toEqual({ token: secretValues.header, expiresAt: null, injection: { type: 'header', headerName: 'X-Api-Token' } });
    expect(header.headers.get('cache-control')).toBe('no-store');
    const aws = await t.api('POST', '/v1/tokens/retrieve', { grantId: grants.aws!.grantId });
    expect(aws.status).toBe(400);
    expect(aws.body.error.code).toBe('token_mode_unsupported');
  });

  it('asks the policy decision point once for repeated uses within its decision cache, and audits every use', async () => {
    const count = async (cache: string) => Number(new RegExp(`alter_policy_checks_total\\{decision="allow",cache="${cache}"\\} (\\d+)`).exec(String((await t.api('GET', '/metrics')).body))?.[1] ?? 0);
    const grantId = grants.header!.grantId;
    const [hits, misses] = [await count('hit'), await count('miss')];
    const before = (await t.api('GET', `/v1/audit?grant=${grantId}&action=retrieve_token`)).body.events.length;
    for (let i = 0; i < 3; i++) expect((await t.api('POST', '/v1/tokens/retrieve', { grantId })).status).toBe(200);
    expect((await count('hit')) - hits + (await count('miss')) - misses).toBe(3);
    expect(await count('hit')).toBeGreaterThanOrEqual(hits + 2);
    expect((await t.api('GET', `/v1/audit?grant=${grantId}&action=retrieve_token`)).body.events.length).toBe(before + 3);
  });

  it('audits a use tried with a revoked key in the key’s tenant, and sends nothing', async () => {
    const created = await t.api('POST', '/v1/keys', { name: 'leaked', scopes: ['proxy:execute'] });
    expect((await t.api('DELETE', `/v1/keys/${created.body.id}`)).status).toBe(204);
    const sent = upstream.requests.length;
    const tried = await apiClient(t.url, created.body.key)('POST', '/v1/proxy', { grantId: grants.bearer!.grantId, method: 'GET', url: `${upstream.url}/echo` });
    expect(tried.status).toBe(401);
    expect(tried.body.error.code).toBe('api_key_revoked');
    expect(upstream.requests.length).toBe(sent);
    const audit = await t.api('GET', `/v1/audit?grant=${grants.bearer!.grantId}&outcome=api_key_revoked`);
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0]).toMatchObject({ action: 'proxy', decision: 'deny', actor: { type: 'api_key', id: created.body.id, keyPrefix: created.body.prefix } });

    // A key nobody issued names no tenant: refused, and no chain is written to.
    const before = (await t.api('GET', '/v1/audit?outcome=invalid_api_key')).body.events.length;
    expect((await apiClient(t.url, `avk_${'x'.repeat(40)}`)('POST', '/v1/proxy', { grantId: grants.bearer!.grantId, method: 'GET', url: `${upstream.url}/echo` })).status).toBe(401);
    expect((await t.api('GET', '/v1/audit?outcome=invalid_api_key')).body.events.length).toBe(before);
  });

  it('audits each use with its context and the URL without query values', async () => {
    await proxy('query', { query: { q: 'private search' }, reason: 'answer ticket 7', context: { runId: `run-${run}`, threadId: 't-1', toolName: 'search' } });
    const audit = await t.api('GET', `/v1/audit?grant=${grants.query!.grantId}&action=proxy`);
    const event = audit.body.events[0];
    expect(event).toMatchObject({ decision: 'allow', outcome: 'ok', upstreamStatus: 200, method: 'GET', reason: 'answer ticket 7', context: { runId: `run-${run}`, threadId: 't-1', toolName: 'search' }, provider: 'query' });
    // The URL as the caller asked for it, with query values dropped (the injected key is not the caller's).
    expect(event.url).toBe(`${upstream.url}/echo?q=`);
    expect(event.latencyMs).toEqual(expect.any(Number));
  });

  it('deletes a secret with its ciphertext; uses then answer grant_revoked', async () => {
    const { id, grantId } = grants.basic!;
    expect((await t.api('DELETE', `/v1/secrets/${id}`)).status).toBe(204);
    const row = await t.database.db.selectFrom('grants').select(['status', 'ciphertext', 'dek_id']).where('id', '=', grantId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'revoked', ciphertext: null, dek_id: null });
    const answer = await proxy('basic');
    expect(answer.status).toBe(410);
    expect(answer.body.error.code).toBe('grant_revoked');
    expect((await t.api('GET', `/v1/secrets/${id}`)).status).toBe(404);
  });

  it('keeps every secret value out of the database, the audit log and the metrics', async () => {
    const { rows } = await sql<{ dump: string }>`
      select coalesce(string_agg(t::text, '\n'), '') as dump from (
        select row_to_json(g)::text as t from grants g union all
        select row_to_json(s)::text from managed_secrets s union all
        select row_to_json(a)::text from audit_events a) x`.execute(t.database.db);
    const metrics = await t.api('GET', '/metrics');
    const exported = await t.api('GET', '/v1/audit/export');
    for (const value of Object.values(secretValues)) {
      expect(rows[0]!.dump).not.toContain(value);
      expect(String(metrics.body)).not.toContain(value);
      expect(String(exported.body)).not.toContain(value);
    }
  });

  it.each([
    ['a missing type', { name: 'x', value: 'v', allowedHosts: ['a.example'] }],
    ['an unknown type', { name: 'x', type: 'magic', value: 'v', allowedHosts: ['a.example'] }],
    ['a header secret without headerName', { name: 'x', type: 'header', value: 'v', allowedHosts: ['a.example'] }],
    ['a basic secret with a string value', { name: 'x', type: 'basic', value: 'v', allowedHosts: ['a.example'] }],
    ['no allowed hosts', { name: 'x', type: 'bearer', value: 'v', allowedHosts: [] }],
    ['a URL as an allowed host', { name: 'x', type: 'bearer', value: 'v', allowedHosts: ['https://a.example/'] }],
  ])('refuses a secret with %s', async (_name, body) => {
    const answer = await t.api('POST', '/v1/secrets', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(JSON.stringify(answer.body)).not.toContain('"v"');
  });

  it('refuses a second secret with the same slug', async () => {
    const answer = await t.api('POST', '/v1/secrets', { name: 'bearer', type: 'bearer', value: 'v2', allowedHosts: ['a.example'] });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('secret_slug_taken');
  });
});
