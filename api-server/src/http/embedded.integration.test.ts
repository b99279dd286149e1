// The embedded default that `make up` runs: PGlite in the data directory and a local key
// generated beside it. The README's tour, end to end, with no Postgres involved.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../app';
import { parseConfig } from '../config';
import { apiClient } from '../testing/app';
import { HttpsUpstream, startHttpsUpstream } from '../testing/https-upstream';

describe('embedded mode (PGlite, generated local key)', () => {
  let dataDir: string;
  let upstream: HttpsUpstream;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'alter-embedded-'));
    upstream = await startHttpsUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a secret, proxies a call with it, audits the call, and keeps it all across a restart', async () => {
    const logs: string[] = [];
    const logDestination = new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString('utf8')), done()) });
    const bootstrapKey = `avk_${randomBytes(30).toString('base64url')}`;
    const config = parseConfig({ ALTER_PORT: '0', ALTER_DATA_DIR: dataDir, ALTER_BOOTSTRAP_KEY: bootstrapKey });
    const secretValue = `sk-embedded-${randomBytes(8).toString('hex')}`;

    const first = createApp(config, { logDestination });
    const api = apiClient((await first.start()).url, bootstrapKey);
    const secret = await api('POST', '/v1/secrets', { name: 'demo', type: 'bearer', value: secretValue, allowedHosts: [upstream.host] });
    expect(secret.status).toBe(201);
    await first.stop();
    expect(statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(logs.some((l) => l.includes('GENERATED A NEW MASTER KEY'))).toBe(true);

    // A restart reads the same PGlite directory and the same generated key.
    const second = createApp(config, { logDestination });
    const again = apiClient((await second.start()).url, bootstrapKey);
    try {
      const call = await again('POST', '/v1/proxy', { grantId: secret.body.grantId, method: 'GET', url: `${upstream.url}/echo` });
      expect(call.status).toBe(200);
      expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${secretValue}`);
      const audit = await again('GET', `/v1/audit?grant=${secret.body.grantId}&action=proxy`);
      expect(audit.body.events).toHaveLength(1);
      expect(audit.body.events[0]).toMatchObject({ decision: 'allow', outcome: 'ok', upstreamStatus: 200 });
      expect((await again('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true, firstBrokenSeq: null });
    } finally {
      await second.stop();
    }
    expect(logs.filter((l) => l.includes(secretValue))).toEqual([]);
  });
});
