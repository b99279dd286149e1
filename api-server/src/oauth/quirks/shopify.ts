// Shopify (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens):
// offline access tokens expire, with a refresh token, only when the code exchange asks for
// it with `expiring=1` (required for public apps from 2026-04-01).
import type { Quirk } from './quirk';

export const shopify: Quirk = {
  tokenFetch: (next, tokenUrl) => async (url, init) => {
    if (url === tokenUrl && init.body instanceof URLSearchParams && init.body.get('grant_type') === 'authorization_code') {
      const body = new URLSearchParams(init.body);
      body.set('expiring', '1');
      return next(url, { ...init, body });
    }
    return next(url, init);
  },
};
