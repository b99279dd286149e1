// Delegations: a connect session started with an agent delegates the user's grant to that
// agent; the agent (a service-account token, verified against a real https issuer) may then
// use it, another agent may not, and revoking one delegation leaves the grant and every other
// agent's delegation as they were. The grant is connected through the hosted flow against a
// real OIDC provider; every decision comes from the real Cerbos PDP.
import { startTestApp, TestApp } from '../testing/app';
import { ConnectedGrants, startConnectedGrants } from '../testing/connected-grants';
import { JwksIssuer, startJwksIssuer } from '../testing/jwks-issuer';

let t: TestApp;
let cluster: JwksIssuer;
let idp: JwksIssuer;
let oauth: ConnectedGrants;
/** Agent name → agent id (what a connect session's agentId names). */
const agents: Record<string, string> = {};

const asAgent = async (name: string) => ({ authorization: `Bearer ${await cluster.token('default', `sa-${name}`)}` });
const proxyAs = async (name: string, grantId: string) => t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: oauth.meUrl }, await asAgent(name));
const sorted = (...ids: string[]) => [...ids].sort();

beforeAll(async () => {
  cluster = await startJwksIssuer();
  idp = await startJwksIssuer();
  // The `default` namespace of the `default` cluster is the bootstrap key's tenant: the app's key and the agents share it.
  t = await startTestApp({ env: { ALTER_K8S_ISSUERS: cluster.url } });
  for (const name of ['planner', 'mailer', 'intruder']) {
    // No providers or grants listed: delegations are all they may use.
    const put = await t.api('PUT', `/v1/admin/agents/default/${name}`, { uid: `uid-${name}`, serviceAccountName: `sa-${name}` });
    expect(put.status).toBe(200);
    agents[name] = put.body.id;
  }
  expect((await t.api('PUT', '/v1/identity-providers/corp', { issuer: idp.url, audience: 'my-app' })).status).toBe(200);
  oauth = await startConnectedGrants(t);
});

afterAll(async () => {
  await oauth?.stop();
  await t?.stop();
  await cluster?.close();
  await idp?.close();
});

describe('delegations', () => {
  test('a connect session with an agentId delegates the grant to that agent only; reconnecting with another agent adds it', async () => {
    const grantId = await oauth.connect('dana', { agentId: agents.planner });
    const info = await t.api('GET', `/v1/grants/${grantId}`);
    expect(info.body).toMatchObject({ principalId: 'dana', delegatedTo: [agents.planner] });
    expect((await proxyAs('planner', grantId)).status).toBe(200);
    const intruder = await proxyAs('intruder', grantId);
    expect(intruder.status).toBe(403);
    expect(intruder.body.error.code).toBe('policy_denied');
    expect((await proxyAs('mailer', grantId)).status).toBe(403);

    // The same user reconnects the same account for a second agent: same grant, both delegations.
    expect(await oauth.connect('dana', { agentId: agents.mailer })).toBe(grantId);
    expect((await t.api('GET', `/v1/grants/${grantId}`)).body.delegatedTo).toEqual(sorted(agents.planner!, agents.mailer!));
    expect((await proxyAs('mailer', grantId)).status).toBe(200);
    expect((await proxyAs('planner', grantId)).status).toBe(200);
    // Reconnecting without an agent takes no delegation away.
    expect(await oauth.connect('dana')).toBe(grantId);
    expect((await t.api('GET', `/v1/grants/${grantId}`)).body.delegatedTo).toEqual(sorted(agents.planner!, agents.mailer!));
    // The agent's use is audited with the agent and the user it acted for.
    const uses = (await t.api('GET', `/v1/audit?grant=${grantId}&action=proxy&outcome=ok`)).body.events;
    expect(uses[0]).toMatchObject({ actor: { type: 'agent', id: agents.planner }, agentId: agents.planner, principalId: 'dana' });
  });

  test('revoking one delegation: that agent is denied; the grant still works for the app and the other agent', async () => {
    const grantId = await oauth.connect('erin', { agentId: agents.planner });
    await oauth.connect('erin', { agentId: agents.mailer });
    const listed = await t.api('GET', `/v1/grants/${grantId}/delegations`);
    expect(listed.body.delegations.map((d: { agentId: string }) => d.agentId).sort()).toEqual(sorted(agents.planner!, agents.mailer!));
    expect(listed.body.delegations.every((d: { grantId: string; revokedAt: unknown }) => d.grantId === grantId && d.revokedAt === null)).toBe(true);

    const revoked = await t.api('DELETE', `/v1/grants/${grantId}/delegations/${agents.planner}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ grantId, agentId: agents.planner, revokedAt: expect.any(String) });

    const planner = await proxyAs('planner', grantId);
    expect(planner.status).toBe(403);
    expect(planner.body.error.code).toBe('policy_denied');
    expect((await proxyAs('mailer', grantId)).status).toBe(200);
    expect((await t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: oauth.meUrl })).status).toBe(200);
    const grant = (await t.api('GET', `/v1/grants/${grantId}`)).body;
    expect(grant).toMatchObject({ status: 'active', delegatedTo: [agents.mailer] });
    const after = (await t.api('GET', `/v1/grants/${grantId}/delegations`)).body.delegations;
    expect(after).toEqual(
      expect.arrayContaining([expect.objectContaining({ agentId: agents.planner, revokedAt: expect.any(String) }), expect.objectContaining({ agentId: agents.mailer, revokedAt: null })]),
    );

    // Audited once; a repeat answers the revoked delegation and audits nothing new; an agent never delegated to is 404.
    const again = await t.api('DELETE', `/v1/grants/${grantId}/delegations/${agents.planner}`);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    const events = (await t.api('GET', `/v1/audit?grant=${grantId}&action=grant.delegation.revoke`)).body.events;
    expect(events).toEqual([expect.objectContaining({ actor: expect.objectContaining({ type: 'api_key' }), agentId: agents.planner, principalId: 'erin', decision: 'allow' })]);
    const never = await t.api('DELETE', `/v1/grants/${grantId}/delegations/${agents.intruder}`);
    expect(never.status).toBe(404);
    expect(never.body.error.code).toBe('delegation_not_found');

    // Delegated again by a new connect session, the agent is back.
    await oauth.connect('erin', { agentId: agents.planner });
    expect((await proxyAs('planner', grantId)).status).toBe(200);
  });

  test('the delegation routes need grants:read / grants:write, refuse an unknown grant, and show a user only their grants', async () => {
    const grantId = await oauth.connect('frank', { agentId: agents.planner });
    const reader = (await t.api('POST', '/v1/keys', { name: 'reader', scopes: ['grants:read'] })).body.key as string;
    const as = { authorization: `Bearer ${reader}` };
    expect((await t.api('GET', `/v1/grants/${grantId}/delegations`, undefined, as)).status).toBe(200);
    expect((await t.api('DELETE', `/v1/grants/${grantId}/delegations/${agents.planner}`, undefined, as)).body.error.code).toBe('missing_scope');
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await t.api('GET', `/v1/grants/${unknown}/delegations`)).body.error.code).toBe('grant_not_found');
    expect((await t.api('DELETE', `/v1/grants/${unknown}/delegations/${agents.planner}`)).body.error.code).toBe('grant_not_found');
    expect((await t.api('GET', '/v1/grants/not-a-uuid/delegations')).status).toBe(400);
    // An agent has no business with the grants API.
    expect((await t.api('GET', `/v1/grants/${grantId}/delegations`, undefined, await asAgent('planner'))).body.error.code).toBe('missing_scope');

    const frank = { 'x-alter-user-token': await idp.sign({ sub: 'frank', aud: 'my-app' }) };
    const gina = { 'x-alter-user-token': await idp.sign({ sub: 'gina', aud: 'my-app' }) };
    expect((await t.api('GET', `/v1/grants/${grantId}/delegations`, undefined, gina)).body.error.code).toBe('grant_not_found');
    expect((await t.api('DELETE', `/v1/grants/${grantId}/delegations/${agents.planner}`, undefined, gina)).body.error.code).toBe('grant_not_found');
    expect((await t.api('GET', `/v1/grants/${grantId}/delegations`, undefined, frank)).body.delegations).toHaveLength(1);
    // The user revokes their own delegation.
    expect((await t.api('DELETE', `/v1/grants/${grantId}/delegations/${agents.planner}`, undefined, frank)).status).toBe(200);
    expect((await proxyAs('planner', grantId)).status).toBe(403);
  });

  test('an agent credential combined with a user token is refused with 400, even on a grant delegated to it', async () => {
    const grantId = await oauth.connect('hana', { agentId: agents.planner });
    const headers = { ...(await asAgent('planner')), 'x-alter-user-token': await idp.sign({ sub: 'hana', aud: 'my-app' }) };
    const answer = await t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: oauth.meUrl }, headers);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });
});
