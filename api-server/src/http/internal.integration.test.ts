import { startTestApp, TestApp } from '../testing/app';
import { startHttpsUpstream } from '../testing/https-upstream';
import { allRouteSpecs } from './routes';

describe('probes, metrics, OpenAPI and shutdown', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it('answers /healthz and /readyz when the store, the key provider and the policy decision point answer', async () => {
    expect((await t.api('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ store: 'ok', keyProvider: 'ok', policy: 'ok', shuttingDown: false });
  });

  it('exposes request, audit and crypto metrics in Prometheus format', async () => {
    await t.api('POST', '/v1/secrets', { name: 'metric-probe', type: 'bearer', value: 'v', allowedHosts: ['api.example.com'] });
    await t.api('GET', '/v1/keys', undefined, { authorization: 'Bearer nope' });
    const metrics = await t.api('GET', '/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = String(metrics.body);
    expect(text).toMatch(/alter_http_requests_total\{method="POST",route="\/v1\/secrets",status="201",outcome="ok"\} 1/);
    expect(text).toMatch(/alter_http_requests_total\{method="GET",route="\/v1\/keys",status="401",outcome="invalid_api_key"\} 1/);
    expect(text).toMatch(/alter_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/v1\/secrets"\}/);
    expect(text).toMatch(/alter_audit_write_duration_seconds_count [1-9]/);
    expect(text).toMatch(/alter_kms_calls_total\{op="generate_data_key",outcome="ok"\} 1/);
  });

  it('describes every mounted route in /v1/openapi.json', async () => {
    const doc = (await t.api('GET', '/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const specs = allRouteSpecs(t.app.services);
    for (const spec of specs) {
      const path = spec.path.replace(/:(\w+)/g, '{$1}');
      expect({ route: `${spec.method} ${path}`, described: Boolean(doc.paths[path]?.[spec.method]) }).toEqual({ route: `${spec.method} ${path}`, described: true });
      // A path parameter is declared, so a malformed one is a 400 and not a failed lookup.
      expect({ route: `${spec.method} ${path}`, paramsDeclared: !spec.path.includes(':') || Boolean(spec.params) }).toEqual({ route: `${spec.method} ${path}`, paramsDeclared: true });
    }
    for (const path of ['/healthz', '/readyz', '/metrics', '/v1/openapi.json']) expect(doc.paths[path].get).toBeDefined();
    expect(doc.paths['/v1/secrets'].post.requestBody.content['application/json'].schema).toBeDefined();
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    expect((await t.api('GET', '/healthz', undefined, { 'x-request-id': 'req-123' })).headers.get('x-request-id')).toBe('req-123');
    expect((await t.api('GET', '/healthz', undefined, { 'x-request-id': `bad id <script>${'x'.repeat(200)}` })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight proxied call, then stops', async () => {
    const upstream = await startHttpsUpstream();
    const t = await startTestApp();
    try {
      const secret = await t.api('POST', '/v1/secrets', { name: 'slow', type: 'bearer', value: 'v', allowedHosts: [upstream.host] });
      const inFlight = t.api('POST', '/v1/proxy', { grantId: secret.body.grantId, method: 'GET', url: `${upstream.url}/slow`, query: { ms: '400' } });
      await new Promise((r) => setTimeout(r, 100));
      const stopping = t.app.stop();
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe(200);
      await stopping;
      await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
      // The audit row of the in-flight call was flushed before the store closed.
      const rows = await t.database.db.selectFrom('audit_events').select('outcome').where('action', '=', 'proxy').execute();
      expect(rows).toEqual([{ outcome: 'ok' }]);
    } finally {
      await t.database.drop();
      await upstream.close();
    }
  });
});
