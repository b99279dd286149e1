// Just enough of a browser for connect-flow tests: a cookie jar per host and manual
// redirect following, so a test sees every hop (the provider's pages, our callback) and
// stops before leaving for the app's returnUrl. The real-browser test uses Chromium.
export interface Page {
  url: string;
  status: number;
  body: string;
}

export class TestBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  /** Loads url and follows redirects until a non-redirect answer or a URL `stop` accepts (not fetched). */
  async open(url: string, init: { method?: string; form?: Record<string, string> } = {}, stop: (url: URL) => boolean = () => false): Promise<Page> {
    let current = new URL(url);
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hop = 0; hop < 20; hop++) {
      if (hop > 0 && stop(current)) return { url: current.href, status: 0, body: '' };
      const res = await fetch(current, {
        method,
        redirect: 'manual',
        headers: { ...this.cookieHeader(current), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(body ? { body } : {}),
      });
      this.store(current, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current);
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url: current.href, status: res.status, body: await res.text() };
    }
    throw new Error('too many redirects');
  }

  cookies(host: string): Map<string, string> {
    return this.jar.get(host) ?? new Map();
  }

  private cookieHeader(url: URL): Record<string, string> {
    const cookies = this.jar.get(url.host);
    return cookies && cookies.size > 0 ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  private store(url: URL, setCookies: string[]): void {
    const cookies = this.jar.get(url.host) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const expired = attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired) cookies.delete(name);
      else cookies.set(name, pair!.slice(eq + 1).trim());
    }
    this.jar.set(url.host, cookies);
  }
}

/** The href of the first link whose text matches. */
export function firstLink(html: string, text: RegExp): string {
  const match = [...html.matchAll(/<a[^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].find((m) => text.test(m[2]!));
  if (!match) throw new Error(`no link matching ${text} in ${html.slice(0, 300)}`);
  return match[1]!.replace(/&#38;/g, '&');
}

/** The action of the first form on an HTML page. */
export function formAction(html: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no form in ${html.slice(0, 300)}`);
  return match[1]!;
}
