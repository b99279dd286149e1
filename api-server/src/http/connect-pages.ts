// The hosted connect pages and the OAuth callback: HTML for the end user's browser, no
// API key. The session token in the path is the credential; pages never send a Referer, are
// never cached and allow no script.
import { NextFunction, Request, Response, Router } from 'express';
import { type ConnectFailure, type ConnectFailureReason, type ConnectService, FLOW_COOKIE_PREFIX } from '../oauth/connect.service';
import { type Branding, cookieIds, escapeHtml, sendPage } from './html-page';
import type { PlainRoute } from './openapi';

export const connectPageRoutes: PlainRoute[] = [
  { method: 'get', path: '/connect/{token}', summary: 'The hosted connect page of a session: the providers the end user may connect' },
  { method: 'get', path: '/connect/{token}/start/{provider}', summary: 'Starts the authorization at a provider (redirect)' },
  { method: 'get', path: '/v1/oauth/callback', summary: 'The redirect URI to register at providers; stores the grant and returns to the app' },
];

const failures: Record<ConnectFailureReason, { status: number; title: string; text: string }> = {
  session_unknown: { status: 404, title: 'Link not valid', text: 'This connect link is not valid. Go back to the app and start again.' },
  session_expired: { status: 410, title: 'Link expired', text: 'This connect link has expired. Nothing was connected. Go back to the app and start again.' },
  session_used: { status: 410, title: 'Link already used', text: 'This connect link was already used. Go back to the app to connect another account.' },
  provider_not_in_session: { status: 400, title: 'Provider not offered', text: 'This provider is not part of this connect link.' },
  state_mismatch: { status: 400, title: 'Sign-in not recognised', text: 'The answer from the provider does not match a sign-in started in this browser. Nothing was connected.' },
  consent_denied: { status: 403, title: 'Access declined', text: 'You declined access. Nothing was connected.' },
  provider_error: { status: 502, title: 'Could not connect', text: 'The provider could not complete the connection. Nothing was connected; you may try again.' },
};

function page(res: Response, status: number, title: string, body: string, branding?: Branding): void {
  sendPage(res, { status, title, body, ...(branding ? { branding } : {}), referrerPolicy: 'no-referrer' });
}

function failurePage(res: Response, failure: ConnectFailure): void {
  const f = failures[failure.reason];
  const back = failure.returnUrl ? `<p><a href="${escapeHtml(failure.returnUrl)}">Return to the app</a></p>` : '';
  page(res, f.status, f.title, `<p>${escapeHtml(f.text)}</p>${back}`);
}

/** The tenant's look for its pages (default when it set none). */
export type BrandingLookup = (tenantId: string) => Promise<Branding>;

export function connectPagesRouter(connect: ConnectService, publicUrl: string, brandingOf: BrandingLookup): Router {
  const router = Router();
  const secure = publicUrl.startsWith('https:');
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

  router.get(
    '/connect/:token',
    handle(async (req, res) => {
      const token = String(req.params.token);
      const view = await connect.viewSession(token);
      if (!view.ok) return failurePage(res, view.error);
      const links = view.value.providers
        .map((p) => `<a class="button block" href="${escapeHtml(`${publicUrl}/connect/${encodeURIComponent(token)}/start/${encodeURIComponent(p.name)}`)}">Connect ${escapeHtml(p.displayName)}</a>`)
        .join('');
      const branding = await brandingOf(view.value.tenantId);
      page(res, 200, 'Connect an account', `<p>Choose the account to connect. You will sign in at the provider and come back here.</p><nav aria-label="Providers">${links}</nav>`, branding);
    }),
  );

  router.get(
    '/connect/:token/start/:provider',
    handle(async (req, res) => {
      const started = await connect.startFlow(String(req.params.token), String(req.params.provider));
      if (!started.ok) return failurePage(res, started.error);
      const { flowId, redirect, maxAgeSeconds } = started.value;
      // Binds the attempt to this browser: the callback refuses a state this browser did not start.
      res.cookie(`${FLOW_COOKIE_PREFIX}${flowId}`, '1', { httpOnly: true, sameSite: 'lax', secure, path: '/v1/oauth/callback', maxAge: maxAgeSeconds * 1000 });
      res.set({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' }).redirect(303, redirect.href);
    }),
  );

  router.get(
    '/v1/oauth/callback',
    handle(async (req, res) => {
      const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      const flows = cookieIds(req, FLOW_COOKIE_PREFIX);
      const done = await connect.completeFlow(query, flows);
      for (const id of flows) res.clearCookie(`${FLOW_COOKIE_PREFIX}${id}`, { path: '/v1/oauth/callback', httpOnly: true, sameSite: 'lax', secure });
      if (!done.ok) return failurePage(res, done.error);
      res.set({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' }).redirect(303, done.value.returnUrl);
    }),
  );
  return router;
}
