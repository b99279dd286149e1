// Agents authenticate with Kubernetes service-account tokens, verified against the cluster
// issuer's JWKS (a real https issuer here; a real kube-apiserver in the e2e tier), and use
// only their namespace's grants they are entitled to. The admin API reconciles the Agents
// and ManagedSecrets they rely on.
import { createHmac } from 'node:crypto';
import { startTestApp, TestApp } from '../testing/app';
import { HttpsUpstream, startHttpsUpstream } from '../testing/https-upstream';
import { JwksIssuer, startJwksIssuer } from '../testing/jwks-issuer';

let t: TestApp;
let issuer: JwksIssuer;
let upstream: HttpsUpstream;
const grants: Record<string, string> = {};

const asAgent = (token: string) => (path: string, body: unknown) => t.api('POST', path, body, { authorization: `Bearer ${token}` });
const proxy = (token: string, grantId: string) => asAgent(token)('/v1/proxy', { grantId, method: 'GET', url: `${upstream.url}/echo` });

beforeAll(async () => {
  issuer = await startJwksIssuer();
  upstream = await startHttpsUpstream();
  // A second trusted cluster whose issuer is down.
  t = await startTestApp({ env: { ALTER_K8S_ISSUERS: `test=${issuer.url},down=https://127.0.0.1:9`, ALTER_K8S_JWKS_COOLDOWN_MS: '0', ALTER_PROVIDER_TIMEOUT_MS: '2000' } });
  for (const ns of ['team-a', 'team-b']) {
    for (const name of ['openai', 'stripe']) {
      const put = await t.api('PUT', `/v1/admin/secrets/${ns}/${name}?cluster=test`, { name, type: 'bearer', value: `${ns}-${name}-secret-value`, allowedHosts: [upstream.host] });
      expect(put.status).toBe(200);
      grants[`${ns}/${name}`] = put.body.grantId;
    }
    const agent = await t.api('PUT', `/v1/admin/agents/${ns}/mailer?cluster=test`, { uid: `uid-${ns}`, serviceAccountName: 'sa-a', providers: ['openai'] });
    expect(agent.status).toBe(200);
  }
});

afterAll(async () => {
  await t?.stop();
  await upstream?.close();
  await issuer?.close();
});

describe('service-account tokens', () => {
  test('an agent’s token uses its own namespace’s grant; the call and the audit row name the agent', async () => {
    const token = await issuer.token('team-a', 'sa-a');
    const answer = await proxy(token, grants['team-a/openai']!);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.body).headers.authorization).toBe('Bearer team-a-openai-secret-value');
    // The row is in team-a's tenant (the bootstrap key reads only `default`): read it from the store.
    const rows = await t.app.services.db.selectFrom('audit_events').select(['actor_type', 'actor_id', 'agent_id', 'outcome']).where('grant_id', '=', grants['team-a/openai']!).where('action', '=', 'proxy').execute();
    expect(rows).toEqual([{ actor_type: 'agent', actor_id: expect.any(String), agent_id: rows[0]!.actor_id, outcome: 'ok' }]);
  });

  test('another namespace’s grant is not found (404), and an unlisted grant of its own namespace is denied', async () => {
    const token = await issuer.token('team-a', 'sa-a');
    const foreign = await proxy(token, grants['team-b/openai']!);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('grant_not_found');
    const unlisted = await proxy(token, grants['team-a/stripe']!);
    expect(unlisted.status).toBe(403);
    expect(unlisted.body.error.code).toBe('policy_denied');
    // Token mode is not allowed to this agent.
    const token_mode = await asAgent(token)('/v1/tokens/retrieve', { grantId: grants['team-a/openai'] });
    expect(token_mode.status).toBe(403);
    // Nor is any administrative route.
    expect((await t.api('GET', '/v1/grants', undefined, { authorization: `Bearer ${token}` })).body.error.code).toBe('missing_scope');
  });

  test('forged, expired, wrong-audience, wrong-issuer, alg:none and HMAC-confused tokens are refused with sa_token_invalid', async () => {
    const grantId = grants['team-a/openai']!;
    const good = await issuer.token('team-a', 'sa-a');
    const [header, payload] = good.split('.') as [string, string];
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    const hsHeader = b64({ alg: 'HS256', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid });
    const hmac = `${hsHeader}.${payload}.${createHmac('sha256', issuer.publicPem()).update(`${hsHeader}.${payload}`).digest('base64url')}`;
    const tampered = `${header}.${b64({ ...claims, sub: 'system:serviceaccount:team-b:sa-a' })}.${good.split('.')[2]}`;
    const refused = {
      forged: await issuer.token('team-a', 'sa-a', { key: await issuer.strangerKey() }),
      expired: await issuer.token('team-a', 'sa-a', { expiresIn: '-1m' }),
      audience: await issuer.token('team-a', 'sa-a', { audience: 'kubernetes' }),
      issuer: await issuer.token('team-a', 'sa-a', { issuer: 'https://evil.example' }),
      none,
      hmac,
      tampered,
      garbage: 'aaa.bbb.ccc',
    };
    for (const [what, token] of Object.entries(refused)) {
      const answer = await proxy(token, grantId);
      expect({ what, status: answer.status, code: answer.body.error?.code }).toEqual({ what, status: 401, code: 'sa_token_invalid' });
    }
  });

  test('a valid token of a service account no Agent is bound to is refused', async () => {
    const answer = await proxy(await issuer.token('team-a', 'sa-unbound'), grants['team-a/openai']!);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('agent_not_bound');
  });

  test('the issuer’s key rotation is picked up; an issuer that cannot be reached answers 503, not a refusal', async () => {
    await issuer.rotate();
    expect((await proxy(await issuer.token('team-a', 'sa-a'), grants['team-a/openai']!)).status).toBe(200);
    const down = await proxy(await issuer.token('team-a', 'sa-a', { issuer: 'https://127.0.0.1:9' }), grants['team-a/openai']!);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('sa_issuer_unavailable');
  });
});

describe('reconciliation (admin API)', () => {
  test('an Agent reconciled twice stays one agent; recreated (new UID) it is a new one; deleted, its token is refused', async () => {
    const body = { uid: 'uid-r1', serviceAccountName: 'sa-r', providers: ['openai'] };
    const first = await t.api('PUT', '/v1/admin/agents/team-a/reporter?cluster=test', body);
    const again = await t.api('PUT', '/v1/admin/agents/team-a/reporter?cluster=test', body);
    expect(again.body.id).toBe(first.body.id);
    const recreated = await t.api('PUT', '/v1/admin/agents/team-a/reporter?cluster=test', { ...body, uid: 'uid-r2' });
    expect(recreated.body.id).not.toBe(first.body.id);
    const token = await issuer.token('team-a', 'sa-r');
    expect((await proxy(token, grants['team-a/openai']!)).status).toBe(200);
    expect((await t.api('DELETE', '/v1/admin/agents/team-a/reporter?cluster=test')).status).toBe(204);
    expect((await proxy(token, grants['team-a/openai']!)).body.error.code).toBe('agent_not_bound');
    expect((await t.api('DELETE', '/v1/admin/agents/team-a/reporter?cluster=test')).status).toBe(204);
  });

  test('a ManagedSecret reconciled with a new value keeps its grantId and the next call uses the new value; deleted, the grant is revoked', async () => {
    const put = (value: string) => t.api('PUT', '/v1/admin/secrets/team-a/rotating?cluster=test', { name: 'rotating', type: 'bearer', value, allowedHosts: [upstream.host] });
    const first = await put('first-secret-value');
    await t.api('PUT', '/v1/admin/agents/team-a/rotator?cluster=test', { uid: 'uid-rot', serviceAccountName: 'sa-rot', providers: ['rotating'] });
    const token = await issuer.token('team-a', 'sa-rot');
    expect(JSON.parse((await proxy(token, first.body.grantId)).body.body).headers.authorization).toBe('Bearer first-secret-value');
    const second = await put('second-secret-value');
    expect(second.body.grantId).toBe(first.body.grantId);
    expect(JSON.parse((await proxy(token, first.body.grantId)).body.body).headers.authorization).toBe('Bearer second-secret-value');
    expect((await t.api('DELETE', '/v1/admin/secrets/team-a/rotating?cluster=test')).status).toBe(204);
    expect((await proxy(token, first.body.grantId)).body.error.code).toBe('grant_revoked');
  });

  test('the admin API needs admin:reconcile and refuses bad names', async () => {
    const key = await t.api('POST', '/v1/keys', { name: 'not-admin', scopes: ['proxy:execute'] });
    const forbidden = await t.api('PUT', '/v1/admin/agents/team-a/x', { uid: 'u', serviceAccountName: 'sa' }, { authorization: `Bearer ${key.body.key}` });
    expect(forbidden.status).toBe(403);
    expect((await t.api('PUT', '/v1/admin/agents/Team_A/x', { uid: 'u', serviceAccountName: 'sa' })).status).toBe(400);
    // A rule that does not check refuses the whole Agent: nothing of it is stored.
    const badRule = await t.api('PUT', '/v1/admin/agents/team-a/ruled?cluster=test', { uid: 'u-ruled', serviceAccountName: 'sa-ruled', rules: [{ type: 'ip_allowlist', cidrs: ['300.1.1.1/8'] }] });
    expect(badRule.status).toBe(400);
    expect(badRule.body.error.message).toContain('rules[0]');
    expect(await t.app.services.db.selectFrom('agents').select('id').where('name', '=', 'ruled').execute()).toEqual([]);
  });
});

describe('an agent’s API keys', () => {
  test('a key bound to an agent acts as the agent, with the keys’ lifecycle; deleting the agent ends its keys', async () => {
    const secret = await t.api('PUT', '/v1/admin/secrets/default/keyed-secret', { name: 'keyed-secret', type: 'bearer', value: 'keyed-secret-value', allowedHosts: [upstream.host] });
    const other = await t.api('PUT', '/v1/admin/secrets/default/other-secret', { name: 'other-secret', type: 'bearer', value: 'other-secret-value', allowedHosts: [upstream.host] });
    const agent = await t.api('PUT', '/v1/admin/agents/default/keyed', { uid: 'uid-keyed', serviceAccountName: 'keyed-sa', providers: ['keyed-secret'] });
    const key = await t.api('POST', '/v1/keys', { name: 'keyed agent', scopes: ['proxy:execute'], agentId: agent.body.id });
    expect(key.status).toBe(201);
    expect(key.body.agentId).toBe(agent.body.id);
    const use = (k: string, grantId: string) => t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: `${upstream.url}/echo` }, { authorization: `Bearer ${k}` });
    expect((await use(key.body.key, secret.body.grantId)).status).toBe(200);
    expect((await use(key.body.key, other.body.grantId)).body.error.code).toBe('policy_denied');
    const rows = await t.app.services.db.selectFrom('audit_events').select(['actor_type', 'agent_id']).where('grant_id', '=', secret.body.grantId).where('action', '=', 'proxy').execute();
    expect(rows).toEqual([{ actor_type: 'agent', agent_id: agent.body.id }]);

    // Rotation without downtime: the new key is the agent's too; the old one still works, deprecated, until revoked.
    const rotated = await t.api('POST', `/v1/keys/${key.body.id}/rotate`);
    expect(rotated.body.agentId).toBe(agent.body.id);
    const old = await use(key.body.key, secret.body.grantId);
    expect(old.status).toBe(200);
    expect(old.headers.get('deprecation')).toMatch(/^@\d+$/);
    expect((await t.api('DELETE', `/v1/keys/${key.body.id}`)).status).toBe(204);
    expect((await use(key.body.key, secret.body.grantId)).body.error.code).toBe('api_key_revoked');
    expect((await use(rotated.body.key, secret.body.grantId)).status).toBe(200);

    expect((await t.api('DELETE', '/v1/admin/agents/default/keyed')).status).toBe(204);
    expect((await use(rotated.body.key, secret.body.grantId)).body.error.code).toBe('invalid_api_key');
  });

  test('an agent’s key holds only what an agent may do, and names an agent of the tenant', async () => {
    const agent = await t.api('PUT', '/v1/admin/agents/default/scoped', { uid: 'uid-scoped', serviceAccountName: 'scoped-sa' });
    const admin = await t.api('POST', '/v1/keys', { name: 'too much', scopes: ['proxy:execute', 'keys:admin'], agentId: agent.body.id });
    expect(admin.status).toBe(400);
    expect(admin.body.error.message).toContain('keys:admin');
    const foreign = await t.api('PUT', '/v1/admin/agents/team-b/foreign?cluster=test', { uid: 'uid-foreign', serviceAccountName: 'foreign-sa' });
    const missing = await t.api('POST', '/v1/keys', { name: 'foreign', scopes: ['proxy:execute'], agentId: foreign.body.id });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('agent_not_found');
  });
});
