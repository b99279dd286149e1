// Faults a production vault must survive: KMS down, Postgres down, the policy decision point
// down, a tampered row, an audit log that cannot be written. Each uses the real server
// behind a real network cut or a real process stop.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createTestKmsKey, testKmsClient } from '../../../testenv/kms';
import { testEnv } from '../../../testenv/env';
import { AwsKmsKeyProvider } from '../crypto/aws-kms-key-provider';
import { createLogger } from '../logger';
import { cerbosBinary, EmbeddedPdp, startEmbeddedPdp } from '../policy/embedded-pdp';
import { createTestDatabase } from '../testing/database';
import { expectNoSecretsInLogs, startTestApp, TestApp } from '../testing/app';
import { HttpsUpstream, startHttpsUpstream } from '../testing/https-upstream';
import { startTcpProxy, TcpProxy } from '../testing/tcp-proxy';

let upstream: HttpsUpstream;
beforeAll(async () => {
  upstream = await startHttpsUpstream();
});
afterAll(() => upstream.close());

const secretBody = (name: string, value: string) => ({ name, type: 'bearer', value, allowedHosts: [upstream.host] });

describe('KMS unreachable', () => {
  let kms: TcpProxy;
  let keyId: string;
  const kmsApp = async (database?: Awaited<ReturnType<typeof createTestDatabase>>) => {
    const keyProvider = await AwsKmsKeyProvider.create({ client: testKmsClient(`http://127.0.0.1:${kms.port}`), keyId });
    return startTestApp({ env: { ALTER_LOCAL_KEY: '', ALTER_KEY_PROVIDER: 'aws-kms', ALTER_KMS_KEY_ID: keyId }, deps: { keyProvider }, ...(database ? { database } : {}) });
  };
  beforeAll(async () => {
    keyId = await createTestKmsKey(testKmsClient());
    const endpoint = new URL(testEnv().kmsEndpoint);
    kms = await startTcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
  });
  afterAll(() => kms.close());

  it('answers 503 kms_unavailable on write with nothing written half-way, and works once KMS returns', async () => {
    const t = await kmsApp();
    try {
      await kms.cut();
      const answer = await t.api('POST', '/v1/secrets', secretBody('openai', 'sk-during-outage'));
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('kms_unavailable');
      for (const table of ['grants', 'managed_secrets', 'data_keys'] as const) {
        expect(await t.database.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).toEqual({ n: 0 });
      }
      expect((await t.api('GET', '/readyz')).status).toBe(503);

      await kms.restore();
      expect((await t.api('POST', '/v1/secrets', secretBody('openai', 'sk-after-outage'))).status).toBe(201);
      expect((await t.api('GET', '/readyz')).status).toBe(200);
      expectNoSecretsInLogs(t.logs, ['sk-during-outage', 'sk-after-outage']);
    } finally {
      await kms.restore().catch(() => undefined);
      await t.stop();
    }
  });

  it('denies a use with a cold data-key cache while KMS is down (audited), and does not cache the failure', async () => {
    const database = await createTestDatabase({ migrate: false });
    try {
      const first = await kmsApp(database);
      const secret = await first.api('POST', '/v1/secrets', secretBody('stripe', 'sk-cold-cache'));
      await first.stop();

      const t = await kmsApp(database);
      await kms.cut();
      const call = () => t.api('POST', '/v1/proxy', { grantId: secret.body.grantId, method: 'GET', url: `${upstream.url}/echo` });
      const denied = await call();
      expect(denied.status).toBe(503);
      expect(denied.body.error.code).toBe('kms_unavailable');
      const audit = await t.api('GET', `/v1/audit?grant=${secret.body.grantId}`);
      expect(audit.body.events[0]).toMatchObject({ action: 'proxy', decision: 'deny', outcome: 'kms_unavailable' });

      await kms.restore();
      const allowed = await call();
      expect(allowed.status).toBe(200);
      expect(JSON.parse(allowed.body.body).headers.authorization).toBe('Bearer sk-cold-cache');
      await t.stop();
    } finally {
      await kms.restore().catch(() => undefined);
      await database.drop();
    }
  });
});

describe('Postgres unreachable', () => {
  it('answers 503 store_unavailable while the store is cut off, and recovers when it returns', async () => {
    const database = await createTestDatabase({ migrate: false });
    const target = new URL(database.url);
    const pg = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const viaProxy = new URL(database.url);
    viaProxy.port = String(pg.port);
    const t = await startTestApp({ database: { ...database, url: viaProxy.toString() } });
    try {
      expect((await t.api('GET', '/v1/secrets')).status).toBe(200);
      await pg.cut();
      const down = await t.api('GET', '/v1/secrets');
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('store_unavailable');
      expect(down.headers.get('retry-after')).toBe('1');
      expect((await t.api('GET', '/readyz')).status).toBe(503);

      await pg.restore();
      expect((await t.api('GET', '/v1/secrets')).status).toBe(200);
      expect((await t.api('GET', '/readyz')).status).toBe(200);
    } finally {
      await t.stop();
      await pg.close();
      await database.drop();
    }
  });
});

describe('policy decision point unreachable', () => {
  const policyDir = path.resolve(__dirname, '../../../policies');
  let runDir: string;
  const startPdp = () => startEmbeddedPdp({ binary: cerbosBinary(undefined), policyDir, runDir, logger: createLogger('silent') });
  beforeAll(() => {
    runDir = mkdtempSync(path.join(os.tmpdir(), 'alter-pdp-'));
  });
  afterAll(() => rmSync(runDir, { recursive: true, force: true }));

  it('denies uses with policy_unavailable (audited, nothing sent, no token) while the PDP is down, past the short life of cached allows, and allows again when it returns', async () => {
    let pdp: EmbeddedPdp = await startPdp();
    const cacheMs = 4_000; // long enough that the cached use below always falls inside it
    const t = await startTestApp({ env: { ALTER_CERBOS_ADDRESS: pdp.address, ALTER_CERBOS_TIMEOUT_MS: '500', ALTER_CERBOS_DECISION_CACHE_MS: String(cacheMs) } });
    try {
      const cached = await t.api('POST', '/v1/secrets', secretBody('pdp-cached', 'sk-pdp-cached'));
      const fresh = await t.api('POST', '/v1/secrets', secretBody('pdp-fresh', 'sk-pdp-fresh'));
      const call = (grantId: string) => t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: `${upstream.url}/echo` });
      expect((await call(cached.body.grantId)).status).toBe(200);
      const allowedAt = Date.now();

      await pdp.stop();
      // The allow the PDP gave a moment ago holds for the cache's life, not a moment longer.
      expect(Date.now() - allowedAt).toBeLessThan(cacheMs);
      expect((await call(cached.body.grantId)).status).toBe(200);
      const sent = upstream.requests.length;
      const denied = await call(fresh.body.grantId);
      expect(denied.status).toBe(503);
      expect(denied.body.error.code).toBe('policy_unavailable');
      const token = await t.api('POST', '/v1/tokens/retrieve', { grantId: cached.body.grantId });
      expect(token.status).toBe(503);
      expect(JSON.stringify(token.body)).not.toContain('sk-pdp-cached');
      expect(upstream.requests.length).toBe(sent);
      expect((await t.api('GET', '/readyz')).body.checks.policy).toBe('unavailable');

      await new Promise((resolve) => setTimeout(resolve, Math.max(0, allowedAt + cacheMs - Date.now() + 50)));
      expect((await call(cached.body.grantId)).body.error.code).toBe('policy_unavailable');

      const audit = await t.api('GET', '/v1/audit?outcome=policy_unavailable');
      expect(audit.body.events.map((e: { action: string; decision: string; grantId: string }) => [e.action, e.decision, e.grantId])).toEqual([
        ['proxy', 'deny', cached.body.grantId],
        ['retrieve_token', 'deny', cached.body.grantId],
        ['proxy', 'deny', fresh.body.grantId],
      ]);

      pdp = await startPdp();
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) status = (await call(fresh.body.grantId)).status;
      expect(status).toBe(200);
      const metrics = String((await t.api('GET', '/metrics')).body);
      expect(metrics).toMatch(/alter_policy_checks_total\{decision="unavailable",cache="miss"\} [1-9]/);
      expectNoSecretsInLogs(t.logs, ['sk-pdp-cached', 'sk-pdp-fresh']);
    } finally {
      await t.stop();
      await pdp.stop();
    }
  });

  it('starts its embedded PDP again when the process dies, and the server finds it again within seconds', async () => {
    const pdp = await startPdp();
    const t = await startTestApp({ env: { ALTER_CERBOS_ADDRESS: pdp.address, ALTER_CERBOS_DECISION_CACHE_MS: '0' } });
    try {
      const secret = await t.api('POST', '/v1/secrets', secretBody('pdp-restarted', 'sk-pdp-restarted'));
      const retrieve = () => t.api('POST', '/v1/tokens/retrieve', { grantId: secret.body.grantId });
      expect((await retrieve()).status).toBe(200);

      const killed = pdp.pid!;
      process.kill(killed, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while ((pdp.pid === undefined || pdp.pid === killed) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pdp.pid).toEqual(expect.any(Number));
      expect(pdp.pid).not.toBe(killed);
      const back = Date.now();
      let status = 0;
      while (status !== 200 && Date.now() < back + 5_000) status = (await retrieve()).status;
      expect(status).toBe(200);
    } finally {
      await t.stop();
      await pdp.stop();
    }
  });

  it('refuses to start on a policy that does not compile, with Cerbos saying why', async () => {
    const broken = mkdtempSync(path.join(os.tmpdir(), 'alter-policies-'));
    try {
      mkdirSync(path.join(broken, 'resources'));
      writeFileSync(
        path.join(broken, 'resources', 'grant.yaml'),
        'apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: grant\n  version: default\n  rules:\n    - actions: ["proxy"]\n      effect: EFFECT_ALLOW\n      roles: ["api_key"]\n      condition: { match: { expr: "request.principal.attr.(" } }\n',
      );
      await expect(startTestApp({ env: { ALTER_CERBOS_POLICY_DIR: broken } })).rejects.toThrow(/compil/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});

describe('tampering and audit failure', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it('refuses a ciphertext copied to another row: it fails to decrypt and nothing is sent', async () => {
    const a = await t.api('POST', '/v1/secrets', secretBody('row-a', 'value-a'));
    const b = await t.api('POST', '/v1/secrets', secretBody('row-b', 'value-b'));
    const source = await t.database.db.selectFrom('grants').select(['ciphertext', 'dek_id']).where('id', '=', a.body.grantId).executeTakeFirstOrThrow();
    await t.database.db.updateTable('grants').set({ ciphertext: source.ciphertext, dek_id: source.dek_id }).where('id', '=', b.body.grantId).execute();
    const sent = upstream.requests.length;
    const answer = await t.api('POST', '/v1/proxy', { grantId: b.body.grantId, method: 'GET', url: `${upstream.url}/echo` });
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('ciphertext_invalid');
    expect(upstream.requests.length).toBe(sent);
  });

  it('fails the request when its audit row cannot be written, and hands out no token', async () => {
    const secret = await t.api('POST', '/v1/secrets', secretBody('audited', 'sk-must-not-leak'));
    await sql`alter table audit_events add constraint audit_blocked check (false) not valid`.execute(t.database.db);
    try {
      const token = await t.api('POST', '/v1/tokens/retrieve', { grantId: secret.body.grantId });
      expect(token.status).toBe(503);
      expect(token.body.error.code).toBe('audit_unavailable');
      expect(JSON.stringify(token.body)).not.toContain('sk-must-not-leak');
    } finally {
      await sql`alter table audit_events drop constraint audit_blocked`.execute(t.database.db);
    }
    expect((await t.api('POST', '/v1/tokens/retrieve', { grantId: secret.body.grantId })).status).toBe(200);
  });
});
