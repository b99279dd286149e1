// Figma (https://developers.figma.com/docs/rest-api/authentication/): refresh requests go to
// a separate endpoint, /v1/oauth/refresh beside the token endpoint, which answers no new
// refresh token (the old one is kept).
import type { Quirk } from './quirk';

export const figma: Quirk = {
  tokenFetch: (next, tokenUrl) => async (url, init) => {
    if (url === tokenUrl && init.body instanceof URLSearchParams && init.body.get('grant_type') === 'refresh_token') {
      return next(new URL('/v1/oauth/refresh', tokenUrl).href, init);
    }
    return next(url, init);
  },
};
