// End users: an app passes its end user's ID token (X-Alter-User-Token) beside its API key. The
// token is verified against the tenant's identity provider's JWKS (a real https issuer here),
// the principal is created on first sight, and the app then uses that user's grants only.
// The grants are connected through the hosted flow against a real OIDC provider.
import { createHmac } from 'node:crypto';
import { startTestApp, TestApp } from '../testing/app';
import { ConnectedGrants, startConnectedGrants } from '../testing/connected-grants';
import { JwksIssuer, startJwksIssuer } from '../testing/jwks-issuer';

let t: TestApp;
let idp: JwksIssuer;
let partners: JwksIssuer;
let cluster: JwksIssuer;
let oauth: ConnectedGrants;
const grants: Record<string, string> = {};

const AUDIENCE = 'my-app';
const asUser = (token: string) => ({ 'x-alter-user-token': token });
const userToken = (sub: string, claims: Record<string, unknown> = {}) => idp.sign({ sub, aud: AUDIENCE, ...claims });
const proxy = (grantId: string, headers: Record<string, string> = {}) => t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: oauth.meUrl }, headers);
const principals = (externalId: string) => t.app.services.db.selectFrom('principals').select(['id', 'kind', 'idp', 'external_id']).where('external_id', '=', externalId).execute();

beforeAll(async () => {
  idp = await startJwksIssuer();
  partners = await startJwksIssuer();
  cluster = await startJwksIssuer();
  // The `default` namespace of the `default` cluster is the bootstrap key's tenant.
  t = await startTestApp({ env: { ALTER_K8S_ISSUERS: cluster.url, ALTER_K8S_JWKS_COOLDOWN_MS: '0', ALTER_PROVIDER_TIMEOUT_MS: '2000' } });
  expect((await t.api('PUT', '/v1/identity-providers/corp', { issuer: idp.url, audience: AUDIENCE })).status).toBe(200);
  // Partners are named by their email; this identity provider's issuer is down.
  expect((await t.api('PUT', '/v1/identity-providers/partners', { issuer: partners.url, audience: AUDIENCE, principalClaim: 'email' })).status).toBe(200);
  expect((await t.api('PUT', '/v1/identity-providers/down', { issuer: 'https://127.0.0.1:9', audience: AUDIENCE })).status).toBe(200);
  oauth = await startConnectedGrants(t);
  for (const user of ['alice', 'bob', 'carol', 'pat@partner.example']) grants[user] = await oauth.connect(user, { login: user.replace(/@.*/, '') });
  // The Agent names alice's grant (listing the OAuth provider would open no user's grant).
  expect((await t.api('PUT', '/v1/admin/agents/default/assistant', { uid: 'uid-assistant', serviceAccountName: 'assistant', grants: [grants.alice] })).status).toBe(200);
});

afterAll(async () => {
  await oauth?.stop();
  await t?.stop();
  for (const issuer of [idp, partners, cluster]) await issuer?.close();
});

describe('X-Alter-User-Token', () => {
  test('a valid token acts for its user: the principal is created on first sight and reused after; the audit row names it', async () => {
    expect(await principals('alice')).toEqual([]);
    const first = await proxy(grants.alice!, asUser(await userToken('alice')));
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body.body)).toEqual({ sub: 'alice' });
    const created = await principals('alice');
    expect(created).toEqual([{ id: expect.any(String), kind: 'user', idp: 'corp', external_id: 'alice' }]);

    expect((await proxy(grants.alice!, asUser(await userToken('alice')))).status).toBe(200);
    expect(await principals('alice')).toEqual(created);

    const events = (await t.api('GET', `/v1/audit?grant=${grants.alice}&action=proxy`)).body.events;
    expect(events).toHaveLength(2);
    for (const event of events) expect(event).toMatchObject({ principalId: 'alice', actor: { type: 'api_key' }, decision: 'allow', outcome: 'ok' });
  });

  test('alice’s token never reaches bob’s grant (404, audited); without a token the app key still uses it', async () => {
    const token = await userToken('alice');
    const uses = { '/v1/proxy': { grantId: grants.bob, method: 'GET', url: oauth.meUrl }, '/v1/tokens/retrieve': { grantId: grants.bob } };
    for (const [path, body] of Object.entries(uses)) {
      const answer = await t.api('POST', path, body, asUser(token));
      expect({ path, status: answer.status, code: answer.body.error?.code }).toEqual({ path, status: 404, code: 'grant_not_found' });
    }
    const denied = (await t.api('GET', `/v1/audit?grant=${grants.bob}&action=proxy&outcome=grant_not_found`)).body.events;
    expect(denied).toEqual([expect.objectContaining({ principalId: 'alice', decision: 'deny' })]);
    // Nor through the grants API: reading, listing, revoking, its delegations; nor a connect session for bob.
    expect((await t.api('GET', `/v1/grants/${grants.bob}`, undefined, asUser(token))).body.error.code).toBe('grant_not_found');
    expect((await t.api('DELETE', `/v1/grants/${grants.bob}`, undefined, asUser(token))).body.error.code).toBe('grant_not_found');
    expect((await t.api('GET', `/v1/grants/${grants.bob}/delegations`, undefined, asUser(token))).body.error.code).toBe('grant_not_found');
    const listed = await t.api('GET', '/v1/grants', undefined, asUser(token));
    expect(listed.body.grants.map((g: { principalId: string }) => g.principalId)).toEqual(['alice']);
    expect((await t.api('GET', '/v1/grants?principal=bob', undefined, asUser(token))).body.grants).toEqual([]);
    const session = await t.api('POST', '/v1/connect/sessions', { principalId: 'bob', returnUrl: 'http://127.0.0.1:9/back' }, asUser(token));
    expect(session.status).toBe(400);
    expect((await t.api('GET', `/v1/grants/${grants.alice}`, undefined, asUser(token))).body.principalId).toBe('alice');

    expect((await proxy(grants.bob!)).status).toBe(200);
    expect((await t.api('GET', `/v1/grants/${grants.bob}`)).status).toBe(200);
  });

  test('the principal claim is the one the identity provider names (email for partners)', async () => {
    const token = await partners.sign({ sub: 'opaque-123', email: 'pat@partner.example', aud: AUDIENCE });
    expect((await proxy(grants['pat@partner.example']!, asUser(token))).status).toBe(200);
    expect(await principals('pat@partner.example')).toEqual([expect.objectContaining({ kind: 'user', idp: 'partners' })]);
    // Its `sub` names nobody; a token without the claim is refused.
    expect((await proxy(grants.alice!, asUser(await partners.sign({ sub: 'alice', aud: AUDIENCE })))).body.error.code).toBe('user_token_invalid');
  });

  test('forged, expired, wrong-audience, wrong-issuer, alg:none, HMAC-confused, tampered and malformed tokens: 401 user_token_invalid', async () => {
    const good = await userToken('carol');
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const hsHeader = b64({ alg: 'HS256', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid });
    const stranger = await startJwksIssuer();
    const refused = {
      forged: await idp.sign({ sub: 'carol', aud: AUDIENCE }, { key: await idp.strangerKey() }),
      expired: await idp.sign({ sub: 'carol', aud: AUDIENCE }, { expiresIn: '-1m' }),
      audience: await idp.sign({ sub: 'carol', aud: 'another-app' }),
      noAudience: await idp.sign({ sub: 'carol' }),
      issuer: await idp.sign({ sub: 'carol', aud: AUDIENCE, iss: 'https://evil.example' }),
      unconfiguredIssuer: await stranger.sign({ sub: 'carol', aud: AUDIENCE }),
      // Another tenant's identity provider would be as foreign: the issuer must be one of this tenant's.
      clusterToken: await cluster.token('default', 'assistant'),
      none: `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      hmac: `${hsHeader}.${payload}.${createHmac('sha256', idp.publicPem()).update(`${hsHeader}.${payload}`).digest('base64url')}`,
      tampered: `${header}.${b64({ ...claims, sub: 'bob' })}.${signature}`,
      noSubject: await idp.sign({ aud: AUDIENCE }),
      garbage: 'aaa.bbb.ccc',
      notAJwt: 'alice',
      empty: '',
    };
    await stranger.close();
    for (const [what, token] of Object.entries(refused)) {
      const answer = await proxy(grants.carol!, asUser(token));
      expect({ what, status: answer.status, code: answer.body.error?.code }).toEqual({ what, status: 401, code: 'user_token_invalid' });
    }
    // Refused uses are audited in the key's tenant; nobody was created.
    const events = (await t.api('GET', `/v1/audit?grant=${grants.carol}&outcome=user_token_invalid`)).body.events;
    expect(events).toHaveLength(Object.keys(refused).length);
    expect(await principals('carol')).toEqual([]);
    expect((await proxy(grants.carol!, asUser(good))).status).toBe(200);
  });

  test('the issuer’s key rotation is picked up; an issuer that cannot be reached answers 503 idp_unavailable', async () => {
    await idp.rotate();
    expect((await proxy(grants.alice!, asUser(await userToken('alice')))).status).toBe(200);
    const down = await proxy(grants.alice!, asUser(await idp.sign({ sub: 'alice', aud: AUDIENCE, iss: 'https://127.0.0.1:9' })));
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('idp_unavailable');
  });

  test('an agent credential with a user token is refused with 400; alone it works', async () => {
    const agentToken = await cluster.token('default', 'assistant');
    const alone = await t.api('POST', '/v1/proxy', { grantId: grants.alice, method: 'GET', url: oauth.meUrl }, { authorization: `Bearer ${agentToken}` });
    expect(alone.status).toBe(200);
    const both = await t.api('POST', '/v1/proxy', { grantId: grants.alice, method: 'GET', url: oauth.meUrl }, { authorization: `Bearer ${agentToken}`, ...asUser(await userToken('alice')) });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('invalid_request');
  });
});

describe('identity providers API', () => {
  test('PUT configures (client secret sealed, never answered), GET lists; bad input is refused', async () => {
    const put = await t.api('PUT', '/v1/identity-providers/wallet', { issuer: 'https://login.example.com', audience: 'wallet-app', clientId: 'vault-client', clientSecret: 'idp-client-secret-value' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      name: 'wallet',
      issuer: 'https://login.example.com',
      audience: 'wallet-app',
      principalClaim: 'sub',
      clientId: 'vault-client',
      hasClientSecret: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const row = await t.app.services.db.selectFrom('identity_providers').select(['client_secret']).where('name', '=', 'wallet').executeTakeFirstOrThrow();
    expect(Buffer.from(row.client_secret!).toString('utf8')).not.toContain('idp-client-secret-value');
    // An update without the secret keeps it for the same client.
    expect((await t.api('PUT', '/v1/identity-providers/wallet', { issuer: 'https://login.example.com', audience: 'wallet-app-2', clientId: 'vault-client' })).body).toMatchObject({ audience: 'wallet-app-2', hasClientSecret: true });
    const list = await t.api('GET', '/v1/identity-providers');
    expect(list.body.identityProviders.map((p: { name: string }) => p.name)).toEqual(['corp', 'down', 'partners', 'wallet']);
    expect(JSON.stringify(list.body)).not.toContain('idp-client-secret-value');
    expect((await t.api('GET', '/v1/identity-providers/wallet')).body.audience).toBe('wallet-app-2');
    expect((await t.api('GET', '/v1/identity-providers/nope')).status).toBe(404);
    const audit = (await t.api('GET', '/v1/audit?action=identity_provider.create')).body.events;
    expect(audit.map((e: { context: { identityProvider: string } }) => e.context.identityProvider)).toContain('wallet');

    const bad = {
      httpIssuer: { issuer: 'http://login.example.com', audience: 'a' },
      noAudience: { issuer: 'https://login.example.com' },
      secretWithoutClient: { issuer: 'https://other.example.com', audience: 'a', clientSecret: 'x-secret' },
      claimPath: { issuer: 'https://other.example.com', audience: 'a', principalClaim: 'a..b' },
      takenIssuer: { issuer: idp.url, audience: 'a' },
    };
    for (const [what, body] of Object.entries(bad)) {
      const answer = await t.api('PUT', '/v1/identity-providers/another', body);
      expect({ what, status: answer.status, code: answer.body.error?.code }).toEqual({ what, status: 400, code: 'invalid_request' });
    }
    expect((await t.api('PUT', '/v1/identity-providers/Bad_Name', { issuer: 'https://x.example', audience: 'a' })).status).toBe(400);
  });

  test('configuring needs providers:write and reading providers:read', async () => {
    const key = (await t.api('POST', '/v1/keys', { name: 'proxy-only', scopes: ['proxy:execute'] })).body.key as string;
    const as = { authorization: `Bearer ${key}` };
    expect((await t.api('PUT', '/v1/identity-providers/x', { issuer: 'https://x.example', audience: 'a' }, as)).body.error.code).toBe('missing_scope');
    expect((await t.api('GET', '/v1/identity-providers', undefined, as)).body.error.code).toBe('missing_scope');
  });
});
