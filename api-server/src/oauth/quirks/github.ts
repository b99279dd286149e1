// GitHub (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps):
// the token endpoint answers errors with HTTP 200, and form-encoded unless JSON is asked for;
// a grant is revoked with DELETE /applications/{client_id}/grant, authenticated as the app.
import { expectOk, jsonResponse, type Quirk } from './quirk';

export const github: Quirk = {
  tokenFetch: (next, tokenUrl) => async (url, init) => {
    const res = await next(url, init);
    if (url !== tokenUrl) return res;
    const text = await res.text();
    const form = (res.headers.get('content-type') ?? '').includes('application/x-www-form-urlencoded');
    let body: Record<string, unknown>;
    try {
      body = form ? Object.fromEntries(new URLSearchParams(text)) : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      return jsonResponse({ error: 'invalid_response' }, 502);
    }
    if (typeof body.expires_in === 'string') body.expires_in = Number(body.expires_in);
    if (typeof body.refresh_token_expires_in === 'string') body.refresh_token_expires_in = Number(body.refresh_token_expires_in);
    // `bad_refresh_token` is GitHub's name for invalid_grant on refresh.
    if (body.error === 'bad_refresh_token' || body.error === 'bad_verification_code') body.error = 'invalid_grant';
    return jsonResponse(body, body.error !== undefined && res.status === 200 ? 400 : res.status);
  },
  async revoke(ctx) {
    // The catalog's revocationUrl is the REST API's root; the path carries the client id.
    const root = ctx.revocationUrl.endsWith('/') ? ctx.revocationUrl : `${ctx.revocationUrl}/`;
    const url = new URL(`applications/${encodeURIComponent(ctx.clientId)}/grant`, root);
    const res = await ctx.fetch(url, {
      method: 'DELETE',
      headers: {
        authorization: `Basic ${Buffer.from(`${ctx.clientId}:${ctx.clientSecret}`).toString('base64')}`,
        accept: 'application/vnd.github+json',
        'content-type': 'application/json',
        'user-agent': 'alter-vault',
      },
      body: JSON.stringify({ access_token: ctx.accessToken }),
      signal: ctx.signal,
    });
    // 404: the grant is already gone.
    if (res.status !== 404) expectOk(res, 'DELETE /applications/{client_id}/grant');
  },
};
