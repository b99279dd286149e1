// Notion (https://developers.notion.com/docs/authorization): the token endpoint takes a JSON
// body (with HTTP Basic client authentication).
import type { Quirk } from './quirk';

export const notion: Quirk = {
  tokenFetch: (next, tokenUrl) => async (url, init) => {
    if (url !== tokenUrl || !(init.body instanceof URLSearchParams)) return next(url, init);
    const headers = { ...init.headers, 'content-type': 'application/json' };
    return next(url, { ...init, headers, body: JSON.stringify(Object.fromEntries(init.body)) });
  },
};
