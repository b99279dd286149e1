// The wallet over plain HTTP (the real-browser journey is wallet.browser.integration.test.ts):
// sign-in through a real OpenID provider, the session cookie, login CSRF, session expiry, the
// CSRF and Origin checks on every form post, tenant isolation, and branding.
import { createHash } from 'node:crypto';
import { TestBrowser } from '../testing/browser';
import { IDP, signInWithoutBrowser, startWalletWorld, TENANT, type WalletWorld } from '../testing/wallet';

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

describe('the wallet over HTTP', () => {
  let w: WalletWorld | undefined;
  beforeAll(async () => {
    w = await startWalletWorld();
  });
  afterAll(() => w?.stop());

  async function walletSessionRows(principalId: string) {
    return w!.t.app.services.db.selectFrom('wallet_sessions').select(['id', 'last_seen_at', 'expires_at']).where('principal_id', '=', principalId).execute();
  }

  /** POSTs a wallet form as a browser with the given cookies would. */
  async function post(path: string, form: Record<string, string>, headers: Record<string, string>) {
    const res = await fetch(`${w!.t.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  }

  test('the sign-in page offers the tenant’s identity provider, with the security headers; an unknown tenant is 404', async () => {
    const res = await fetch(w!.walletUrl);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`Sign in with ${IDP}`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // The one stylesheet is allowed by its hash.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect((await fetch(`${w!.t.url}/wallet/no-such-tenant`)).status).toBe(404);
  });

  test('signing in sets an http-only, SameSite=Lax session cookie for the tenant’s wallet; the wallet lists the user’s own grants only', async () => {
    const carols = await w!.connect('carol', 'mail', 'carol');
    const daves = await w!.connect('dave', 'mail', 'dave');
    const browser = new TestBrowser();
    const form = await browser.open(`${w!.walletUrl}/sign-in/${IDP}`);
    const callback = await browser.open(new URL(/action="([^"]+)"/.exec(form.body)![1]!, form.url).href, { method: 'POST', form: { login: 'carol', decision: 'allow' } }, (url) => url.pathname === '/wallet/callback');
    const host = new URL(w!.t.url).host;
    const cookies = [...browser.cookies(host)].map(([k, v]) => `${k}=${v}`).join('; ');
    expect(cookies).toMatch(/alter_wallet_login_/);
    const res = await fetch(callback.url, { redirect: 'manual', headers: { cookie: cookies } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/wallet/${TENANT}`);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('alter_wallet='))!;
    expect(session).toMatch(/^alter_wallet=avw_[A-Za-z0-9_-]{43};/);
    expect(session).toMatch(/; Path=\/wallet\/default(;|$)/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Max-Age=43200/);
    // http://127.0.0.1 here; an https ALTER_PUBLIC_URL makes it Secure.
    expect(session).not.toMatch(/; Secure/);
    // The token is stored as a hash only.
    const token = /^alter_wallet=([^;]+)/.exec(session)![1]!;
    const rows = await w!.t.app.services.db.selectFrom('wallet_sessions').selectAll().where('principal_id', '=', 'carol').execute();
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.token_hash).equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(rows[0]!.principal_label).toBe('carol@example.test');

    const wallet = await fetch(w!.walletUrl, { headers: { cookie: `alter_wallet=${token}` } });
    const html = await wallet.text();
    expect(html).toContain('Signed in as <strong>carol@example.test</strong>');
    expect(html).toContain(`/grants/${carols}/revoke`);
    expect(html).not.toContain(daves);
    // Another user's grant is not found, whether its page is asked for or a form posted to it.
    const foreign = await fetch(`${w!.walletUrl}/grants/${daves}/revoke`, { headers: { cookie: `alter_wallet=${token}` } });
    expect(foreign.status).toBe(404);
    const posted = await post(`/wallet/${TENANT}/grants/${daves}/revoke`, { _csrf: csrfOf(html)! }, { cookie: `alter_wallet=${token}`, origin: new URL(w!.t.url).origin });
    expect(posted.status).toBe(404);
    expect((await w!.t.api('GET', `/v1/grants/${daves}`)).body.status).toBe('active');
    // The feed of carol shows nothing of dave's.
    const feed = await (await fetch(`${w!.walletUrl}/activity`, { headers: { cookie: `alter_wallet=${token}` } })).text();
    expect(feed).toContain('Connected mail (carol@example.test)');
    expect(feed).not.toContain('dave');
  });

  test('a sign-in answer this browser did not start is refused and audited (login CSRF)', async () => {
    const starter = new TestBrowser();
    const form = await starter.open(`${w!.walletUrl}/sign-in/${IDP}`);
    const callback = await starter.open(new URL(/action="([^"]+)"/.exec(form.body)![1]!, form.url).href, { method: 'POST', form: { login: 'mallory', decision: 'allow' } }, (url) => url.pathname === '/wallet/callback');
    // The attacker's callback URL, opened in the victim's browser (which started no sign-in).
    const victim = await new TestBrowser().open(callback.url);
    expect(victim.status).toBe(400);
    expect(victim.body).toContain('Sign-in not recognised');
    expect(await walletSessionRows('mallory')).toHaveLength(0);
    const denied = await w!.t.api('GET', '/v1/audit?action=wallet.sign_in&outcome=state_mismatch');
    expect(denied.body.events.length).toBeGreaterThan(0);
  });

  test('a session ends after the idle time, and at its absolute expiry', async () => {
    const browser = new TestBrowser();
    expect((await signInWithoutBrowser(w!, 'erin', browser)).body).toContain('Your access');
    const [row] = await walletSessionRows('erin');
    await w!.t.app.services.db.updateTable('wallet_sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('id', '=', row!.id).execute();
    const idle = await browser.open(w!.walletUrl);
    expect(idle.body).toContain('Your session ended');
    expect(idle.body).toContain(`Sign in with ${IDP}`);
    expect(await walletSessionRows('erin')).toHaveLength(0);

    // A new browser: the identity provider's own session would skip its login form.
    const second = new TestBrowser();
    expect((await signInWithoutBrowser(w!, 'erin', second)).body).toContain('Your access');
    const [again] = await walletSessionRows('erin');
    await w!.t.app.services.db.updateTable('wallet_sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', again!.id).execute();
    expect((await second.open(w!.walletUrl)).body).toContain('Your session ended');
  });

  test('every form post needs the session, this origin and the session’s CSRF token; a refusal changes nothing and is audited', async () => {
    const grantId = await w!.connect('frank', 'calendar', 'frank');
    const browser = new TestBrowser();
    const page = await signInWithoutBrowser(w!, 'frank', browser);
    const csrf = csrfOf(page.body)!;
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = `alter_wallet=${browser.cookies(new URL(w!.t.url).host).get('alter_wallet')}`;
    const origin = new URL(w!.t.url).origin;
    const path = `/wallet/${TENANT}/grants/${grantId}/revoke`;

    const refused = [
      await post(path, {}, { cookie, origin }),
      await post(path, { _csrf: 'x'.repeat(43) }, { cookie, origin }),
      await post(path, { _csrf: csrf }, { cookie, origin: 'http://evil.example' }),
      await post(path, { _csrf: csrf }, { cookie, origin: 'null' }),
      await post(path, { _csrf: csrf }, { cookie, 'sec-fetch-site': 'cross-site' }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.body).toContain('Request refused');
    }
    const noSession = await post(path, { _csrf: csrf }, { origin });
    expect(noSession.status).toBe(403);
    expect(noSession.body).toContain('Session ended');
    expect((await w!.t.api('GET', `/v1/grants/${grantId}`)).body.status).toBe('active');
    const denials = (await w!.t.api('GET', `/v1/audit?grant=${grantId}&action=grant.revoke`)).body.events;
    expect(denials).toHaveLength(refused.length);
    expect(denials[0]).toMatchObject({ decision: 'deny', outcome: 'csrf_refused', actor: { type: 'principal', id: 'frank' }, context: { origin: 'wallet' } });

    const done = await post(path, { _csrf: csrf }, { cookie, origin });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`/wallet/${TENANT}?done=revoked.revoked`);
    expect((await w!.t.api('GET', `/v1/grants/${grantId}`)).body.status).toBe('revoked');
    const [revoked] = (await w!.t.api('GET', `/v1/audit?grant=${grantId}&action=grant.revoke&outcome=ok`)).body.events;
    expect(revoked).toMatchObject({ decision: 'allow', principalId: 'frank', actor: { type: 'principal', id: 'frank' }, context: { origin: 'wallet', providerRevocation: 'revoked' } });
  });

  test('PUT /v1/tenant/branding validates its input, and the pages show the tenant’s name, logo and colour', async () => {
    expect((await w!.t.api('GET', '/v1/tenant/branding')).body).toEqual({ displayName: 'Alter Vault', logoUrl: null, color: null, updatedAt: null });
    for (const bad of [{ displayName: '' }, { displayName: 'X', color: 'red' }, { displayName: 'X', logoUrl: 'http://logo.example/x.png' }, { displayName: 'X', logoUrl: "https://x.example/a.png;script-src 'self'" }]) {
      const res = await w!.t.api('PUT', '/v1/tenant/branding', bad);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    const put = await w!.t.api('PUT', '/v1/tenant/branding', { displayName: 'Acme <Travel>', logoUrl: 'https://cdn.acme.example/logo.png', color: '#FFD60A' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: 'Acme <Travel>', logoUrl: 'https://cdn.acme.example/logo.png', color: '#ffd60a' });
    const res = await fetch(w!.walletUrl);
    const html = await res.text();
    expect(html).toContain('<span class="name">Acme &#60;Travel&#62;</span>');
    expect(html).toContain('<img src="https://cdn.acme.example/logo.png" alt="">');
    // A light colour gets dark text, and links a darker colour that reads on white.
    expect(html).toContain(':root{--brand:#ffd60a;--on-brand:#000000;--accent:#1d2939}');
    expect(res.headers.get('content-security-policy')).toContain('img-src https://cdn.acme.example/logo.png;');
    await w!.t.api('PUT', '/v1/tenant/branding', { displayName: 'Alter Vault' });
  });
});
