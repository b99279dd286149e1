// The wallet: server-rendered pages where an end user signs in through the tenant's identity
// provider, sees every grant their identity holds and the activity on them, and takes back a
// grant or one agent's delegation. No script; every form post carries the session's CSRF
// token and must come from this origin; the session lives in an http-only, SameSite=Lax
// cookie scoped to the tenant's wallet path.
import express, { NextFunction, Request, Response, Router } from 'express';
import { isGrantId } from '../grants/grant';
import type { BrandingService } from '../tenants/branding.service';
import { type ActivityEvent, type ActivityFilter, type ActivityKind, activityKinds, type WalletFailureReason, type WalletGrant, type WalletSession } from '../wallet/wallet';
import { csrfMatches, LOGIN_COOKIE_PREFIX, SESSION_COOKIE, WALLET_CALLBACK_PATH, type WalletAuth } from '../wallet/wallet-auth.service';
import type { WalletService } from '../wallet/wallet.service';
import { type Branding, cookieIds, escapeHtml, readCookie, sendPage } from './html-page';
import type { PlainRoute } from './openapi';

export const walletPageRoutes: PlainRoute[] = [
  { method: 'get', path: '/wallet/{tenant}', summary: 'The wallet: sign in through the tenant’s identity provider, then the grants the end user holds' },
  { method: 'get', path: '/wallet/{tenant}/activity', summary: 'The wallet’s activity feed: what was done with the end user’s grants (filters: grant, kind, outcome, from, to)' },
  { method: 'get', path: '/wallet/{tenant}/sign-in/{identityProvider}', summary: 'Starts the wallet sign-in at an identity provider (redirect; OIDC code + PKCE)' },
  { method: 'get', path: '/wallet/callback', summary: 'The redirect URI to register at identity providers for the wallet: {ALTER_PUBLIC_URL}/wallet/callback' },
  { method: 'get', path: '/wallet/{tenant}/grants/{id}/revoke', summary: 'Asks the end user to confirm revoking a grant' },
  { method: 'post', path: '/wallet/{tenant}/grants/{id}/revoke', summary: 'Revokes the end user’s grant (form post with the CSRF token)' },
  { method: 'get', path: '/wallet/{tenant}/grants/{id}/agents/{agentId}/revoke', summary: 'Asks the end user to confirm ending one agent’s delegation' },
  { method: 'post', path: '/wallet/{tenant}/grants/{id}/agents/{agentId}/revoke', summary: 'Ends one agent’s delegation of the end user’s grant (form post with the CSRF token)' },
  { method: 'post', path: '/wallet/{tenant}/sign-out', summary: 'Ends the wallet session (form post with the CSRF token)' },
];

type Failure = WalletFailureReason | 'session_ended';

const failures: Record<Failure, { status: number; title: string; text: string }> = {
  tenant_unknown: { status: 404, title: 'Wallet not found', text: 'There is no wallet at this address. Check the link you followed.' },
  idp_unknown: { status: 404, title: 'Sign-in not available', text: 'This way of signing in is not set up. Go back and choose another.' },
  wallet_not_configured: { status: 404, title: 'Wallet not available', text: 'This organisation has not set up sign-in for the wallet yet.' },
  login_unknown: { status: 400, title: 'Sign-in not recognised', text: 'The answer from the sign-in service does not match a sign-in started in this browser. Nothing happened; start again from the wallet.' },
  login_expired: { status: 410, title: 'Sign-in expired', text: 'This sign-in took too long. Start again from the wallet.' },
  sign_in_denied: { status: 403, title: 'Sign-in cancelled', text: 'The sign-in was cancelled. You are not signed in.' },
  sign_in_failed: { status: 502, title: 'Could not sign in', text: 'The sign-in service could not complete the sign-in. You may try again.' },
  principal_claim_missing: { status: 403, title: 'Could not sign in', text: 'The sign-in service did not say who you are, so the wallet cannot show your accounts.' },
  grant_not_found: { status: 404, title: 'Access not found', text: 'There is no such access among yours. It may belong to someone else, or the link is wrong.' },
  delegation_not_found: { status: 404, title: 'Agent access not found', text: 'This agent has no access to this account (any more).' },
  csrf_refused: { status: 403, title: 'Request refused', text: 'This request did not come from your wallet page, so nothing was changed. If you meant it, go back to your wallet and try again.' },
  session_ended: { status: 403, title: 'Session ended', text: 'You are no longer signed in, so nothing was changed. Sign in again and retry.' },
};

const notices: Record<string, string> = {
  'revoked.revoked': 'Access revoked. The provider revoked it too; no app or agent can use it any more.',
  'revoked.unsupported': 'Access revoked: the vault deleted it. This provider offers no way to revoke it from here; you can also remove the app in your account settings there.',
  'revoked.failed': 'Access revoked: the vault deleted it, so no app or agent can use it. The provider could not be reached to revoke it there too.',
  'revoked.already_revoked': 'This access was already revoked.',
  delegation: 'The agent’s access ended. The account stays connected for everything else.',
  'signed-out': 'You signed out.',
  expired: 'Your session ended. Sign in again to continue.',
};

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
const when = (d: Date, precise = false) => `<time datetime="${d.toISOString()}">${escapeHtml((precise ? timeFormat : dateFormat).format(d))} UTC</time>`;

const tenantPath = (name: string) => `/wallet/${encodeURIComponent(name)}`;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const one = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The activity filters of a query string; values that do not parse are ignored. */
export function parseActivityFilter(query: Request['query']): ActivityFilter {
  const grant = one(query.grant);
  const kind = one(query.kind);
  const outcome = one(query.outcome);
  const from = one(query.from);
  const to = one(query.to);
  const before = one(query.before);
  return {
    grant: grant && isGrantId(grant) ? grant : undefined,
    kind: kind && Object.hasOwn(activityKinds, kind) ? (kind as ActivityKind) : undefined,
    outcome: outcome === 'allowed' || outcome === 'denied' ? outcome : undefined,
    from: from && DAY.test(from) && !Number.isNaN(Date.parse(from)) ? from : undefined,
    to: to && DAY.test(to) && !Number.isNaN(Date.parse(to)) ? to : undefined,
    before: before && /^\d{1,15}$/.test(before) ? Number(before) : undefined,
  };
}

export interface WalletPagesDeps {
  auth: WalletAuth;
  wallet: WalletService;
  branding: BrandingService;
  publicUrl: string;
}

export function walletPagesRouter(deps: WalletPagesDeps): Router {
  const { auth, wallet, branding } = deps;
  const router = Router();
  const secure = deps.publicUrl.startsWith('https:');
  const publicOrigin = new URL(deps.publicUrl).origin;
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 });
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);
  const requestId = (res: Response) => res.locals.requestId as string;

  const page = (res: Response, look: Branding | undefined, status: number, title: string, body: string, nav?: string) =>
    sendPage(res, { status, title, body, ...(look ? { branding: look } : {}), ...(nav ? { nav } : {}), referrerPolicy: 'same-origin' });

  const fail = (res: Response, reason: Failure, look?: Branding, tenantName?: string) => {
    const f = failures[reason];
    const back = tenantName ? `<p><a class="button secondary" href="${escapeHtml(tenantPath(tenantName))}">Back to your wallet</a></p>` : '';
    page(res, look, f.status, f.title, `<p>${escapeHtml(f.text)}</p>${back}`);
  };

  const sessionCookie = { httpOnly: true, sameSite: 'lax' as const, secure };

  /** The tenant of the path, its look, and the signed-in user (if any). */
  async function context(req: Request, res: Response) {
    const tenant = await auth.tenant(String(req.params.tenant));
    if (!tenant) {
      fail(res, 'tenant_unknown');
      return undefined;
    }
    const look = await branding.forPages(tenant.id);
    const { session, expired } = await auth.readSession(tenant, readCookie(req, SESSION_COOKIE));
    if (expired) res.clearCookie(SESSION_COOKIE, { ...sessionCookie, path: tenantPath(tenant.name) });
    return { tenant, look, session, expired: expired === true };
  }

  function nav(session: WalletSession, current: 'grants' | 'activity'): string {
    const base = tenantPath(session.tenantName);
    const link = (href: string, text: string, here: boolean) => `<a href="${escapeHtml(href)}"${here ? ' aria-current="page"' : ''}>${text}</a>`;
    return (
      link(base, 'Your access', current === 'grants') +
      link(`${base}/activity`, 'Activity', current === 'activity') +
      `<form method="post" action="${escapeHtml(`${base}/sign-out`)}">${csrfField(session)}<button type="submit">Sign out</button></form>`
    );
  }

  async function signInPage(res: Response, tenant: { id: string; name: string }, look: Branding, notice?: string) {
    const options = await auth.signInOptions(tenant.id);
    if (options.length === 0) return fail(res, 'wallet_not_configured', look);
    const buttons = options
      .map((idp) => `<a class="button block" href="${escapeHtml(`${tenantPath(tenant.name)}/sign-in/${encodeURIComponent(idp)}`)}">Sign in with ${escapeHtml(idp)}</a>`)
      .join('');
    page(
      res,
      look,
      200,
      'Your connected accounts',
      `${notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''}` +
        `<p>Sign in to see which apps and agents of ${escapeHtml(look.displayName)} can use your accounts, what they did with them, and to take access back.</p>` +
        `<nav aria-label="Sign-in options">${buttons}</nav>`,
    );
  }

  /** Every form post: a live session, this origin, and the session's CSRF token. */
  async function checkPost(req: Request, res: Response, action: string, grantId?: string) {
    const ctx = await context(req, res);
    if (!ctx) return undefined;
    if (!ctx.session) {
      fail(res, 'session_ended', ctx.look, ctx.tenant.name);
      return undefined;
    }
    if (!sameOrigin(req, publicOrigin) || !csrfMatches(ctx.session, (req.body as Record<string, unknown> | undefined)?._csrf)) {
      await wallet.auditRefused(ctx.session, requestId(res), action, grantId, 'csrf_refused');
      fail(res, 'csrf_refused', ctx.look, ctx.tenant.name);
      return undefined;
    }
    return { ...ctx, session: ctx.session };
  }

  // The identity provider's redirect back: registered before /wallet/:tenant.
  router.get(
    WALLET_CALLBACK_PATH,
    handle(async (req, res) => {
      const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      const logins = cookieIds(req, LOGIN_COOKIE_PREFIX);
      const done = await auth.completeLogin(query, logins, requestId(res));
      for (const id of logins) res.clearCookie(`${LOGIN_COOKIE_PREFIX}${id}`, { ...sessionCookie, path: WALLET_CALLBACK_PATH });
      if (!done.ok) {
        const tenant = done.tenantName ? await auth.tenant(done.tenantName) : undefined;
        return fail(res, done.reason, tenant ? await branding.forPages(tenant.id) : undefined, done.tenantName);
      }
      const path = tenantPath(done.value.tenantName);
      res.cookie(SESSION_COOKIE, done.value.token, { ...sessionCookie, path, maxAge: auth.sessionMaxAgeSeconds * 1000 });
      res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).redirect(303, path);
    }),
  );

  router.get(
    '/wallet/:tenant',
    handle(async (req, res) => {
      const ctx = await context(req, res);
      if (!ctx) return;
      const done = one(req.query.done);
      const notice = done && Object.hasOwn(notices, done) ? notices[done] : undefined;
      if (!ctx.session) return signInPage(res, ctx.tenant, ctx.look, ctx.expired ? notices.expired : notice);
      const grants = await wallet.grants(ctx.session);
      page(res, ctx.look, 200, 'Your access', (notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : '') + grantsBody(ctx.session, grants), nav(ctx.session, 'grants'));
    }),
  );

  router.get(
    '/wallet/:tenant/activity',
    handle(async (req, res) => {
      const ctx = await context(req, res);
      if (!ctx) return;
      if (!ctx.session) return signInPage(res, ctx.tenant, ctx.look, ctx.expired ? notices.expired : undefined);
      const filter = parseActivityFilter(req.query);
      const grants = await wallet.grants(ctx.session);
      const feed = await wallet.activity(ctx.session, filter, grants);
      page(res, ctx.look, 200, 'Activity', activityBody(ctx.session, grants, filter, feed.events, feed.nextBefore), nav(ctx.session, 'activity'));
    }),
  );

  router.get(
    '/wallet/:tenant/sign-in/:idp',
    handle(async (req, res) => {
      const tenant = await auth.tenant(String(req.params.tenant));
      if (!tenant) return fail(res, 'tenant_unknown');
      const started = await auth.startLogin(tenant, String(req.params.idp));
      if (!started.ok) return fail(res, started.reason, await branding.forPages(tenant.id), tenant.name);
      const { loginId, redirect, maxAgeSeconds } = started.value;
      // Binds the sign-in to this browser: the callback refuses a state this browser did not start.
      res.cookie(`${LOGIN_COOKIE_PREFIX}${loginId}`, '1', { ...sessionCookie, path: WALLET_CALLBACK_PATH, maxAge: maxAgeSeconds * 1000 });
      res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).redirect(303, redirect.href);
    }),
  );

  router.get(
    '/wallet/:tenant/grants/:id/revoke',
    handle(async (req, res) => {
      const ctx = await context(req, res);
      if (!ctx) return;
      if (!ctx.session) return signInPage(res, ctx.tenant, ctx.look, ctx.expired ? notices.expired : undefined);
      const id = String(req.params.id);
      const found = isGrantId(id) ? await wallet.grant(ctx.session, id) : undefined;
      if (!found?.ok || found.value.status === 'revoked') return fail(res, 'grant_not_found', ctx.look, ctx.tenant.name);
      const g = found.value;
      const agents = g.agents.length > 0 ? `<p>Agents that lose it: ${g.agents.map((a) => escapeHtml(a.name)).join(', ')}.</p>` : '';
      page(
        res,
        ctx.look,
        200,
        `Revoke access to ${g.providerName}?`,
        `<div class="card"><h2>${escapeHtml(g.providerName)}</h2>${facts([['Account', escapeHtml(g.account)], ['Access', scopesHtml(g.scopes)]])}</div>` +
          `<p>No app or agent will be able to use this account through ${escapeHtml(ctx.look.displayName)} any more. The vault asks ${escapeHtml(g.providerName)} to revoke it too, and deletes what it stored. To use it again, connect it again from the app.</p>${agents}` +
          confirmForm(ctx.session, `${tenantPath(ctx.tenant.name)}/grants/${g.id}/revoke`, 'Revoke access'),
        nav(ctx.session, 'grants'),
      );
    }),
  );

  router.post(
    '/wallet/:tenant/grants/:id/revoke',
    form,
    handle(async (req, res) => {
      const id = String(req.params.id);
      const ctx = await checkPost(req, res, 'grant.revoke', isGrantId(id) ? id : undefined);
      if (!ctx) return;
      const revoked = isGrantId(id) ? await wallet.revokeGrant(ctx.session, id, requestId(res)) : undefined;
      if (!revoked?.ok) return fail(res, 'grant_not_found', ctx.look, ctx.tenant.name);
      res.redirect(303, `${tenantPath(ctx.tenant.name)}?done=revoked.${revoked.value.providerRevocation}`);
    }),
  );

  router.get(
    '/wallet/:tenant/grants/:id/agents/:agentId/revoke',
    handle(async (req, res) => {
      const ctx = await context(req, res);
      if (!ctx) return;
      if (!ctx.session) return signInPage(res, ctx.tenant, ctx.look, ctx.expired ? notices.expired : undefined);
      const id = String(req.params.id);
      const found = isGrantId(id) ? await wallet.grant(ctx.session, id) : undefined;
      if (!found?.ok) return fail(res, 'grant_not_found', ctx.look, ctx.tenant.name);
      const g = found.value;
      const agent = g.agents.find((a) => a.id === String(req.params.agentId));
      if (!agent) return fail(res, 'delegation_not_found', ctx.look, ctx.tenant.name);
      page(
        res,
        ctx.look,
        200,
        `Stop ${agent.name} using ${g.providerName}?`,
        `<div class="card"><h2>${escapeHtml(g.providerName)}</h2>${facts([['Account', escapeHtml(g.account)], ['Agent', escapeHtml(agent.name)]])}</div>` +
          `<p>The agent <strong>${escapeHtml(agent.name)}</strong> will no longer be able to use this account. The account stays connected, and other apps and agents keep their access.</p>` +
          confirmForm(ctx.session, `${tenantPath(ctx.tenant.name)}/grants/${g.id}/agents/${encodeURIComponent(agent.id)}/revoke`, 'Stop the agent’s access'),
        nav(ctx.session, 'grants'),
      );
    }),
  );

  router.post(
    '/wallet/:tenant/grants/:id/agents/:agentId/revoke',
    form,
    handle(async (req, res) => {
      const id = String(req.params.id);
      const ctx = await checkPost(req, res, 'grant.delegation.revoke', isGrantId(id) ? id : undefined);
      if (!ctx) return;
      const ended = isGrantId(id) ? await wallet.revokeDelegation(ctx.session, id, String(req.params.agentId), requestId(res)) : undefined;
      if (!ended?.ok) return fail(res, ended?.ok === false ? ended.reason : 'grant_not_found', ctx.look, ctx.tenant.name);
      res.redirect(303, `${tenantPath(ctx.tenant.name)}?done=delegation`);
    }),
  );

  router.post(
    '/wallet/:tenant/sign-out',
    form,
    handle(async (req, res) => {
      const ctx = await checkPost(req, res, 'wallet.sign_out');
      if (!ctx) return;
      await auth.signOut(ctx.session, requestId(res));
      res.clearCookie(SESSION_COOKIE, { ...sessionCookie, path: tenantPath(ctx.tenant.name) });
      res.redirect(303, `${tenantPath(ctx.tenant.name)}?done=signed-out`);
    }),
  );

  return router;
}

/**
 * A form post from this origin. Browsers send Origin on every POST (or at least
 * Sec-Fetch-Site); a client that sends neither is no browser, and the CSRF token decides.
 */
export function sameOrigin(req: Request, publicOrigin: string): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) return origin === publicOrigin;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  return true;
}

const csrfField = (session: WalletSession) => `<input type="hidden" name="_csrf" value="${escapeHtml(session.csrfToken)}">`;

function confirmForm(session: WalletSession, action: string, label: string): string {
  return (
    `<form method="post" action="${escapeHtml(action)}" class="actions">${csrfField(session)}` +
    `<button type="submit" class="button danger">${escapeHtml(label)}</button>` +
    `<a class="button secondary" href="${escapeHtml(tenantPath(session.tenantName))}">Cancel</a></form>`
  );
}

function facts(rows: [string, string][]): string {
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

const scopesHtml = (scopes: string[]) => (scopes.length > 0 ? scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ') : '<span class="muted">not stated</span>');

const statusBadge: Record<WalletGrant['status'], string> = {
  active: '<span class="badge ok">Active</span>',
  needs_reauth: '<span class="badge warn">Needs reconnecting</span>',
  revoked: '<span class="badge muted">Revoked</span>',
};

function grantCard(session: WalletSession, g: WalletGrant): string {
  const base = `${tenantPath(session.tenantName)}/grants/${g.id}`;
  const agents =
    g.agents.length === 0
      ? '<span class="muted">None</span>'
      : `<ul class="plain">${g.agents
          .map(
            (a) =>
              `<li>${escapeHtml(a.name)} <a class="button secondary small" href="${escapeHtml(`${base}/agents/${encodeURIComponent(a.id)}/revoke`)}" aria-label="Stop ${escapeHtml(a.name)} using ${escapeHtml(g.providerName)} ${escapeHtml(g.account)}">Stop</a></li>`,
          )
          .join('')}</ul>`;
  const rows: [string, string][] = [
    ['Account', escapeHtml(g.account) || '<span class="muted">unknown</span>'],
    ['Access', scopesHtml(g.scopes)],
    ['Connected', when(g.createdAt)],
    ['Last used', g.lastUsedAt ? when(g.lastUsedAt) : '<span class="muted">Never</span>'],
  ];
  if (g.status === 'revoked') rows.push(['Revoked', g.revokedAt ? when(g.revokedAt) : '']);
  else rows.push(['Agents', agents]);
  const actions =
    g.status === 'revoked'
      ? ''
      : `<div class="actions"><a class="button danger" href="${escapeHtml(`${base}/revoke`)}" aria-label="Revoke access to ${escapeHtml(g.providerName)} ${escapeHtml(g.account)}">Revoke access</a>` +
        `<a class="button secondary" href="${escapeHtml(`${tenantPath(session.tenantName)}/activity?grant=${g.id}`)}" aria-label="See activity of ${escapeHtml(g.providerName)} ${escapeHtml(g.account)}">See activity</a></div>`;
  return `<article class="card" aria-labelledby="g-${g.id}"><h2 id="g-${g.id}">${escapeHtml(g.providerName)} ${statusBadge[g.status]}</h2>${facts(rows)}${actions}</article>`;
}

function grantsBody(session: WalletSession, grants: WalletGrant[]): string {
  const who = `<p class="muted">Signed in as <strong>${escapeHtml(session.principalLabel ?? session.principalId)}</strong>.</p>`;
  const live = grants.filter((g) => g.status !== 'revoked');
  const revoked = grants.filter((g) => g.status === 'revoked');
  const liveHtml =
    live.length > 0
      ? `<p>These accounts of yours can be used by apps and agents. Revoke what you no longer want to share.</p>${live.map((g) => grantCard(session, g)).join('')}`
      : '<p class="card">No app or agent has access to any of your accounts.</p>';
  const revokedHtml = revoked.length > 0 ? `<h2>Revoked</h2>${revoked.map((g) => grantCard(session, g)).join('')}` : '';
  return who + liveHtml + revokedHtml;
}

function describe(e: ActivityEvent, grantName: string): string {
  switch (e.action) {
    case 'proxy':
      // A call refused before its URL was checked has none.
      return e.url ? `${e.method ?? 'Call'} ${e.url}${e.upstreamStatus ? ` → ${e.upstreamStatus}` : ''}` : `${e.method ?? 'A'} call with ${grantName}`;
    case 'retrieve_token':
      return `Took an access token for ${grantName}`;
    case 'grant.connect':
      return `Connected ${grantName}`;
    case 'connect.session.create':
      return 'Started connecting an account';
    case 'grant.revoke':
      return `Revoked access to ${grantName}`;
    case 'grant.delegation.revoke':
      return `Stopped ${e.agent ?? 'an agent'} using ${grantName}`;
    case 'grant.needs_reauth':
      return `${grantName} asked to be reconnected`;
    case 'wallet.sign_in':
      return 'Signed in to the wallet';
    case 'wallet.sign_out':
      return 'Signed out of the wallet';
    default:
      return e.action;
  }
}

function eventItem(e: ActivityEvent, grants: Map<string, WalletGrant>): string {
  const g = e.grantId ? grants.get(e.grantId) : undefined;
  const grantName = g ? `${g.providerName}${g.account ? ` (${g.account})` : ''}` : (e.provider ?? 'an account');
  const badge = !e.allowed
    ? `<span class="badge bad">Refused · ${escapeHtml(e.outcome)}</span>`
    : e.outcome === 'ok'
      ? '<span class="badge ok">Allowed</span>'
      : `<span class="badge warn">Allowed · ${escapeHtml(e.outcome)}</span>`;
  const on = g && e.action === 'proxy' && e.url ? ` · with ${escapeHtml(grantName)}` : '';
  const reason = e.reason ? `<div>Reason: ${escapeHtml(e.reason)}</div>` : '';
  return `<li><div class="what">${escapeHtml(describe(e, grantName))}</div><div>${badge} <span class="muted small">by ${escapeHtml(e.actor)} · ${when(e.occurredAt, true)}${on}</span></div>${reason}</li>`;
}

function activityBody(session: WalletSession, grants: WalletGrant[], filter: ActivityFilter, events: ActivityEvent[], nextBefore: number | null): string {
  const option = (value: string, label: string, selected: boolean) => `<option value="${escapeHtml(value)}"${selected ? ' selected' : ''}>${escapeHtml(label)}</option>`;
  const grantOptions = grants.map((g) => option(g.id, `${g.providerName}${g.account ? ` (${g.account})` : ''}${g.status === 'revoked' ? ' – revoked' : ''}`, filter.grant === g.id)).join('');
  const kindOptions = Object.entries(activityKinds)
    .map(([k, v]) => option(k, v.label, filter.kind === k))
    .join('');
  const filters =
    `<form class="filters card" method="get" action="${escapeHtml(`${tenantPath(session.tenantName)}/activity`)}" aria-label="Filter the activity">` +
    `<div><label for="f-grant">Account</label><select id="f-grant" name="grant">${option('', 'All accounts', !filter.grant)}${grantOptions}</select></div>` +
    `<div><label for="f-kind">What</label><select id="f-kind" name="kind">${option('', 'Everything', !filter.kind)}${kindOptions}</select></div>` +
    `<div><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome">${option('', 'Any', !filter.outcome)}${option('allowed', 'Allowed', filter.outcome === 'allowed')}${option('denied', 'Refused', filter.outcome === 'denied')}</select></div>` +
    `<div><label for="f-from">From</label><input id="f-from" type="date" name="from" value="${escapeHtml(filter.from ?? '')}"></div>` +
    `<div><label for="f-to">To</label><input id="f-to" type="date" name="to" value="${escapeHtml(filter.to ?? '')}"></div>` +
    `<div><button type="submit" class="button block">Apply filters</button></div></form>`;
  const byId = new Map(grants.map((g) => [g.id, g]));
  const list = events.length > 0 ? `<ol class="events" aria-label="Events, newest first">${events.map((e) => eventItem(e, byId)).join('')}</ol>` : '<p class="card">Nothing happened that matches these filters.</p>';
  let more = '';
  if (nextBefore !== null) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filter, before: nextBefore })) if (v !== undefined) q.set(k, String(v));
    more = `<p><a class="button secondary" href="${escapeHtml(`${tenantPath(session.tenantName)}/activity?${q.toString()}`)}">Older activity</a></p>`;
  }
  return `<p>What apps and agents did with your accounts, and what you did here, newest first.</p>${filters}${list}${more}`;
}
