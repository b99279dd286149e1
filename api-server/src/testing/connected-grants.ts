// OAuth grants made the honest way for tests that need them: a real OIDC provider
// (oidc-provider, oidc-server.ts) configured for the tenant, and the hosted connect flow run
// by a test browser for one end user (optionally delegating the grant to an agent).
import type { TestApp } from './app';
import { firstLink, formAction, TestBrowser } from './browser';
import { OidcServer, startOidcServer } from './oidc-server';

const RETURN = 'http://127.0.0.1:9/connected';

export interface ConnectedGrants {
  oidc: OidcServer;
  provider: string;
  /** The URL a proxied call to the provider's API answers `{ sub }` at. */
  meUrl: string;
  /** Runs the connect flow: the user `login` consents at the provider; answers the grant id. */
  connect(principalId: string, options?: { login?: string; agentId?: string; headers?: Record<string, string> }): Promise<string>;
  /** The end user's side of a connect link minted elsewhere (the CLI, an SDK): answers the grant id. */
  complete(link: string, login: string): Promise<string>;
  stop(): Promise<void>;
}

export const CONNECTED_RETURN_URL = RETURN;

export async function startConnectedGrants(t: TestApp, provider = 'oidc-test'): Promise<ConnectedGrants> {
  const oidc = await startOidcServer({ redirectUri: `${t.app.config.publicUrl}/v1/oauth/callback`, rotateRefreshTokens: false });
  const complete = async (link: string, login: string) => {
    const browser = new TestBrowser();
    const page = await browser.open(link);
    const consent = await browser.open(new URL(firstLink(page.body, /Connect/), link).href);
    const back = await browser.open(new URL(formAction(consent.body), consent.url).href, { method: 'POST', form: { login, decision: 'allow' } }, (url) => url.href.startsWith(RETURN));
    const grantId = new URL(back.url).searchParams.get('grantId');
    if (!grantId) throw new Error(`the connect flow ended at ${back.url}`);
    return grantId;
  };
  const put = await t.api('PUT', `/v1/providers/${provider}`, {
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    clientSecret: oidc.clientSecret,
    tokenAuthMethod: 'client_secret_basic',
    scopes: ['openid', 'offline_access', 'api'],
    allowedHosts: [new URL(oidc.issuer).host],
  });
  if (put.status !== 200) {
    await oidc.stop();
    throw new Error(`PUT /v1/providers/${provider} answered ${put.status}: ${JSON.stringify(put.body)}`);
  }
  return {
    oidc,
    provider,
    meUrl: `${oidc.issuer}/api/me`,
    async connect(principalId, options = {}) {
      const session = await t.api('POST', '/v1/connect/sessions', { principalId, providers: [provider], returnUrl: RETURN, ...(options.agentId ? { agentId: options.agentId } : {}) }, options.headers);
      if (session.status !== 201) throw new Error(`POST /v1/connect/sessions answered ${session.status}: ${JSON.stringify(session.body)}`);
      return complete(session.body.url, options.login ?? principalId);
    },
    complete,
    stop: () => oidc.stop(),
  };
}
