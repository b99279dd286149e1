// forward() against a real local https server that the test CA signed (trusted through
// NODE_EXTRA_CA_CERTS), plus one it did not sign.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../testenv/util';
import { HttpsUpstream, startHttpsUpstream } from '../testing/https-upstream';
import { forward, UpstreamRequest } from './forward';
import { inject } from './injection';

const limits = { timeoutMs: 5_000, maxResponseBytes: 1_048_576 };
let upstream: HttpsUpstream;

beforeAll(async () => {
  upstream = await startHttpsUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.requests.splice(0));

const req = (p: string, extra: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  method: 'GET',
  url: new URL(p, upstream.url),
  headers: {},
  ...extra,
});

describe('forward', () => {
  it('sends method, path, query, headers and body, and returns the answer', async () => {
    const body = Buffer.from('{"hello":"wörld"}');
    const r = await forward(req('/echo/a?x=1&y=a%20b', { method: 'POST', headers: { 'content-type': 'application/json', 'x-trace': 't1' }, body }), limits);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.status).toBe(200);
    expect(r.value.headers['content-type']).toBe('application/json');
    const echoed = JSON.parse(r.value.body.toString('utf8'));
    expect(echoed).toMatchObject({ method: 'POST', path: '/echo/a?x=1&y=a%20b', body: '{"hello":"wörld"}' });
    expect(echoed.headers).toMatchObject({
      'content-type': 'application/json',
      'x-trace': 't1',
      'content-length': String(body.length),
      'accept-encoding': 'identity',
      host: upstream.host,
    });
    expect(upstream.requests).toHaveLength(1);
  });

  it('passes a caller-chosen accept-encoding through', async () => {
    const r = await forward(req('/echo', { headers: { 'accept-encoding': 'gzip' } }), limits);
    expect(r.ok && JSON.parse(r.value.body.toString()).headers['accept-encoding']).toBe('gzip');
  });

  it('returns upstream error statuses as answers', async () => {
    const r = await forward(req('/status/503'), limits);
    expect(r.ok && [r.value.status, r.value.body.toString()]).toEqual([503, 'status 503']);
  });

  it('answers HEAD without a body', async () => {
    const r = await forward(req('/echo', { method: 'HEAD' }), limits);
    expect(r.ok && [r.value.status, r.value.body.length]).toEqual([200, 0]);
  });

  it('answers HEAD whose declared length is over the limit', async () => {
    const r = await forward(req('/echo', { method: 'HEAD' }), { ...limits, maxResponseBytes: 10 });
    expect(r.ok && r.value.status).toBe(200);
  });

  it('returns a 3xx as-is and does not follow it', async () => {
    const target = `${upstream.url}/echo?followed=1`;
    const r = await forward(req(`/redirect?to=${encodeURIComponent(target)}`), limits);
    expect(r.ok && [r.value.status, r.value.headers.location]).toEqual([302, target]);
    expect(upstream.requests.map((q) => q.path)).toEqual([`/redirect?to=${encodeURIComponent(target)}`]);
  });

  it('joins repeated response headers and drops set-cookie and hop-by-hop ones', async () => {
    const r = await forward(req('/headers?x-multi=a&x-multi=b&set-cookie=sid%3D1&keep-alive=timeout%3D5&x-one=1'), limits);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.headers['x-multi']).toBe('a, b');
    expect(r.value.headers['x-one']).toBe('1');
    expect(r.value.headers).not.toHaveProperty('set-cookie');
    expect(r.value.headers).not.toHaveProperty('keep-alive');
    expect(r.value.headers).not.toHaveProperty('connection');
  });

  it('times out a server that never answers within the configured time', async () => {
    const started = Date.now();
    const r = await forward(req('/hang?token=s3cr3t'), { ...limits, timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(!r.ok && r.error.code).toBe('upstream_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    expect(JSON.stringify(r)).not.toContain('s3cr3t');
  });

  it('times out a response that starts too late', async () => {
    const r = await forward(req('/slow?ms=1000'), { ...limits, timeoutMs: 200 });
    expect(!r.ok && r.error.code).toBe('upstream_timeout');
  });

  it.each([
    ['a streamed response over the limit', '/big?bytes=4000000'],
    ['a declared content-length over the limit', '/echo'],
  ])('aborts %s', async (_name, p) => {
    const body = p === '/echo' ? Buffer.alloc(200_000, 'a') : undefined;
    const r = await forward(req(p, { method: 'POST', body }), { ...limits, maxResponseBytes: 100_000 });
    expect(!r.ok && r.error.code).toBe('upstream_response_too_large');
  });

  it('reports a refused connection as upstream_unreachable, without the query', async () => {
    const port = await freePort();
    const r = await forward({ method: 'GET', url: new URL(`https://127.0.0.1:${port}/x?api_key=s3cr3t`), headers: { authorization: 'Bearer s3cr3t' } }, limits);
    expect(!r.ok && r.error.code).toBe('upstream_unreachable');
    expect(!r.ok && r.error.message).toContain('ECONNREFUSED');
    expect(JSON.stringify(r)).not.toContain('s3cr3t');
  });

  it('reports a connection dropped before the answer as upstream_unreachable', async () => {
    const r = await forward(req('/drop', { method: 'POST', body: Buffer.from('x') }), limits);
    expect(!r.ok && r.error.code).toBe('upstream_unreachable');
  });

  it.each([
    ['retries an idempotent request once when a kept-alive socket was closed', 'GET', true],
    ['does not retry a POST on a closed kept-alive socket', 'POST', false],
  ])('%s', async (_name, method, answered) => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await forward(req('/first-per-connection'), { ...limits, agent });
      expect(first.ok).toBe(true);
      const second = await forward(req('/first-per-connection', { method }), { ...limits, agent });
      expect(second.ok ? second.value.status : second.error.code).toBe(answered ? 200 : 'upstream_unreachable');
      expect(upstream.requests).toHaveLength(answered ? 3 : 2);
    } finally {
      agent.destroy();
    }
  });

  it('refuses a server whose certificate the CA store does not trust', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'untrusted-tls-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      const untrusted = await startHttpsUpstream({ cert: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem')) });
      try {
        const r = await forward({ method: 'GET', url: new URL(`${untrusted.url}/echo`), headers: { authorization: 'Bearer s3cr3t' } }, limits);
        expect(!r.ok && r.error.code).toBe('upstream_unreachable');
        expect(!r.ok && r.error.message).toContain('TLS');
        expect(untrusted.requests).toHaveLength(0); // the credential never left
      } finally {
        await untrusted.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to send anything but https', async () => {
    await expect(forward({ method: 'GET', url: new URL('http://127.0.0.1/'), headers: {} }, limits)).rejects.toBeInstanceOf(TypeError);
  });

  it('delivers a SigV4-signed request with the host and query it signed', async () => {
    const signed = await inject(
      { type: 'aws_sigv4', value: { accessKeyId: 'AKID', secretAccessKey: 'secret', region: 'us-east-1', service: 'execute-api' } },
      req('/echo?b=2&a=x+y', { method: 'POST', body: Buffer.from('{}') }),
    );
    const r = await forward(signed, limits);
    if (!r.ok) throw new Error(r.error.message);
    const got = upstream.requests[0]!;
    expect(got.path).toBe('/echo?b=2&a=x%20y');
    expect(got.headers.host).toBe(upstream.host);
    expect(got.headers.authorization).toMatch(/SignedHeaders=host;x-amz-date, Signature=/);
  });
});
