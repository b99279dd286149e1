// A tenant set up for the wallet tests: two OAuth providers served by a real OpenID provider
// (oidc-provider), and a second oidc-provider as the tenant's identity provider, whose client
// redirects to the wallet's callback. Grants are connected through the hosted connect flow,
// as an end user's browser does it (testing/browser.ts).
import { firstLink, formAction, TestBrowser } from './browser';
import { startTestApp, type TestApp } from './app';
import { type OidcServer, startOidcServer } from './oidc-server';

export const TENANT = 'default';
export const IDP = 'acme-sso';
export const PROVIDERS = ['mail', 'calendar'] as const;
const RETURN = 'http://127.0.0.1:9/connected';

export interface WalletWorld {
  t: TestApp;
  /** Serves the OAuth providers (mail, calendar) and their API (/api/me). */
  provider: OidcServer;
  /** The tenant's identity provider, where end users sign in to the wallet. */
  idp: OidcServer;
  walletUrl: string;
  /** Connects `login`'s account at the provider for the principal; answers the grant id. */
  connect(principalId: string, provider: string, login: string, agentId?: string): Promise<string>;
  /** An Agent of the tenant (namespace default); answers its id. */
  agent(name: string): Promise<string>;
  /** A proxied call on the grant to the provider's /api/me. */
  proxyMe(grantId: string, key?: string, reason?: string): Promise<{ status: number; body: { error?: { code: string } } }>;
  stop(): Promise<void>;
}

export async function startWalletWorld(): Promise<WalletWorld> {
  const t = await startTestApp();
  let provider: OidcServer | undefined;
  let idp: OidcServer | undefined;
  try {
    provider = await startOidcServer({ redirectUri: `${t.app.config.publicUrl}/v1/oauth/callback`, rotateRefreshTokens: false });
    idp = await startOidcServer({ redirectUri: `${t.app.config.publicUrl}/wallet/callback`, rotateRefreshTokens: false });
    for (const name of PROVIDERS) {
      const put = await t.api('PUT', `/v1/providers/${name}`, {
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        tokenAuthMethod: 'client_secret_basic',
        scopes: ['openid', 'email', 'offline_access', 'api'],
        allowedHosts: [new URL(provider.issuer).host],
        account: { from: 'userinfo', id: 'sub', label: 'email' },
      });
      expect(put.status).toBe(200);
    }
    const sso = await t.api('PUT', `/v1/identity-providers/${IDP}`, { issuer: idp.issuer, audience: idp.clientId, clientId: idp.clientId, clientSecret: idp.clientSecret });
    expect(sso.status).toBe(200);
  } catch (err) {
    await idp?.stop();
    await provider?.stop();
    await t.stop();
    throw err;
  }
  const p = provider;
  const world: WalletWorld = {
    t,
    provider: p,
    idp,
    walletUrl: `${t.app.config.publicUrl}/wallet/${TENANT}`,
    async connect(principalId, name, login, agentId) {
      const browser = new TestBrowser();
      const session = await t.api('POST', '/v1/connect/sessions', { principalId, providers: [name], returnUrl: RETURN, ...(agentId ? { agentId } : {}) });
      expect(session.status).toBe(201);
      const page = await browser.open(session.body.url);
      const form = await browser.open(new URL(firstLink(page.body, /Connect/), session.body.url).href);
      const back = await browser.open(new URL(formAction(form.body), form.url).href, { method: 'POST', form: { login, decision: 'allow' } }, (url) => url.href.startsWith(RETURN));
      const grantId = new URL(back.url).searchParams.get('grantId');
      expect(grantId).toBeTruthy();
      return grantId!;
    },
    async agent(name) {
      const put = await t.api('PUT', `/v1/admin/agents/default/${name}`, { uid: `uid-${name}`, serviceAccountName: name, providers: [] });
      expect(put.status).toBe(200);
      return put.body.id as string;
    },
    async proxyMe(grantId, key, reason) {
      const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
      return t.api('POST', '/v1/proxy', { grantId, method: 'GET', url: `${p.issuer}/api/me`, ...(reason ? { reason } : {}) }, headers);
    },
    async stop() {
      await idp.stop();
      await p.stop();
      await t.stop();
    },
  };
  return world;
}

/** Signs in to the wallet as `login` at the identity provider, without a real browser; answers the wallet page. */
export async function signInWithoutBrowser(world: WalletWorld, login: string, browser = new TestBrowser()) {
  const form = await browser.open(`${world.walletUrl}/sign-in/${IDP}`);
  expect(form.body).toContain('Sign in to the test provider');
  return browser.open(new URL(formAction(form.body), form.url).href, { method: 'POST', form: { login, decision: 'allow' } });
}
