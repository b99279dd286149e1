// The token-request rewrites of the quirks that have no fake provider (Slack's and GitHub's
// run against fakes in quirks.integration.test.ts).
import { figma } from './figma';
import { notion } from './notion';
import type { Fetch } from './quirk';
import { shopify } from './shopify';

const TOKEN_URL = 'https://provider.example/v1/oauth/token';

function recorder() {
  const calls: { url: string; init: Parameters<Fetch>[1] }[] = [];
  const next: Fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response('{}', { status: 200 });
  };
  return { calls, next };
}

const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });

test('shopify asks for expiring offline tokens on the code exchange only', async () => {
  const { calls, next } = recorder();
  const fetch = shopify.tokenFetch!(next, TOKEN_URL);
  await fetch(TOKEN_URL, form({ grant_type: 'authorization_code', code: 'c' }));
  await fetch(TOKEN_URL, form({ grant_type: 'refresh_token', refresh_token: 'r' }));
  expect((calls[0]!.init.body as URLSearchParams).get('expiring')).toBe('1');
  expect((calls[0]!.init.body as URLSearchParams).get('code')).toBe('c');
  expect((calls[1]!.init.body as URLSearchParams).has('expiring')).toBe(false);
});

test('figma sends refreshes to its refresh endpoint and code exchanges to the token endpoint', async () => {
  const { calls, next } = recorder();
  const fetch = figma.tokenFetch!(next, TOKEN_URL);
  await fetch(TOKEN_URL, form({ grant_type: 'authorization_code', code: 'c' }));
  await fetch(TOKEN_URL, form({ grant_type: 'refresh_token', refresh_token: 'r' }));
  expect(calls.map((c) => c.url)).toEqual([TOKEN_URL, 'https://provider.example/v1/oauth/refresh']);
});

test('notion sends the token request as JSON, keeping the client authentication header', async () => {
  const { calls, next } = recorder();
  const fetch = notion.tokenFetch!(next, TOKEN_URL);
  await fetch(TOKEN_URL, { ...form({ grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://vault.example/cb' }), headers: { authorization: 'Basic abc', 'content-type': 'application/x-www-form-urlencoded' } });
  expect(calls[0]!.init.headers).toEqual({ authorization: 'Basic abc', 'content-type': 'application/json' });
  expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://vault.example/cb' });
});

test('requests to other URLs pass through untouched', async () => {
  for (const quirk of [shopify, figma, notion]) {
    const { calls, next } = recorder();
    const init = form({ grant_type: 'refresh_token' });
    await quirk.tokenFetch!(next, TOKEN_URL)('https://provider.example/userinfo', init);
    expect(calls).toEqual([{ url: 'https://provider.example/userinfo', init }]);
  }
});
