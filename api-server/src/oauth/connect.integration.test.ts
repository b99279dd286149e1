// The OAuth grant lifecycle against a real OpenID Connect provider (oidc-provider, standing in
// for Google): connect through the hosted pages, use, refresh (single flight, rotation),
// invalid_grant, scope drift, revocation, and every way a connect attempt is refused.
import { sql } from 'kysely';
import { firstLink, formAction, Page, TestBrowser } from '../testing/browser';
import { startTestApp, TestApp } from '../testing/app';
import { OidcServer, startOidcServer } from '../testing/oidc-server';
import { openTokens } from './tokens';

const RETURN = 'http://127.0.0.1:9/connected';
const atReturn = (url: URL) => url.href.startsWith(RETURN);

interface Setup {
  t: TestApp;
  oidc: OidcServer;
  provider: string;
}

async function setup(rotateRefreshTokens: boolean): Promise<Setup> {
  let oidc: OidcServer | undefined;
  const t = await startTestApp();
  try {
    oidc = await startOidcServer({ redirectUri: `${t.app.config.publicUrl}/v1/oauth/callback`, rotateRefreshTokens });
    const provider = 'google-test';
    const put = await t.api('PUT', `/v1/providers/${provider}`, {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      tokenAuthMethod: 'client_secret_basic',
      scopes: ['openid', 'email', 'offline_access', 'api'],
      allowedHosts: [new URL(oidc.issuer).host],
    });
    expect(put.status).toBe(200);
    return { t, oidc, provider };
  } catch (err) {
    await oidc?.stop();
    await t.stop();
    throw err;
  }
}

async function teardown(s: Setup | undefined) {
  await s?.oidc.stop();
  await s?.t.stop();
}

/** The whole connect flow as the end user's browser runs it; answers the last page (or the app's returnUrl, not fetched). */
async function connectPage(s: Setup, user: string, decision: 'allow' | 'deny', browser = new TestBrowser()): Promise<Page> {
  const session = await s.t.api('POST', '/v1/connect/sessions', { principalId: `principal-${user}`, returnUrl: RETURN });
  expect(session.status).toBe(201);
  const page = await browser.open(session.body.url);
  expect(page.status).toBe(200);
  const login = await browser.open(new URL(firstLink(page.body, /Connect/), session.body.url).href);
  expect(login.body).toContain('Sign in to the test provider');
  return browser.open(new URL(formAction(login.body), login.url).href, { method: 'POST', form: { login: user, decision } }, atReturn);
}

/** Connects and answers the returnUrl the browser was sent back to. */
async function connect(s: Setup, user: string): Promise<URL> {
  return new URL((await connectPage(s, user, 'allow')).url);
}

async function proxyMe(s: Setup, grantId: string) {
  return s.t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: `${s.oidc.issuer}/api/me` });
}

async function expire(s: Setup, grantId: string) {
  await s.t.app.services.db.updateTable('grants').set({ access_expires_at: new Date(Date.now() - 1000) }).where('id', '=', grantId).execute();
}

async function storedTokens(s: Setup, grantId: string) {
  const { db, envelope } = s.t.app.services;
  const row = await db.selectFrom('grants').selectAll().where('id', '=', grantId).executeTakeFirstOrThrow();
  return openTokens(envelope, db, { tenantId: row.tenant_id, grantId, dekId: row.dek_id!, ciphertext: row.ciphertext! });
}

async function auditActions(s: Setup, grantId: string): Promise<string[]> {
  const page = await s.t.api('GET', `/v1/audit?grant=${grantId}`);
  return (page.body.events as { action: string; outcome: string }[]).map((e) => `${e.action}:${e.outcome}`).reverse();
}

describe('OAuth grants with a real OIDC provider (refresh tokens kept)', () => {
  let s: Setup | undefined;
  beforeAll(async () => {
    s = await setup(false);
  });
  afterAll(() => teardown(s));

  test('connect → grant → proxied call with the user’s token; reconnecting the same account updates the grant', async () => {
    const back = await connect(s!, 'alice');
    expect(back.searchParams.get('status')).toBe('connected');
    const grantId = back.searchParams.get('grantId')!;
    const grant = await s!.t.api('GET', `/v1/grants/${grantId}`);
    expect(grant.body).toMatchObject({ kind: 'oauth', provider: 'google-test', status: 'active', principalId: 'principal-alice', accountId: 'alice', scopes: expect.arrayContaining(['openid', 'api']) });
    expect(JSON.stringify(grant.body)).not.toMatch(/token"|refresh/i);

    const me = await proxyMe(s!, grantId);
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body.body)).toEqual({ sub: 'alice' });

    const again = await connect(s!, 'alice');
    expect(again.searchParams.get('grantId')).toBe(grantId);
    const bob = await connect(s!, 'bob');
    expect(bob.searchParams.get('grantId')).not.toBe(grantId);
    const list = await s!.t.api('GET', '/v1/grants?provider=google-test&principal=principal-alice');
    expect(list.body.grants.map((g: { id: string }) => g.id)).toEqual([grantId]);
    expect(await auditActions(s!, grantId)).toEqual(['grant.connect:ok', 'proxy:ok', 'grant.connect:ok']);
  });

  test('50 concurrent uses of an expired grant cause exactly one refresh at the provider', async () => {
    const grantId = (await connect(s!, 'carol')).searchParams.get('grantId')!;
    const before = await storedTokens(s!, grantId);
    await expire(s!, grantId);
    const calls = (await s!.oidc.tokenRequests()).refresh_token ?? 0;
    const answers = await Promise.all(Array.from({ length: 50 }, () => proxyMe(s!, grantId)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect((await s!.oidc.tokenRequests()).refresh_token).toBe(calls + 1);
    const after = await storedTokens(s!, grantId);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken); // not rotated: the old one is kept
    const info = (await s!.t.api('GET', `/v1/grants/${grantId}`)).body;
    expect(new Date(info.accessTokenExpiresAt).getTime()).toBeGreaterThan(Date.now() + 60_000);
  });

  test('invalid_grant marks the grant needs_reauth; uses answer reauth_required until the user reconnects', async () => {
    const grantId = (await connect(s!, 'dave')).searchParams.get('grantId')!;
    const { refreshToken } = await storedTokens(s!, grantId);
    // The provider revokes the refresh token behind the vault's back.
    const revoked = await fetch(`${s!.oidc.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${s!.oidc.clientId}:${s!.oidc.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken! }),
    });
    expect(revoked.status).toBe(200);
    await expire(s!, grantId);
    const use = await proxyMe(s!, grantId);
    expect(use.status).toBe(409);
    expect(use.body.error.code).toBe('reauth_required');
    expect((await s!.t.api('GET', `/v1/grants/${grantId}`)).body.status).toBe('needs_reauth');
    expect((await proxyMe(s!, grantId)).body.error.code).toBe('reauth_required');
    expect(await auditActions(s!, grantId)).toEqual(expect.arrayContaining(['grant.needs_reauth:reauth_required', 'proxy:reauth_required']));

    const back = await connect(s!, 'dave');
    expect(back.searchParams.get('grantId')).toBe(grantId);
    expect((await proxyMe(s!, grantId)).status).toBe(200);
  });

  test('scope drift: a newly required scope flags existing grants, and uses ask for re-consent', async () => {
    const grantId = (await connect(s!, 'erin')).searchParams.get('grantId')!;
    const put = await s!.t.api('PUT', `/v1/providers/google-test`, {
      issuer: s!.oidc.issuer,
      clientId: s!.oidc.clientId,
      tokenAuthMethod: 'client_secret_basic',
      scopes: ['openid', 'email', 'offline_access', 'api', 'profile'],
      allowedHosts: [new URL(s!.oidc.issuer).host],
    });
    expect(put.status).toBe(200);
    const use = await proxyMe(s!, grantId);
    expect(use.status).toBe(409);
    expect(use.body.error).toMatchObject({ code: 'consent_required', message: expect.stringContaining('profile') });
    expect((await s!.t.api('GET', `/v1/grants/${grantId}`)).body.missingScopes).toEqual(['profile']);
    const back = await connect(s!, 'erin');
    expect(back.searchParams.get('grantId')).toBe(grantId);
    expect((await proxyMe(s!, grantId)).status).toBe(200);
  });

  test('DELETE /v1/grants/{id} revokes at the provider, drops the ciphertext, and the next use fails', async () => {
    const grantId = (await connect(s!, 'frank')).searchParams.get('grantId')!;
    const { accessToken } = await storedTokens(s!, grantId);
    const del = await s!.t.api('DELETE', `/v1/grants/${grantId}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: grantId, status: 'revoked', providerRevocation: 'revoked' });
    const row = await s!.t.app.services.db.selectFrom('grants').select(['ciphertext', 'dek_id']).where('id', '=', grantId).executeTakeFirstOrThrow();
    expect(row).toEqual({ ciphertext: null, dek_id: null });
    // The provider no longer accepts the access token either.
    const direct = await fetch(`${s!.oidc.issuer}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(direct.status).toBe(401);
    const use = await proxyMe(s!, grantId);
    expect(use.status).toBe(410);
    expect(use.body.error.code).toBe('grant_revoked');
    const events = (await s!.t.api('GET', `/v1/audit?grant=${grantId}&action=grant.revoke`)).body.events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { type: 'api_key' }, outcome: 'ok', context: { providerRevocation: 'revoked' } });
    // Idempotent: a second revoke answers the revoked grant and audits nothing new.
    expect((await s!.t.api('DELETE', `/v1/grants/${grantId}`)).body.providerRevocation).toBe('already_revoked');
  });

  test('consent denied, state mismatch, a reused or expired session: a clear page, an audit row, nothing stored', async () => {
    const grantsBefore = (await s!.t.api('GET', '/v1/grants?limit=500')).body.grants.length;
    const denied = await connectPage(s!, 'gina', 'deny');
    expect(new URL(denied.url).pathname).toBe('/v1/oauth/callback');
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('You declined access');
    expect(denied.body).toContain('error=consent_denied');

    const browser = new TestBrowser();
    const session = await s!.t.api('POST', '/v1/connect/sessions', { principalId: 'principal-hank', returnUrl: RETURN });
    const page = await browser.open(session.body.url);
    const login = await browser.open(new URL(firstLink(page.body, /Connect/), session.body.url).href);
    // Another browser (no flow cookie) brings the provider's answer: refused.
    const done = await browser.open(new URL(formAction(login.body), login.url).href, { method: 'POST', form: { login: 'hank', decision: 'allow' } }, (u) => u.pathname === '/v1/oauth/callback');
    const stranger = await new TestBrowser().open(done.url);
    expect(stranger.status).toBe(400);
    expect(stranger.body).toContain('does not match a sign-in started in this browser');
    // The right browser with a forged state: refused too.
    const forged = new URL(done.url);
    forged.searchParams.set('state', 'forged-state');
    expect((await browser.open(forged.href)).status).toBe(400);

    const used = await s!.t.api('POST', '/v1/connect/sessions', { principalId: 'principal-ivy', returnUrl: RETURN });
    const usedBrowser = new TestBrowser();
    const first = await usedBrowser.open(used.body.url);
    const ivyLogin = await usedBrowser.open(new URL(firstLink(first.body, /Connect/), used.body.url).href);
    await usedBrowser.open(new URL(formAction(ivyLogin.body), ivyLogin.url).href, { method: 'POST', form: { login: 'ivy', decision: 'allow' } }, atReturn);
    const reused = await usedBrowser.open(used.body.url);
    expect(reused.status).toBe(410);
    expect(reused.body).toContain('already used');

    const old = await s!.t.api('POST', '/v1/connect/sessions', { principalId: 'principal-jo', returnUrl: RETURN });
    await s!.t.app.services.db.updateTable('connect_sessions').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('principal_id', '=', 'principal-jo').execute();
    const expired = await new TestBrowser().open(old.body.url);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('expired');

    const grantsAfter = (await s!.t.api('GET', '/v1/grants?limit=500')).body.grants.length;
    expect(grantsAfter).toBe(grantsBefore + 1); // ivy only
    const outcomes = (await s!.t.api('GET', '/v1/audit?action=grant.connect&limit=1000')).body.events.map((e: { outcome: string }) => e.outcome);
    expect(outcomes).toEqual(expect.arrayContaining(['consent_denied', 'state_mismatch']));
    const opened = (await s!.t.api('GET', '/v1/audit?action=connect.session.open')).body.events.map((e: { outcome: string }) => e.outcome);
    expect(opened).toEqual(expect.arrayContaining(['session_used', 'session_expired']));
  });

  test('bad input: unknown provider, a returnUrl off the allowed origins, a template not in the catalog', async () => {
    const unknown = await s!.t.api('POST', '/v1/connect/sessions', { principalId: 'p', providers: ['nope'], returnUrl: RETURN });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('provider_not_found');
    const evil = await s!.t.api('POST', '/v1/connect/sessions', { principalId: 'p', returnUrl: 'https://evil.example/steal' });
    expect(evil.status).toBe(400);
    expect(evil.body.error.code).toBe('return_url_not_allowed');
    const template = await s!.t.api('PUT', '/v1/providers/x1', { template: 'no-such-provider', clientId: 'c', clientSecret: 'client-secret-value' });
    expect(template.status).toBe(400);
    expect(template.body.error.message).toContain('not an OAuth provider of the catalog');
    const http = await s!.t.api('PUT', '/v1/providers/x2', { authorizationUrl: 'http://a.example/auth', tokenUrl: 'https://a.example/token', clientId: 'c', clientSecret: 'client-secret-value' });
    expect(http.status).toBe(400);
  });
});

describe('OAuth grants with a real OIDC provider that rotates refresh tokens', () => {
  let s: Setup | undefined;
  beforeAll(async () => {
    s = await setup(true);
  });
  afterAll(() => teardown(s));

  test('each refresh stores the rotated refresh token, so the next refresh works', async () => {
    const grantId = (await connect(s!, 'kim')).searchParams.get('grantId')!;
    const first = await storedTokens(s!, grantId);
    await expire(s!, grantId);
    expect((await proxyMe(s!, grantId)).status).toBe(200);
    const second = await storedTokens(s!, grantId);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await expire(s!, grantId);
    expect((await proxyMe(s!, grantId)).status).toBe(200);
    const third = await storedTokens(s!, grantId);
    expect(third.refreshToken).not.toBe(second.refreshToken);
    expect(await auditActions(s!, grantId)).toEqual(['grant.connect:ok', 'grant.refresh:ok', 'proxy:ok', 'grant.refresh:ok', 'proxy:ok']);
  });

  test('the background refresher refreshes grants about to expire, each once, with SKIP LOCKED across two refreshers', async () => {
    const ids = [];
    for (const user of ['lee', 'max', 'ned']) ids.push((await connect(s!, user)).searchParams.get('grantId')!);
    for (const id of ids) await expire(s!, id);
    const before = (await s!.oidc.tokenRequests()).refresh_token ?? 0;
    // Two passes at once stand in for two replicas.
    const refresher = s!.t.app.services.refresher;
    const [a, b] = await Promise.all([refresher.refreshDue(), refresher.refreshDue()]);
    // Each grant once, whichever pass took it: three refreshes, three token requests.
    expect(a.refreshed + b.refreshed).toBe(3);
    expect((await s!.oidc.tokenRequests()).refresh_token).toBe(before + 3);
    for (const id of ids) expect((await auditActions(s!, id)).filter((x) => x === 'grant.refresh:ok')).toHaveLength(1);
    for (const id of ids) expect((await proxyMe(s!, id)).status).toBe(200);
    expect((await s!.oidc.tokenRequests()).refresh_token).toBe(before + a.refreshed + b.refreshed);
  });
});
