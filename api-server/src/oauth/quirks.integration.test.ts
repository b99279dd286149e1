// The catalog's Slack and GitHub entries with their quirks, against fakes written to the
// providers' documented behaviour: Slack's `ok` envelope, user tokens under `authed_user` and
// rotating refresh tokens; GitHub's form-encoded answers, errors with HTTP 200, expiring user
// tokens and grant revocation by DELETE.
import { startTestApp, TestApp } from '../testing/app';
import { TestBrowser, firstLink } from '../testing/browser';
import { FakeProviders, startFakeProviders } from '../testing/fake-oauth-providers';
import { openTokens } from './tokens';

const RETURN = 'http://127.0.0.1:9/connected';

let t: TestApp;
let fake: FakeProviders;

beforeAll(async () => {
  fake = await startFakeProviders();
  t = await startTestApp();
  const common = { clientId: fake.clientId, clientSecret: fake.clientSecret, allowedHosts: [fake.host] };
  const slack = await t.api('PUT', '/v1/providers/slack', {
    template: 'slack',
    ...common,
    authorizationUrl: `${fake.url}/slack/oauth/v2/authorize`,
    tokenUrl: `${fake.url}/slack/api/oauth.v2.access`,
    revocationUrl: `${fake.url}/slack/api/auth.revoke`,
    scopes: ['channels:read', 'chat:write'],
  });
  expect(slack.status).toBe(200);
  const github = await t.api('PUT', '/v1/providers/github', {
    template: 'github',
    ...common,
    authorizationUrl: `${fake.url}/github/login/oauth/authorize`,
    tokenUrl: `${fake.url}/github/login/oauth/access_token`,
    revocationUrl: `${fake.url}/github/api/`,
    userinfoUrl: `${fake.url}/github/api/user`,
  });
  expect(github.status).toBe(200);
});

afterAll(async () => {
  await t?.stop();
  await fake?.close();
});

async function connect(provider: string, user: string): Promise<string> {
  fake.nextUser = user;
  const session = await t.api('POST', '/v1/connect/sessions', { principalId: `p-${user}`, providers: [provider], returnUrl: RETURN });
  const browser = new TestBrowser();
  const page = await browser.open(session.body.url);
  const done = await browser.open(new URL(firstLink(page.body, /Connect/), session.body.url).href, {}, (u) => u.href.startsWith(RETURN));
  const grantId = new URL(done.url).searchParams.get('grantId');
  if (!grantId) throw new Error(`no grant: ${done.status} ${done.body.slice(0, 300)}`);
  return grantId;
}

const use = (grantId: string, path: string) => t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: `${fake.url}${path}` });

async function expire(grantId: string) {
  await t.app.services.db.updateTable('grants').set({ access_expires_at: new Date(Date.now() - 1000) }).where('id', '=', grantId).execute();
}

async function refreshTokenOf(grantId: string): Promise<string | undefined> {
  const { db, envelope } = t.app.services;
  const row = await db.selectFrom('grants').selectAll().where('id', '=', grantId).executeTakeFirstOrThrow();
  return (await openTokens(envelope, db, { tenantId: row.tenant_id, grantId, dekId: row.dek_id!, ciphertext: row.ciphertext! })).refreshToken;
}

describe('Slack (quirk: slack)', () => {
  test('asks for user scopes, stores the user token from authed_user, and proxies with it', async () => {
    const grantId = await connect('slack', 'U100');
    expect(fake.lastAuthorize?.get('user_scope')).toBe('channels:read,chat:write'); // Slack's separator is a comma
    expect(fake.lastAuthorize?.has('scope')).toBe(false);
    const grant = (await t.api('GET', `/v1/grants/${grantId}`)).body;
    expect(grant).toMatchObject({ accountId: 'U100', scopes: ['channels:read', 'chat:write'], status: 'active' });
    expect(new Date(grant.accessTokenExpiresAt).getTime()).toBeGreaterThan(Date.now() + 3600_000);
    const answer = await use(grantId, '/slack/api/auth.test');
    expect(JSON.parse(answer.body.body)).toEqual({ ok: true, user_id: 'U100' });
  });

  test('rotating refresh tokens: each refresh stores the new one; a dead one (ok:false) means reauth_required', async () => {
    const grantId = await connect('slack', 'U200');
    const first = await refreshTokenOf(grantId);
    await expire(grantId);
    expect(JSON.parse((await use(grantId, '/slack/api/auth.test')).body.body).ok).toBe(true);
    const second = await refreshTokenOf(grantId);
    expect(second).not.toBe(first);
    await expire(grantId);
    expect(JSON.parse((await use(grantId, '/slack/api/auth.test')).body.body).ok).toBe(true);
    expect(fake.calls['slack:refresh_token']).toBe(2);

    // The workspace admin revokes the app for this user at Slack.
    const tokens = await t.app.services.db.selectFrom('grants').selectAll().where('id', '=', grantId).executeTakeFirstOrThrow();
    const access = (await openTokens(t.app.services.envelope, t.app.services.db, { tenantId: tokens.tenant_id, grantId, dekId: tokens.dek_id!, ciphertext: tokens.ciphertext! })).accessToken;
    await fetch(`${fake.url}/slack/api/auth.revoke`, { method: 'POST', headers: { authorization: `Bearer ${access}` } });
    await expire(grantId);
    const dead = await use(grantId, '/slack/api/auth.test');
    expect(dead.status).toBe(409);
    expect(dead.body.error.code).toBe('reauth_required');
  });

  test('revocation goes through auth.revoke', async () => {
    const grantId = await connect('slack', 'U300');
    const del = await t.api('DELETE', `/v1/grants/${grantId}`);
    expect(del.body).toMatchObject({ status: 'revoked', providerRevocation: 'revoked' });
    expect((await use(grantId, '/slack/api/auth.test')).body.error.code).toBe('grant_revoked');
  });
});

describe('GitHub (quirk: github)', () => {
  test('reads form-encoded token answers, the account from /user, and proxies with the user token', async () => {
    const grantId = await connect('github', 'U42');
    const grant = (await t.api('GET', `/v1/grants/${grantId}`)).body;
    expect(grant).toMatchObject({ accountId: '42', accountLabel: 'U42', status: 'active' });
    // expires_in came as a string in a form-encoded body: read as 8 hours.
    const expiresIn = new Date(grant.accessTokenExpiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(7.9 * 3600_000);
    expect(expiresIn).toBeLessThanOrEqual(8 * 3600_000);
    expect(JSON.parse((await use(grantId, '/github/api/user')).body.body)).toEqual({ id: 42, login: 'U42' });
  });

  test('expiring user tokens refresh with rotation; bad_refresh_token (HTTP 200) means reauth_required', async () => {
    const grantId = await connect('github', 'U43');
    const before = await refreshTokenOf(grantId);
    await expire(grantId);
    expect((await use(grantId, '/github/api/user')).body.status).toBe(200);
    expect(await refreshTokenOf(grantId)).not.toBe(before);
    expect(fake.calls['github:refresh_token']).toBe(1);

    // The user revokes the app in their GitHub settings.
    const row = await t.app.services.db.selectFrom('grants').selectAll().where('id', '=', grantId).executeTakeFirstOrThrow();
    const access = (await openTokens(t.app.services.envelope, t.app.services.db, { tenantId: row.tenant_id, grantId, dekId: row.dek_id!, ciphertext: row.ciphertext! })).accessToken;
    const revoked = await fetch(`${fake.url}/github/api/applications/${fake.clientId}/grant`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}` },
      body: JSON.stringify({ access_token: access }),
    });
    expect(revoked.status).toBe(204);
    await expire(grantId);
    const dead = await use(grantId, '/github/api/user');
    expect(dead.status).toBe(409);
    expect(dead.body.error.code).toBe('reauth_required');
  });

  test('revocation deletes the app’s grant at GitHub', async () => {
    const grantId = await connect('github', 'U44');
    const del = await t.api('DELETE', `/v1/grants/${grantId}`);
    expect(del.body).toMatchObject({ status: 'revoked', providerRevocation: 'revoked' });
  });
});
