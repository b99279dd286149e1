// Slack OAuth v2 (https://api.slack.com/authentication/oauth-v2): user tokens are asked for
// with `user_scope` and come back under `authed_user`; every answer is HTTP 200 with an
// `ok` envelope; revocation is the auth.revoke method.
import { expectOk, jsonResponse, type Quirk } from './quirk';

// Slack's error names for a refresh token or code that is no longer valid.
const INVALID_GRANT = new Set(['invalid_refresh_token', 'invalid_code', 'code_already_used', 'token_revoked', 'token_expired', 'invalid_grant']);

export const slack: Quirk = {
  authorizationParams({ scope, ...rest }) {
    return scope === undefined ? rest : { ...rest, user_scope: scope };
  },
  tokenFetch: (next, tokenUrl) => async (url, init) => {
    const res = await next(url, init);
    if (url !== tokenUrl) return res;
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (!body || body.ok !== true) {
      const error = typeof body?.error === 'string' ? body.error : 'invalid_response';
      return jsonResponse({ error: INVALID_GRANT.has(error) ? 'invalid_grant' : error }, 400);
    }
    const user = body.authed_user as Record<string, unknown> | undefined;
    // The user token (user_scope) is the one used on the user's behalf.
    const tokens = typeof user?.access_token === 'string' ? user : body;
    return jsonResponse(
      {
        ...body,
        access_token: tokens.access_token,
        token_type: 'bearer',
        ...(tokens.refresh_token !== undefined ? { refresh_token: tokens.refresh_token } : {}),
        ...(tokens.expires_in !== undefined ? { expires_in: tokens.expires_in } : {}),
        ...(tokens.scope !== undefined ? { scope: String(tokens.scope).split(',').join(' ') } : {}),
      },
      200,
    );
  },
  async revoke(ctx) {
    const res = await ctx.fetch(ctx.revocationUrl, { method: 'POST', headers: { authorization: `Bearer ${ctx.accessToken}` }, signal: ctx.signal });
    expectOk(res, 'auth.revoke');
    const body = (await res.json()) as { ok?: boolean; error?: string };
    // Already revoked is the outcome we want.
    if (body.ok !== true && body.error !== 'invalid_auth' && body.error !== 'token_revoked') throw new Error(`auth.revoke failed: ${body.error ?? 'unknown'}`);
  },
};
