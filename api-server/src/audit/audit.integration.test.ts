import { sql } from 'kysely';
import { createApiKey } from '../auth/api-key.service';
import { openStore } from '../store/db';
import { ensureTenant } from '../tenants/tenant.service';
import { createTestDatabase, TestDatabase } from '../testing/database';
import { startTcpProxy } from '../testing/tcp-proxy';
import { apiClient, startTestApp, TestApp } from '../testing/app';
import type { AuditInput } from './audit';
import { verify } from './audit.service';
import { AuditWriter } from './audit.writer';

const use = (tenantId: string, n: number): AuditInput => ({
  tenantId,
  actor: { type: 'api_key', id: 'key-1', keyPrefix: 'avk_test' },
  action: 'proxy',
  method: 'GET',
  url: `https://api.example.com/items/${n}`,
  decision: 'allow',
  outcome: 'ok',
  upstreamStatus: 200,
  context: { runId: `run-${n % 3}` },
});

const seqsOf = async (database: TestDatabase, tenantId: string) =>
  (await database.db.selectFrom('audit_events').select('seq').where('tenant_id', '=', tenantId).orderBy('seq').execute()).map((r) => r.seq);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('AuditWriter on Postgres', () => {
  let database: TestDatabase;
  let acme: string;
  let globex: string;
  beforeEach(async () => {
    database = await createTestDatabase();
    acme = (await ensureTenant(database.db, 'acme')).id;
    globex = (await ensureTenant(database.db, 'globex')).id;
  });
  afterEach(() => database.drop());

  it('commits 200 concurrent writes of two tenants as two contiguous chains, in fewer transactions than rows', async () => {
    const batches: number[] = [];
    const writer = new AuditWriter(database.db, { batchSize: { observe: (n) => batches.push(n) } });
    const events = await Promise.all(oneTo(200).map((n) => writer.write(use(n % 2 ? acme : globex, n))));
    await writer.close();
    expect(new Set(events.map((e) => e.id)).size).toBe(200);
    expect(await seqsOf(database, acme)).toEqual(oneTo(100));
    expect(await seqsOf(database, globex)).toEqual(oneTo(100));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
    expect(batches.length).toBeLessThan(200);
    expect(await verify(database.db, acme, {})).toEqual({ ok: true, checked: 100, firstBrokenSeq: null, headSeq: 100 });
    expect(await verify(database.db, globex, {})).toEqual({ ok: true, checked: 100, firstBrokenSeq: null, headSeq: 100 });
  });

  it('keeps one chain when two writers (two replicas) write to the same tenant at once', async () => {
    const other = await openStore({ databaseUrl: database.url, pgliteDir: '', poolSize: 5, preparedStatements: true });
    try {
      const a = new AuditWriter(database.db);
      const b = new AuditWriter(other);
      await Promise.all(oneTo(100).map((n) => (n % 2 ? a : b).write(use(acme, n))));
      await Promise.all([a.close(), b.close()]);
      expect(await seqsOf(database, acme)).toEqual(oneTo(100));
      expect((await verify(database.db, acme, {})).ok).toBe(true);
    } finally {
      await other.destroy();
    }
  });

  it('rejects writes with audit_unavailable while Postgres is unreachable, and chains on after it returns', async () => {
    const target = new URL(database.url);
    const relay = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const viaRelay = new URL(database.url);
    viaRelay.port = String(relay.port);
    const db = await openStore({ databaseUrl: viaRelay.toString(), pgliteDir: '', poolSize: 2, preparedStatements: true });
    try {
      const writer = new AuditWriter(db);
      await writer.write(use(acme, 1));
      await relay.cut();
      await expect(writer.write(use(acme, 2))).rejects.toMatchObject({ code: 'audit_unavailable' });
      await relay.restore();
      const after = await writer.write(use(acme, 3));
      expect(after.seq).toBe(2);
      await writer.close();
      await expect(writer.write(use(acme, 4))).rejects.toMatchObject({ code: 'audit_unavailable' });
      expect(await verify(database.db, acme, {})).toMatchObject({ ok: true, checked: 2 });
    } finally {
      await db.destroy();
      await relay.close();
    }
  });

  describe('tampering', () => {
    beforeEach(async () => {
      let second = 0;
      const writer = new AuditWriter(database.db, {}, () => new Date(Date.UTC(2026, 10, 29, 10, 0, second++)));
      for (const n of oneTo(10)) await writer.write(use(acme, n));
      await writer.close();
    });
    const tamper = (q: ReturnType<typeof sql>) => q.execute(database.db);

    it('detects a changed row, even when its own hash is recomputed', async () => {
      await tamper(sql`update audit_events set outcome = 'denied' where tenant_id = ${acme} and seq = 4`);
      expect(await verify(database.db, acme, {})).toMatchObject({ ok: false, firstBrokenSeq: 4 });
      await tamper(sql`update audit_events set hash = repeat('a', 64) where tenant_id = ${acme} and seq = 4`);
      expect(await verify(database.db, acme, {})).toMatchObject({ ok: false, firstBrokenSeq: 4 });
    });

    it('detects a deleted row in the middle, deleted rows at the end, and an emptied log', async () => {
      await tamper(sql`delete from audit_events where tenant_id = ${acme} and seq = 6`);
      expect(await verify(database.db, acme, {})).toMatchObject({ ok: false, firstBrokenSeq: 6 });
      await tamper(sql`delete from audit_events where tenant_id = ${acme} and seq >= 6`);
      expect(await verify(database.db, acme, {})).toMatchObject({ ok: false, firstBrokenSeq: 6, checked: 5, headSeq: 10 });
      await tamper(sql`delete from audit_events where tenant_id = ${acme}`);
      expect(await verify(database.db, acme, {})).toMatchObject({ ok: false, firstBrokenSeq: 1, checked: 0 });
    });

    it('verifies a time range on its own, anchored on the row before it', async () => {
      const times = await database.db.selectFrom('audit_events').select(['seq', 'occurred_at']).where('tenant_id', '=', acme).orderBy('seq').execute();
      const from = new Date(times[4]!.occurred_at).toISOString();
      expect(await verify(database.db, acme, { from })).toMatchObject({ ok: true, checked: 6 });
      await tamper(sql`update audit_events set reason = 'edited' where tenant_id = ${acme} and seq = 2`);
      expect(await verify(database.db, acme, { from })).toMatchObject({ ok: true });
      expect(await verify(database.db, acme, {})).toMatchObject({ ok: false, firstBrokenSeq: 2 });
    });
  });
});

describe('/v1/audit, /v1/audit/export and /v1/audit/verify', () => {
  let t: TestApp;
  let grantId: string;
  beforeAll(async () => {
    t = await startTestApp();
    const secret = await t.api('POST', '/v1/secrets', { name: 'search', type: 'bearer', value: 'sk-audit-test', allowedHosts: ['api.example.com'] });
    grantId = secret.body.grantId;
    for (const runId of ['a', 'b', 'c', 'd', 'e']) {
      const answer = await t.api('POST', '/v1/tokens/retrieve', { grantId, reason: `step ${runId}`, context: { runId } });
      expect(answer.status).toBe(200);
    }
  });
  afterAll(() => t.stop());

  it('pages through the filtered log newest first with a cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { events: { context: { runId: string } }[]; nextCursor: string | null } } = await t.api('GET', `/v1/audit?grant=${grantId}&action=retrieve_token&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((e) => e.context.runId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(pages).toBe(3);
  });

  it('filters by outcome and time, and refuses a bad cursor or filter', async () => {
    const denied = await t.api('GET', '/v1/audit?outcome=grant_not_found');
    expect(denied.body.events).toEqual([]);
    const future = await t.api('GET', `/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.events).toEqual([]);
    expect((await t.api('GET', '/v1/audit?cursor=not-a-cursor')).body.error.code).toBe('invalid_request');
    expect((await t.api('GET', '/v1/audit?limit=0')).status).toBe(400);
    expect((await t.api('GET', '/v1/audit?grant=not-a-uuid')).status).toBe(400);
    expect((await t.api('GET', '/v1/audit?colour=red')).status).toBe(400);
  });

  it('exports the same events oldest first as NDJSON', async () => {
    const res = await fetch(`${t.url}/v1/audit/export?grant=${grantId}&action=retrieve_token`, { headers: { authorization: `Bearer ${t.bootstrapKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.context.runId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(lines.every((e, i) => i === 0 || e.seq > lines[i - 1].seq)).toBe(true);
  });

  it('says the chain holds, and that it is broken after a row is edited in the database', async () => {
    const good = await t.api('GET', '/v1/audit/verify');
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ ok: true, firstBrokenSeq: null });
    expect(good.body.checked).toBe(good.body.headSeq);
    await sql`update audit_events set reason = 'nothing happened' where seq = 3`.execute(t.database.db);
    expect((await t.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: false, firstBrokenSeq: 3 });
  });

  it('needs the audit:read scope and shows only the caller tenant', async () => {
    const tenant = await ensureTenant(t.database.db, 'other');
    const created = await createApiKey(t.database.db, tenant.id, { name: 'other', scopes: ['audit:read'] }, new Date());
    if (!created.ok) throw new Error('seed failed');
    const other = apiClient(t.url, created.value.key);
    expect((await other('GET', '/v1/audit')).body.events).toEqual([]);
    const noScope = await t.api('POST', '/v1/keys', { name: 'no-audit', scopes: ['secrets:read'] });
    const limited = apiClient(t.url, noScope.body.key);
    expect((await limited('GET', '/v1/audit')).body.error.code).toBe('missing_scope');
  });
});
