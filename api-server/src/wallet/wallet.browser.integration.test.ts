// The wallet in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core, which never downloads a browser). An end user signs in through the tenant's
// identity provider (a real oidc-provider), sees the two grants they hold, stops one agent's
// delegation, revokes a grant after a confirmation, and finds both the earlier call and the
// revocation in the activity feed; a proxied call on the revoked grant then fails. Another user
// never sees those grants, and a forged form post from another origin changes nothing. It saves
// the screenshots in docs/screenshots (wallet*.png, connect-page-branded*.png).
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../../../testenv/util';
import { IDP, startWalletWorld, TENANT, type WalletWorld } from '../testing/wallet';

const CHROMIUM = '/usr/bin/chromium';
/** The browser's window, as far as this test reads it (the project compiles without the DOM library). */
type ComputedStyleWindow = { getComputedStyle(element: unknown): { backgroundColor: string } };
const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');
const BRAND = '#0b6e4f';
// A small logo as a data:image URL (the wallet's CSP allows data: images, and nothing else inline).
const LOGO = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#0b6e4f"/><path d="M10 46 L26 20 L36 34 L42 26 L54 46 Z" fill="#ffffff"/><circle cx="45" cy="16" r="5" fill="#ffd60a"/></svg>',
).toString('base64')}`;

/** The app's pages: /connected (a connect session's returnUrl) and /attack (another origin's forged form). */
async function startAppPages(walletUrl: string): Promise<{ origin: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/attack') {
      const action = `${walletUrl}/grants/${url.searchParams.get('grant')}/revoke`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>You won</title></head><body><form method="post" action="${action}"><input type="hidden" name="_csrf" value="guessed"><button>Claim your prize</button></form></body></html>`,
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Connected</title></head><body><h1>connected</h1></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

describe('the wallet in headless Chromium', () => {
  let w: WalletWorld | undefined;
  let appPages: { origin: string; stop(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  let alice: BrowserContext | undefined;
  let page: Page | undefined;
  let supportBot = '';
  const grants = { mail: '', calendar: '', bobMail: '' };
  const agents = { assistant: '', scheduler: '' };
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`source scripts/test-env.sh\` (as root it installs Debian's chromium package) or \`apt-get install chromium\``);
    w = await startWalletWorld();
    appPages = await startAppPages(w.walletUrl);
    expect((await w.t.api('PUT', '/v1/tenant/branding', { displayName: 'Acme Travel', logoUrl: LOGO, color: BRAND })).status).toBe(200);
    const key = await w.t.api('POST', '/v1/keys', { name: 'support-bot', scopes: ['proxy:execute'] });
    expect(key.status).toBe(201);
    supportBot = key.body.key;
    agents.assistant = await w.agent('mail-assistant');
    agents.scheduler = await w.agent('scheduler');
    // alice's mail account, delegated to two agents (connected once with each); bob's own mail.
    grants.mail = await w.connect('alice', 'mail', 'alice', agents.assistant);
    expect(await w.connect('alice', 'mail', 'alice', agents.scheduler)).toBe(grants.mail);
    grants.bobMail = await w.connect('bob', 'mail', 'bob');
    const args = ['--disable-dev-shm-usage', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await appPages?.stop();
    await w?.stop();
  });

  // The identity provider serves the test CA's certificate, which Chromium does not trust (it
  // does not read NODE_EXTRA_CA_CERTS); the wallet itself is plain http on 127.0.0.1 here.
  async function newContext(viewport?: { width: number; height: number }): Promise<BrowserContext> {
    const context = await browser!.newContext({ ignoreHTTPSErrors: true, ...(viewport ? { viewport } : {}) });
    context.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    return context;
  }

  async function signIn(p: Page, user: string): Promise<void> {
    expect((await p.goto(w!.walletUrl))?.status()).toBe(200);
    await p.getByRole('link', { name: `Sign in with ${IDP}` }).click();
    await p.waitForURL((url) => url.origin === w!.idp.issuer && url.pathname.startsWith('/interaction/'));
    await p.getByLabel('User').fill(user);
    await p.getByRole('button', { name: 'Allow' }).click();
    await p.waitForURL(w!.walletUrl);
  }

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });

  test('the connect page wears the tenant’s name, logo and colour (desktop and phone)', async () => {
    const context = await newContext();
    try {
      const p = await context.newPage();
      const session = await w!.t.api('POST', '/v1/connect/sessions', { principalId: 'alice', providers: ['calendar'], returnUrl: `${appPages!.origin}/connected` });
      expect((await p.goto(session.body.url))?.status()).toBe(200);
      expect(await p.title()).toBe('Connect an account · Acme Travel');
      expect(await p.locator('header .name').textContent()).toBe('Acme Travel');
      // The stylesheet applied under the strict CSP (allowed by its hash): the header wears the tenant's colour.
      const background = await p.locator('header.brand').evaluate((el) => (globalThis as unknown as ComputedStyleWindow).getComputedStyle(el).backgroundColor);
      expect(background).toBe('rgb(11, 110, 79)');
      await shot(p, 'connect-page-branded.png');
      await p.setViewportSize({ width: 390, height: 844 });
      await shot(p, 'connect-page-branded-phone.png');
      await p.setViewportSize({ width: 1280, height: 720 });
      await p.getByRole('link', { name: 'Connect calendar' }).click();
      await p.waitForURL((url) => url.origin === w!.provider.issuer);
      await p.getByLabel('User').fill('alice');
      await p.getByRole('button', { name: 'Allow' }).click();
      await p.waitForURL((url) => url.href.startsWith(`${appPages!.origin}/connected`));
      grants.calendar = new URL(p.url()).searchParams.get('grantId')!;
      expect(grants.calendar).toBeTruthy();
    } finally {
      await context.close();
    }
    // The app uses both grants on alice's behalf.
    expect((await w!.proxyMe(grants.mail, supportBot, 'Summarise new mail')).status).toBe(200);
    expect((await w!.proxyMe(grants.calendar, supportBot, 'Find a free slot')).status).toBe(200);
  }, 60_000);

  test('alice signs in through the identity provider and sees her two grants, with agents and last use', async () => {
    alice = await newContext();
    page = await alice.newPage();
    expect((await page.goto(w!.walletUrl))?.status()).toBe(200);
    expect(await page.title()).toBe('Your connected accounts · Acme Travel');
    await shot(page, 'wallet-sign-in.png');
    await signIn(page, 'alice');
    expect(await page.title()).toBe('Your access · Acme Travel');
    await page.getByText('Signed in as alice@example.test').waitFor();

    const cards = page.getByRole('article');
    expect(await cards.count()).toBe(2);
    const mail = cards.filter({ has: page.getByRole('heading', { name: /^mail/ }) });
    const calendar = cards.filter({ has: page.getByRole('heading', { name: /^calendar/ }) });
    for (const card of [mail, calendar]) {
      expect(await card.getByText('alice@example.test').count()).toBe(1);
      expect(await card.getByText('Active').count()).toBe(1);
      expect(await card.locator('dd time').count()).toBe(2); // connected, last used
    }
    expect(await mail.getByRole('listitem').allTextContents()).toEqual(['mail-assistant Stop', 'scheduler Stop']);
    expect(await mail.getByText('openid', { exact: true }).count()).toBe(1);

    // The session cookie: http-only, SameSite=Lax, only for this tenant's wallet.
    const cookie = (await alice.cookies(w!.walletUrl)).find((c) => c.name === 'alter_wallet')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: `/wallet/${TENANT}`, secure: false });
    expect(cookie.value.startsWith('avw_')).toBe(true);

    await shot(page, 'wallet.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'wallet-phone.png');
    await page.setViewportSize({ width: 1280, height: 720 });
    expect(cspViolations).toEqual([]);
  }, 60_000);

  test('she stops one agent’s access to her mail, after a confirmation; the other agent keeps it', async () => {
    const p = page!;
    await p.getByRole('link', { name: 'Stop scheduler using mail alice@example.test' }).click();
    await p.getByRole('heading', { name: 'Stop scheduler using mail?' }).waitFor();
    await p.getByRole('button', { name: 'Stop the agent’s access' }).click();
    await p.getByText('The agent’s access ended.').waitFor();
    const mail = p.getByRole('article').filter({ has: p.getByRole('heading', { name: /^mail/ }) });
    expect(await mail.getByRole('listitem').allTextContents()).toEqual(['mail-assistant Stop']);
    const delegations = (await w!.t.api('GET', `/v1/grants/${grants.mail}/delegations`)).body.delegations as { agentId: string; revokedAt: string | null }[];
    expect(delegations.find((d) => d.agentId === agents.scheduler)?.revokedAt).toBeTruthy();
    expect(delegations.find((d) => d.agentId === agents.assistant)?.revokedAt).toBeNull();
  }, 60_000);

  test('she revokes her calendar with the keyboard and a confirmation; a proxied call on it fails; the feed shows the call and the revocation', async () => {
    const p = page!;
    // Keyboard only: Tab to the calendar's revoke link, Enter, then the confirm button.
    const revokeLink = p.getByRole('link', { name: 'Revoke access to calendar alice@example.test' });
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await p.keyboard.press('Tab');
      reached = (await revokeLink.and(p.locator(':focus')).count()) === 1;
    }
    expect(reached).toBe(true);
    await p.keyboard.press('Enter');
    await p.getByRole('heading', { name: 'Revoke access to calendar?' }).waitFor();
    await shot(p, 'wallet-revoke-confirm.png');
    const confirm = p.getByRole('button', { name: 'Revoke access' });
    await confirm.focus();
    await p.keyboard.press('Enter');
    await p.getByText('Access revoked. The provider revoked it too').waitFor();
    expect(await p.getByRole('heading', { name: 'Revoked', exact: true }).count()).toBe(1);
    expect(await p.getByRole('heading', { name: 'calendar Revoked', exact: true }).count()).toBe(1);

    const use = await w!.proxyMe(grants.calendar, supportBot, 'Find a free slot');
    expect(use.status).toBe(410);
    expect(use.body.error?.code).toBe('grant_revoked');
    expect((await w!.proxyMe(grants.mail, supportBot)).status).toBe(200);

    // The activity feed, filtered to the calendar with the form's labelled controls.
    await p.getByRole('link', { name: 'Activity', exact: true }).click();
    await p.getByLabel('Account').selectOption(grants.calendar);
    await p.getByRole('button', { name: 'Apply filters' }).click();
    await p.waitForURL((url) => url.searchParams.get('grant') === grants.calendar);
    const events = p.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');
    const texts = await events.allTextContents();
    const meUrl = `GET ${w!.provider.issuer}/api/me`;
    expect(texts[0]).toContain('Refused · grant_revoked');
    expect(texts[1]).toMatch(/^Revoked access to calendar \(alice@example\.test\)Allowed by You, in the wallet/);
    expect(texts[2]).toContain(`${meUrl} → 200`);
    expect(texts[2]).toContain('by App “support-bot”');
    expect(texts[2]).toContain('Reason: Find a free slot');
    expect(texts[texts.length - 1]).toContain('Connected calendar (alice@example.test)');
    await p.getByLabel('Account').selectOption('');
    await p.getByRole('button', { name: 'Apply filters' }).click();
    await p.waitForURL((url) => url.pathname.endsWith('/activity') && url.searchParams.get('grant') === '');
    await shot(p, 'wallet-activity.png');
    await p.setViewportSize({ width: 390, height: 844 });
    await shot(p, 'wallet-activity-phone.png');
    await p.setViewportSize({ width: 1280, height: 720 });

    await p.getByLabel('Outcome').selectOption('denied');
    await p.getByRole('button', { name: 'Apply filters' }).click();
    await p.waitForURL((url) => url.searchParams.get('outcome') === 'denied');
    expect(await events.count()).toBe(1);
    expect(await events.first().textContent()).toContain('grant_revoked');
  }, 60_000);

  test('a form posted from another origin (with her cookie) is refused and changes nothing', async () => {
    const p = await alice!.newPage();
    await p.goto(`${appPages!.origin}/attack?grant=${grants.mail}`);
    const [answer] = await Promise.all([p.waitForResponse((r) => r.url().endsWith(`/grants/${grants.mail}/revoke`)), p.getByRole('button', { name: 'Claim your prize' }).click()]);
    expect(answer.status()).toBe(403);
    await p.getByRole('heading', { name: 'Request refused' }).waitFor();
    expect((await w!.t.api('GET', `/v1/grants/${grants.mail}`)).body.status).toBe('active');
    const refused = (await w!.t.api('GET', `/v1/audit?grant=${grants.mail}&action=grant.revoke`)).body.events;
    expect(refused).toEqual([expect.objectContaining({ decision: 'deny', outcome: 'csrf_refused', principalId: 'alice' })]);
    await p.close();
  }, 60_000);

  test('bob signs in and sees only his own grant; alice’s is not found for him', async () => {
    const context = await newContext();
    try {
      const p = await context.newPage();
      await signIn(p, 'bob');
      const cards = p.getByRole('article');
      expect(await cards.count()).toBe(1);
      expect(await cards.first().getByText('bob@example.test').count()).toBe(1);
      expect(await p.content()).not.toContain('alice');
      expect(await p.content()).not.toContain(grants.mail);
      const foreign = await p.goto(`${w!.walletUrl}/grants/${grants.mail}/revoke`);
      expect(foreign?.status()).toBe(404);
      await p.getByRole('heading', { name: 'Access not found' }).waitFor();
      await p.goto(`${w!.walletUrl}/activity`);
      expect(await p.content()).not.toContain('alice');
    } finally {
      await context.close();
    }
  }, 60_000);

  test('everything she did is audited with origin wallet; signing out ends the session', async () => {
    const p = page!;
    await p.goto(w!.walletUrl);
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByText('You signed out.').waitFor();
    await p.getByRole('link', { name: `Sign in with ${IDP}` }).waitFor();
    expect((await alice!.cookies(w!.walletUrl)).find((c) => c.name === 'alter_wallet')).toBeUndefined();
    const mine = (await w!.t.api('GET', '/v1/audit?principal=alice&limit=500')).body.events as { action: string; decision: string; actor: { type: string }; context: { origin?: string } | null }[];
    const byAlice = mine.filter((e) => e.actor.type === 'principal').map((e) => `${e.action}:${e.decision}`);
    expect(byAlice.reverse()).toEqual(['wallet.sign_in:allow', 'grant.delegation.revoke:allow', 'grant.revoke:allow', 'grant.revoke:deny', 'wallet.sign_out:allow']);
    expect(mine.filter((e) => e.actor.type === 'principal').every((e) => e.context?.origin === 'wallet')).toBe(true);
    await alice!.close();
    expect(cspViolations).toEqual([]);
  }, 60_000);
});
