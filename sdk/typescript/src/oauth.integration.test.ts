// The TypeScript SDK on an OAuth grant, against the real server and a real OpenID provider:
// connect, request(), and the typed errors the OAuth lifecycle and the policy raise from
// real answers (ReauthRequired for reauth and re-consent, RateLimited, GrantRevoked).
import { openTokens } from '../../../api-server/src/oauth/tokens';
import { startTestApp, type TestApp } from '../../../api-server/src/testing/app';
import { CONNECTED_RETURN_URL, type ConnectedGrants, startConnectedGrants } from '../../../api-server/src/testing/connected-grants';
import { GrantRevoked, RateLimited, ReauthRequired, Vault } from './index';

let t: TestApp;
let oauth: ConnectedGrants;
let vault: Vault;

beforeAll(async () => {
  t = await startTestApp();
  oauth = await startConnectedGrants(t, 'idp');
  vault = new Vault({ baseUrl: t.url, apiKey: t.bootstrapKey });
});

afterAll(async () => {
  await oauth?.stop();
  await t?.stop();
});

/** The SDK mints the session; the end user completes it in a browser. */
async function connect(user: string): Promise<string> {
  const session = await vault.connect.createSession({ principalId: user, providers: ['idp'], returnUrl: CONNECTED_RETURN_URL });
  return oauth.complete(session.url, user);
}

const me = (grantId: string) => vault.request('GET', oauth.meUrl, { grantId });

test('request() on an OAuth grant calls with the user’s token; grants.get shows it; revoke raises GrantRevoked after', async () => {
  const grantId = await connect('sdk-alice');
  expect(await (await me(grantId)).json()).toEqual({ sub: 'sdk-alice' });
  expect(await vault.grants.get(grantId)).toMatchObject({ kind: 'oauth', principalId: 'sdk-alice', accountId: 'sdk-alice', status: 'active' });
  expect((await vault.grants.list({ principal: 'sdk-alice' })).grants.map((g) => g.id)).toEqual([grantId]);
  expect(await vault.grants.revoke(grantId)).toMatchObject({ status: 'revoked', providerRevocation: 'revoked' });
  await expect(me(grantId)).rejects.toBeInstanceOf(GrantRevoked);
});

test('a refresh the provider refuses raises ReauthRequired (reauth_required); new required scopes raise it too (consent_required)', async () => {
  const grantId = await connect('sdk-bob');
  const { db, envelope } = t.app.services;
  const row = await db.selectFrom('grants').selectAll().where('id', '=', grantId).executeTakeFirstOrThrow();
  const { refreshToken } = await openTokens(envelope, db, { tenantId: row.tenant_id, grantId, dekId: row.dek_id!, ciphertext: row.ciphertext! });
  await fetch(`${oauth.oidc.issuer}/token/revocation`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${oauth.oidc.clientId}:${oauth.oidc.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: refreshToken! }),
  });
  await db.updateTable('grants').set({ access_expires_at: new Date(Date.now() - 1000) }).where('id', '=', grantId).execute();
  await expect(me(grantId)).rejects.toMatchObject({ name: 'ReauthRequired', code: 'reauth_required', status: 409 });

  const carol = await connect('sdk-carol');
  await vault.providers.put('idp', { issuer: oauth.oidc.issuer, clientId: oauth.oidc.clientId, tokenAuthMethod: 'client_secret_basic', scopes: ['openid', 'offline_access', 'api', 'email'], allowedHosts: [new URL(oauth.oidc.issuer).host] });
  const drift = await me(carol).catch((err: unknown) => err);
  expect(drift).toBeInstanceOf(ReauthRequired);
  expect(drift).toMatchObject({ code: 'consent_required' });
});

test('a rate-limit rule raises RateLimited once the grant is over it', async () => {
  await vault.providers.put('idp', { issuer: oauth.oidc.issuer, clientId: oauth.oidc.clientId, tokenAuthMethod: 'client_secret_basic', scopes: ['openid', 'offline_access', 'api'], allowedHosts: [new URL(oauth.oidc.issuer).host] });
  const grantId = await connect('sdk-dave');
  const rule = await fetch(`${t.url}/v1/policies/rules`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.bootstrapKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ target: { type: 'grant', id: grantId }, type: 'rate_limit', requests: 1, perSeconds: 3600, per: 'grant' }),
  });
  expect(rule.status).toBe(201);
  // No retries: a RateLimited answer is not sent again by the client.
  const once = new Vault({ baseUrl: t.url, apiKey: t.bootstrapKey, retries: 0 });
  expect((await once.request('GET', oauth.meUrl, { grantId })).status).toBe(200);
  const limited = await once.request('GET', oauth.meUrl, { grantId }).catch((err: unknown) => err);
  expect(limited).toBeInstanceOf(RateLimited);
  expect(limited).toMatchObject({ code: 'rate_limited', status: 429 });
});
