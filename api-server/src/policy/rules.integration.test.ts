// Operator rules through the API: for each rule type, a use that satisfies it succeeds, one
// that violates it is denied with the right code and audited, and deleting the rule restores
// access. Nothing here depends on the wall clock: time windows are placed around "now" in a
// zone, grant ages are set in the store.
import { sql } from 'kysely';
import { apiClient, ApiClient, startTestApp, TestApp } from '../testing/app';
import { HttpsUpstream, startHttpsUpstream } from '../testing/https-upstream';

const run = Math.random().toString(36).slice(2, 10);
const ZONE = 'Asia/Kolkata'; // a half-hour offset: window arithmetic must be done in local minutes
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** HH:MM of the local time in ZONE, `offsetMinutes` from now (wrapping around midnight). */
function localClock(offsetMinutes: number): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date());
  const now = Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
  const m = (((now + offsetMinutes) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

describe('/v1/policies/rules: operator rules on the uses of grants', () => {
  let t: TestApp;
  let upstream: HttpsUpstream;

  beforeAll(async () => {
    upstream = await startHttpsUpstream();
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.stop();
    await upstream.close();
  });

  /** A fresh managed secret per test, so that its rules touch no other test. */
  async function newGrant(name: string): Promise<{ grantId: string; slug: string }> {
    const created = await t.api('POST', '/v1/secrets', { name, slug: `${name}-${run}`, type: 'bearer', value: `sk-${name}-${run}`, allowedHosts: [upstream.host] });
    expect(created.status).toBe(201);
    return created.body;
  }

  async function newKey(name: string, scopes = ['proxy:execute', 'tokens:retrieve']): Promise<{ id: string; api: ApiClient }> {
    const created = await t.api('POST', '/v1/keys', { name, scopes });
    expect(created.status).toBe(201);
    return { id: created.body.id, api: apiClient(t.url, created.body.key) };
  }

  async function addRule(rule: object): Promise<string> {
    const created = await t.api('POST', '/v1/policies/rules', rule);
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function deleteRule(id: string): Promise<void> {
    expect((await t.api('DELETE', `/v1/policies/rules/${id}`)).status).toBe(204);
  }

  const proxy = (grantId: string, extra: object = {}, api: ApiClient = t.api) => api('POST', '/v1/proxy', { grantId, method: 'GET', url: `${upstream.url}/echo`, ...extra });
  const token = (grantId: string, api: ApiClient = t.api) => api('POST', '/v1/tokens/retrieve', { grantId });

  async function expectDenied(answer: Awaited<ReturnType<ApiClient>>, grantId: string, action: string, status: number, code: string, rule: string) {
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatchObject({ code, details: { rule } });
    expect(answer.body.error.message).toContain(rule);
    const audit = await t.api('GET', `/v1/audit?grant=${grantId}&outcome=${code}&action=${action}`);
    expect(audit.body.events[0]).toMatchObject({ action, decision: 'deny', outcome: code, grantId });
  }

  test('time_window: a use inside a window in the zone succeeds; a window that ended an hour ago denies; deleting it restores access', async () => {
    const { grantId } = await newGrant('tw');
    const target = { type: 'grant', id: grantId };
    const around = await addRule({ target, type: 'time_window', zone: ZONE, windows: [{ days: ALL_DAYS, from: localClock(-60), to: localClock(60) }] });
    expect((await proxy(grantId)).status).toBe(200);
    await deleteRule(around);

    const ended = await addRule({ target, type: 'time_window', zone: ZONE, windows: [{ days: ALL_DAYS, from: localClock(-180), to: localClock(-60) }] });
    await expectDenied(await proxy(grantId), grantId, 'proxy', 403, 'policy_denied', 'time_window');
    await expectDenied(await token(grantId), grantId, 'retrieve_token', 403, 'policy_denied', 'time_window');
    await deleteRule(ended);
    expect((await proxy(grantId)).status).toBe(200);
  });

  test('ip_allowlist: the caller’s address inside a CIDR succeeds, outside denies; CIDRs are stored canonical', async () => {
    const { grantId, slug } = await newGrant('ip');
    // Aimed at the provider: a managed secret's slug is its provider.
    const inside = await t.api('POST', '/v1/policies/rules', { target: { type: 'provider', id: slug }, type: 'ip_allowlist', cidrs: ['127.0.0.0/8', '2001:DB8::/32'] });
    expect(inside.status).toBe(201);
    expect(inside.body).toMatchObject({ target: { type: 'provider', id: slug }, type: 'ip_allowlist', cidrs: ['127.0.0.0/8', '2001:db8::/32'] });
    expect((await proxy(grantId)).status).toBe(200);
    await deleteRule(inside.body.id);

    const outside = await addRule({ target: { type: 'provider', id: slug }, type: 'ip_allowlist', cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    await expectDenied(await proxy(grantId), grantId, 'proxy', 403, 'policy_denied', 'ip_allowlist');
    await deleteRule(outside);
    expect((await proxy(grantId)).status).toBe(200);
  });

  test('grant_ttl: a grant younger than its time-to-live succeeds, an older one is denied', async () => {
    const { grantId } = await newGrant('ttl');
    const ttl = await addRule({ target: { type: 'grant', id: grantId }, type: 'grant_ttl', seconds: 3600 });
    expect((await token(grantId)).status).toBe(200);
    await sql`update grants set created_at = now() - interval '2 hours' where id = ${grantId}`.execute(t.database.db);
    await expectDenied(await token(grantId), grantId, 'retrieve_token', 403, 'policy_denied', 'grant_ttl');
    await deleteRule(ttl);
    expect((await token(grantId)).status).toBe(200);
  });

  test('http: allowed methods and paths pass; another method, path (dot segments resolved) or token mode is denied', async () => {
    const { grantId } = await newGrant('http');
    const rule = await addRule({ target: { type: 'grant', id: grantId }, type: 'http', methods: ['GET', 'HEAD'], paths: ['/echo/*/items/**'] });
    expect((await proxy(grantId, { url: `${upstream.url}/echo/acme/items` })).status).toBe(200);
    expect((await proxy(grantId, { url: `${upstream.url}/echo/acme/items/1/parts` })).status).toBe(200);
    const sent = upstream.requests.length;
    await expectDenied(await proxy(grantId, { method: 'DELETE', url: `${upstream.url}/echo/acme/items/1` }), grantId, 'proxy', 403, 'policy_denied', 'http');
    expect((await proxy(grantId, { url: `${upstream.url}/echo/acme/other` })).body.error.code).toBe('policy_denied');
    expect((await proxy(grantId, { url: `${upstream.url}/echo/acme/items/../../../big` })).body.error.code).toBe('policy_denied');
    expect((await proxy(grantId, { url: `${upstream.url}/echo/a%2Fb/items` })).body.error.code).toBe('policy_denied');
    expect(upstream.requests.length).toBe(sent);
    await expectDenied(await token(grantId), grantId, 'retrieve_token', 403, 'policy_denied', 'http');
    await deleteRule(rule);
    expect((await proxy(grantId, { method: 'DELETE', url: `${upstream.url}/echo/acme/items/1` })).status).toBe(200);
  });

  test('token_mode: an agent’s rule forbids token mode for that agent only; proxy mode still works', async () => {
    const { grantId } = await newGrant('tm');
    const agent = await newKey('tm-agent');
    // An API key acts as its own agent (caller.agent?.id ?? caller.actor.id).
    const rule = await addRule({ target: { type: 'agent', id: agent.id }, type: 'token_mode', allowed: false });
    await expectDenied(await token(grantId, agent.api), grantId, 'retrieve_token', 403, 'policy_denied', 'token_mode');
    expect((await proxy(grantId, {}, agent.api)).status).toBe(200);
    expect((await token(grantId)).status).toBe(200);
    await deleteRule(rule);
    expect((await token(grantId, agent.api)).status).toBe(200);
  });

  test('rate_limit per grant: uses over the limit answer 429 rate_limited with Retry-After, audited; deleting the rule restores access', async () => {
    const { grantId } = await newGrant('rl');
    const rule = await addRule({ target: { type: 'grant', id: grantId }, type: 'rate_limit', requests: 2, perSeconds: 3600, per: 'grant' });
    // The second use may be a cached allow: the count is taken before the cache is asked.
    expect((await proxy(grantId)).status).toBe(200);
    expect((await proxy(grantId)).status).toBe(200);
    const limited = await proxy(grantId);
    await expectDenied(limited, grantId, 'proxy', 429, 'rate_limited', 'rate_limit');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(limited.body.error.details.retryAfterSeconds).toBe(retryAfter);
    expect((await token(grantId)).status).toBe(429);
    await deleteRule(rule);
    expect((await proxy(grantId)).status).toBe(200);
  });

  test('rate_limit per agent: each caller has its own count, across grants', async () => {
    const [one, two] = [await newGrant('rla'), await newGrant('rlb')];
    const [a, b] = [await newKey('rl-a'), await newKey('rl-b')];
    const rule = await addRule({ target: { type: 'tenant' }, type: 'rate_limit', requests: 1, perSeconds: 3600, per: 'agent' });
    try {
      expect((await proxy(one.grantId, {}, a.api)).status).toBe(200);
      await expectDenied(await proxy(two.grantId, {}, a.api), two.grantId, 'proxy', 429, 'rate_limited', 'rate_limit');
      expect((await proxy(two.grantId, {}, b.api)).status).toBe(200);
    } finally {
      await deleteRule(rule);
    }
    expect((await proxy(two.grantId, {}, a.api)).status).toBe(200);
  });

  test('rules only restrict: a rule on another grant, provider or agent changes nothing here', async () => {
    const [mine, other] = [await newGrant('mine'), await newGrant('other')];
    const rules = [
      await addRule({ target: { type: 'grant', id: other.grantId }, type: 'token_mode', allowed: false }),
      await addRule({ target: { type: 'provider', id: other.slug }, type: 'ip_allowlist', cidrs: ['10.0.0.0/8'] }),
      await addRule({ target: { type: 'agent', id: 'some-other-agent' }, type: 'http', methods: ['HEAD'] }),
    ];
    expect((await token(mine.grantId)).status).toBe(200);
    expect((await proxy(mine.grantId, { method: 'POST', body: 'x' })).status).toBe(200);
    for (const id of rules) await deleteRule(id);
  });

  test('rules that cannot be loaded deny the use with policy_unavailable (fail closed)', async () => {
    const { grantId } = await newGrant('closed');
    const { tenant_id: tenantId } = await t.database.db.selectFrom('grants').select('tenant_id').where('id', '=', grantId).executeTakeFirstOrThrow();
    await sql`alter table policy_rules rename to policy_rules_away`.execute(t.database.db);
    try {
      t.app.services.rules.invalidate(tenantId);
      const answer = await proxy(grantId);
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('policy_unavailable');
    } finally {
      await sql`alter table policy_rules_away rename to policy_rules`.execute(t.database.db);
      t.app.services.rules.invalidate(tenantId);
    }
    expect((await proxy(grantId)).status).toBe(200);
  });

  test('create, list by target, read and delete, each change audited', async () => {
    const { grantId } = await newGrant('crud');
    const created = await t.api('POST', '/v1/policies/rules', { target: { type: 'grant', id: grantId }, type: 'time_window', zone: 'europe/paris', windows: [{ days: ['fri'], from: '22:00', to: '06:00' }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), target: { type: 'grant', id: grantId }, type: 'time_window', zone: 'Europe/Paris', createdAt: expect.any(String) });
    const listed = await t.api('GET', `/v1/policies/rules?targetType=grant&targetId=${grantId}`);
    expect(listed.body.rules).toEqual([created.body]);
    expect((await t.api('GET', '/v1/policies/rules?targetType=agent&targetId=nobody')).body.rules).toEqual([]);
    expect((await t.api('GET', `/v1/policies/rules/${created.body.id}`)).body).toEqual(created.body);
    await deleteRule(created.body.id);
    const again = await t.api('DELETE', `/v1/policies/rules/${created.body.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('rule_not_found');
    const audit = await t.api('GET', `/v1/audit?grant=${grantId}`);
    const changes = audit.body.events.filter((e: { action: string }) => e.action.startsWith('policy.rule.'));
    expect(changes.map((e: { action: string }) => e.action).sort()).toEqual(['policy.rule.create', 'policy.rule.delete']);
    expect(changes[0].context).toMatchObject({ ruleId: created.body.id, ruleType: 'time_window', targetType: 'grant', targetId: grantId });
  });

  test.each([
    ['an unknown zone', { target: { type: 'tenant' }, type: 'time_window', zone: 'Mars/Olympus', windows: [{ days: ['mon'], from: '09:00', to: '17:00' }] }, 400, 'invalid_request'],
    ['an invalid CIDR', { target: { type: 'tenant' }, type: 'ip_allowlist', cidrs: ['10.0.0.0/33'] }, 400, 'invalid_request'],
    ['an octal-looking IPv4 CIDR', { target: { type: 'tenant' }, type: 'ip_allowlist', cidrs: ['010.0.0.0/8'] }, 400, 'invalid_request'],
    ['a bad path pattern', { target: { type: 'tenant' }, type: 'http', paths: ['/v1/**x'] }, 400, 'invalid_request'],
    ['a tenant target with an id', { target: { type: 'tenant', id: 'x' }, type: 'token_mode', allowed: false }, 400, 'invalid_request'],
    ['an unknown rule type', { target: { type: 'tenant' }, type: 'geo_fence' }, 400, 'invalid_request'],
    ['an unknown grant', { target: { type: 'grant', id: '00000000-0000-4000-8000-000000000000' }, type: 'token_mode', allowed: false }, 404, 'grant_not_found'],
  ])('refuses %s', async (_name, body, status, code) => {
    const answer = await t.api('POST', '/v1/policies/rules', body);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });

  test('needs policies:write to change rules and policies:read to read them', async () => {
    const reader = await newKey('rules-reader', ['policies:read']);
    expect((await reader.api('GET', '/v1/policies/rules')).status).toBe(200);
    const refused = await reader.api('POST', '/v1/policies/rules', { target: { type: 'tenant' }, type: 'token_mode', allowed: false });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('missing_scope');
    const other = await newKey('no-rules', ['audit:read']);
    expect((await other.api('GET', '/v1/policies/rules')).body.error.code).toBe('missing_scope');
  });
});
