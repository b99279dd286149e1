// Small fakes of two non-OIDC OAuth providers, written to their documented behaviour, on one
// local https server (the test CA's certificate):
//  Slack (https://api.slack.com/authentication/oauth-v2, token rotation):
//   GET  /slack/oauth/v2/authorize   consents at once as `nextUser`, redirects with a code
//   POST /slack/api/oauth.v2.access  code or refresh_token grant; HTTP 200 with the `ok` envelope,
//                                    the user token under `authed_user`; refresh rotates
//   POST /slack/api/auth.revoke      revokes the bearer token
//   GET  /slack/api/auth.test        the protected resource: {ok, user_id} for a live token
//  GitHub (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens):
//   GET  /github/login/oauth/authorize     consents at once as `nextUser`
//   POST /github/login/oauth/access_token  form-encoded answers (errors too, with HTTP 200);
//                                          expiring user tokens, rotating refresh tokens
//   GET  /github/api/user                  {id, login} for a live token
//   DELETE /github/api/applications/{client_id}/grant  (Basic client auth) revokes the grant
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { testEnv } from '../../../testenv/env';

export interface FakeProviders {
  url: string;
  host: string;
  clientId: string;
  clientSecret: string;
  /** The account the next authorization consents as. */
  nextUser: string;
  /** The query of the last authorization request. */
  lastAuthorize: URLSearchParams | undefined;
  /** Token-endpoint calls by provider and grant type, e.g. `slack:refresh_token`. */
  calls: Record<string, number>;
  close(): Promise<void>;
}

interface Issued {
  user: string;
  live: boolean;
}

const token = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const env = testEnv();
  const clientId = `fake-client-${randomBytes(4).toString('hex')}`;
  const clientSecret = `fake-secret-${randomBytes(12).toString('hex')}`;
  const codes = new Map<string, string>(); // code → user
  const access = new Map<string, Issued>();
  const refresh = new Map<string, Issued>();
  const state: FakeProviders = { url: '', host: '', clientId, clientSecret, nextUser: 'U1', lastAuthorize: undefined, calls: {}, close: async () => undefined };

  const bearer = (req: IncomingMessage) => access.get(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const clientAuthOk = (req: IncomingMessage, body: URLSearchParams) => {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    // RFC 6749 2.3.1: Basic credentials are form-urlencoded before base64.
    const decode = (v: string | undefined) => (v === undefined ? undefined : decodeURIComponent(v.replace(/\+/g, ' ')));
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decode) : [body.get('client_id'), body.get('client_secret')];
    return id === clientId && secret === clientSecret;
  };
  const authorize = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    state.lastAuthorize = url.searchParams;
    const code = token('code-');
    codes.set(code, state.nextUser);
    const back = new URL(url.searchParams.get('redirect_uri')!);
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state')!);
    res.writeHead(302, { location: back.href }).end();
  };
  /** Exchanges a code or refresh token; both kinds of token rotate on refresh. */
  const grant = (provider: string, body: URLSearchParams): { user: string; accessToken: string; refreshToken: string } | undefined => {
    const type = body.get('grant_type') ?? 'authorization_code';
    state.calls[`${provider}:${type}`] = (state.calls[`${provider}:${type}`] ?? 0) + 1;
    let user: string | undefined;
    if (type === 'refresh_token') {
      const old = refresh.get(body.get('refresh_token') ?? '');
      if (!old?.live) return undefined;
      old.live = false;
      user = old.user;
    } else {
      user = codes.get(body.get('code') ?? '');
      codes.delete(body.get('code') ?? '');
    }
    if (!user) return undefined;
    const accessToken = token(provider === 'slack' ? 'xoxe.xoxp-' : 'ghu_');
    const refreshToken = token(provider === 'slack' ? 'xoxe-1-' : 'ghr_');
    access.set(accessToken, { user, live: true });
    refresh.set(refreshToken, { user, live: true });
    return { user, accessToken, refreshToken };
  };

  const server = https.createServer({ cert: readFileSync(env.serverCertFile), key: readFileSync(env.serverKeyFile) }, async (req, res) => {
    const url = new URL(req.url!, state.url);
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /slack/oauth/v2/authorize' || route === 'GET /github/login/oauth/authorize') return authorize(req, res, url);
    if (route === 'POST /slack/api/oauth.v2.access') {
      const body = await readBody(req);
      if (!clientAuthOk(req, body)) return json(res, 200, { ok: false, error: 'invalid_client_id' });
      const issued = grant('slack', body);
      const refreshing = body.get('grant_type') === 'refresh_token';
      if (!issued) return json(res, 200, { ok: false, error: refreshing ? 'invalid_refresh_token' : 'invalid_code' });
      const tokens = { access_token: issued.accessToken, token_type: 'user', refresh_token: issued.refreshToken, expires_in: 43200, scope: 'channels:read,chat:write' };
      // A refresh answers the user token at the top level; the code exchange under authed_user.
      return json(res, 200, refreshing ? { ok: true, ...tokens } : { ok: true, app_id: 'A1', team: { id: 'T1', name: 'Team' }, authed_user: { id: issued.user, ...tokens } });
    }
    if (route === 'POST /slack/api/auth.revoke') {
      const found = bearer(req);
      if (found) for (const map of [access, refresh]) for (const t of map.values()) if (t.user === found.user) t.live = false;
      return json(res, 200, found ? { ok: true, revoked: true } : { ok: false, error: 'invalid_auth' });
    }
    if (route === 'GET /slack/api/auth.test') {
      const found = bearer(req);
      return json(res, 200, found?.live ? { ok: true, user_id: found.user } : { ok: false, error: 'invalid_auth' });
    }
    if (route === 'POST /github/login/oauth/access_token') {
      const body = await readBody(req);
      const form = (fields: Record<string, string>) => res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(new URLSearchParams(fields).toString());
      if (!clientAuthOk(req, body)) return form({ error: 'incorrect_client_credentials' });
      const refreshing = body.get('grant_type') === 'refresh_token';
      const issued = grant('github', body);
      if (!issued) return form(refreshing ? { error: 'bad_refresh_token', error_description: 'The refresh token passed is incorrect or expired.' } : { error: 'bad_verification_code' });
      return form({ access_token: issued.accessToken, expires_in: '28800', refresh_token: issued.refreshToken, refresh_token_expires_in: '15811200', scope: '', token_type: 'bearer' });
    }
    if (route === 'GET /github/api/user') {
      const found = bearer(req);
      return found?.live ? json(res, 200, { id: Number(found.user.replace(/\D/g, '')) || 1, login: found.user }) : json(res, 401, { message: 'Bad credentials' });
    }
    const revokeMatch = /^DELETE \/github\/api\/applications\/([^/]+)\/grant$/.exec(route);
    if (revokeMatch) {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const basic = Buffer.from(/^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '', 'base64').toString();
      if (revokeMatch[1] !== clientId || basic !== `${clientId}:${clientSecret}`) return json(res, 404, { message: 'Not Found' });
      const found = access.get((JSON.parse(raw || '{}') as { access_token?: string }).access_token ?? '');
      if (found) for (const map of [access, refresh]) for (const t of map.values()) if (t.user === found.user) t.live = false;
      return res.writeHead(found ? 204 : 404).end();
    }
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  state.url = `https://127.0.0.1:${port}`;
  state.host = `127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
