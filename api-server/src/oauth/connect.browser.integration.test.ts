// The connect flow in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core, which never downloads a browser) goes from the hosted connect page through the
// provider's login and consent (oidc-provider) back to the app's returnUrl, with a grant that a
// proxied call then uses. It also saves the screenshots in docs/screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { ROOT } from '../../../testenv/util';
import { startTestApp, TestApp } from '../testing/app';
import { OidcServer, startOidcServer } from '../testing/oidc-server';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');
const PROVIDER = 'google-test';

/** The app's returnUrl page: answers every path with a small "connected" page. */
async function startReturnPage(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Connected</title></head><body><h1>connected</h1></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/connected`,
    stop: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

describe('connect flow in headless Chromium', () => {
  let t: TestApp | undefined;
  let oidc: OidcServer | undefined;
  let back: { url: string; stop(): Promise<void> } | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // Never skipped: a machine without the browser fails here, with the fix.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`source scripts/test-env.sh\` (as root it installs Debian's chromium package) or \`apt-get install chromium\``);
    t = await startTestApp();
    oidc = await startOidcServer({ redirectUri: `${t.app.config.publicUrl}/v1/oauth/callback`, rotateRefreshTokens: false });
    const put = await t.api('PUT', `/v1/providers/${PROVIDER}`, {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      tokenAuthMethod: 'client_secret_basic',
      scopes: ['openid', 'email', 'offline_access', 'api'],
      allowedHosts: [new URL(oidc.issuer).host],
    });
    expect(put.status).toBe(200);
    back = await startReturnPage();
    // Chromium's sandbox refuses to run as root (CI containers); --disable-dev-shm-usage spares a small /dev/shm.
    const args = ['--disable-dev-shm-usage', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await back?.stop();
    await oidc?.stop();
    await t?.stop();
  });

  async function sessionUrl(user: string): Promise<string> {
    const session = await t!.api('POST', '/v1/connect/sessions', { principalId: `principal-${user}`, returnUrl: back!.url });
    expect(session.status).toBe(201);
    return session.body.url as string;
  }

  // The provider serves the test CA's certificate, which is not in Chromium's trust store (it
  // does not read NODE_EXTRA_CA_CERTS), and a context cannot ignore certificate errors for one
  // origin only; so this context ignores them all. The vault's own TLS checks of the provider
  // are tested elsewhere, and the vault's pages here are plain http on 127.0.0.1.
  const newContext = (options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> => browser!.newContext({ ignoreHTTPSErrors: true, ...options });

  test('connect page → provider login and consent → returnUrl with a grant that a proxied call uses', async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      const opened = await page.goto(await sessionUrl('alice'));
      expect(opened?.status()).toBe(200);
      expect(await page.title()).toBe('Connect an account');
      await page.screenshot({ path: path.join(SCREENSHOTS, 'connect-page.png'), fullPage: true });

      // Keyboard access: the provider link is the first Tab stop and has an accessible name.
      const link = page.getByRole('link', { name: /Connect/ });
      expect(await link.count()).toBe(1);
      await page.keyboard.press('Tab');
      expect(await link.and(page.locator(':focus')).count()).toBe(1);

      await link.click();
      await page.waitForURL((url) => url.origin === oidc!.issuer && url.pathname.startsWith('/interaction/'));
      await page.getByRole('heading', { name: 'Sign in to the test provider' }).waitFor();
      await page.screenshot({ path: path.join(SCREENSHOTS, 'provider-login.png'), fullPage: true });

      await page.getByLabel('User').fill('alice');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((url) => url.href.startsWith(back!.url));
      expect(await page.getByRole('heading', { name: 'connected' }).count()).toBe(1);

      const landed = new URL(page.url());
      expect(landed.searchParams.get('status')).toBe('connected');
      expect(landed.searchParams.get('provider')).toBe(PROVIDER);
      const grantId = landed.searchParams.get('grantId');
      expect(grantId).toBeTruthy();

      const grant = await t!.api('GET', `/v1/grants/${grantId}`);
      expect(grant.body).toMatchObject({ kind: 'oauth', provider: PROVIDER, status: 'active', principalId: 'principal-alice', accountId: 'alice' });
      const me = await t!.api('POST', '/v1/proxy', { grantId, method: 'GET', url: `${oidc!.issuer}/api/me` });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.body.body)).toEqual({ sub: 'alice' });
    } finally {
      await context.close();
    }
  });

  test('the connect page on a phone-sized screen', async () => {
    const context = await newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      expect((await page.goto(await sessionUrl('bob')))?.status()).toBe(200);
      await page.getByRole('link', { name: /Connect/ }).waitFor();
      await page.screenshot({ path: path.join(SCREENSHOTS, 'connect-page-phone.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
