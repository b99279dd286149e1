// Where a proxied call may go and what the caller may put on it. These checks are the
// SSRF and credential-confusion boundary of POST /v1/proxy: a credential is only ever
// sent over https to a host its grant allows, and the caller cannot add or override
// anything that carries authority.
import { isIP } from 'node:net';
import type { Injection } from '@alter-vault/sdk';
import { fail, ok, Result } from '../result';

export type QueryParams = Record<string, string | string[]>;

/** Parses the caller's URL, merges `query` into it and checks it against `allowedHosts`. */
export function resolveTarget(target: { url: string; query?: QueryParams }, allowedHosts: readonly string[]): Result<URL> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return fail('invalid_url', 'url is not an absolute URL');
  }
  if (url.protocol !== 'https:') return fail('url_not_https', `only https URLs can be proxied, not ${url.protocol}`);
  // Userinfo would be sent as Basic auth by some clients and hides the real host from readers.
  if (url.username || url.password) return fail('invalid_url', 'url must not contain a user name or password');
  url.hash = '';
  const hostname = normaliseHostname(url.hostname);
  if (!hostname) return fail('invalid_url', 'url has no host');
  url.hostname = hostname;
  const port = url.port ? Number(url.port) : 443;
  if (!allowedHosts.some((entry) => hostMatches(entry, hostname, port))) {
    // The host is the caller's own input, so naming it leaks nothing.
    return fail('host_not_allowed', `host ${url.host} is not in this grant's allowedHosts`);
  }
  for (const [name, value] of Object.entries(target.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) appendQueryParam(url, name, v);
  }
  return ok(url);
}

/** `host`, `host:port` or `*.domain`; a wildcard matches subdomains at any depth, never the apex. */
export function hostMatches(entry: string, hostname: string, port: number): boolean {
  const wildcard = entry.startsWith('*.');
  let parsed: URL;
  try {
    // Let URL normalise the entry exactly as it normalised the target (case, IDN, IPv4 forms).
    parsed = new URL(`https://${wildcard ? entry.slice(2) : entry}/`);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password || parsed.pathname !== '/' || parsed.search) return false;
  const entryHost = normaliseHostname(parsed.hostname);
  const entryPort = parsed.port ? Number(parsed.port) : 443;
  if (!entryHost || entryPort !== port) return false;
  if (!wildcard) return hostname === entryHost;
  // `*.0.1` must not turn into "any IP ending in .0.1".
  if (isIP(unbracket(hostname)) || isIP(unbracket(entryHost))) return false;
  return hostname.endsWith(`.${entryHost}`);
}

const forbiddenHeaders = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-amz-security-token',
  'x-amz-date',
  'x-amz-content-sha256',
  'host',
]);
/** Connection-level headers (RFC 9110 §7.6.1): meaningless across a proxy, in either direction. */
export const connectionHeaders = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection'];
// Not forwarded upstream: connection-level, and content-length is recomputed.
export const hopByHopHeaders = new Set([...connectionHeaders, 'content-length']);
const headerNameRe = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// What Node's http client accepts in a value (no CR, LF, NUL or other control characters).
const headerValueRe = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Validates the caller's headers and returns them with lower-case names, hop-by-hop headers
 * dropped. Refuses headers that carry authority or would override the injected credential;
 * error messages name the header, never its value.
 */
export function checkCallerHeaders(headers: Record<string, string> | undefined, injection: Injection): Result<Record<string, string>> {
  const out: Record<string, string> = {};
  const injected = injection.type === 'header' && injection.headerName ? injection.headerName.toLowerCase() : undefined;
  const entries = Object.entries(headers ?? {});
  // Headers listed in Connection are hop-by-hop too (RFC 9110 7.6.1).
  const connectionListed = new Set(
    entries.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',').map((t) => t.trim().toLowerCase())),
  );
  for (const [rawName, value] of entries) {
    if (!headerNameRe.test(rawName)) return fail('invalid_request', 'a header name is not a valid HTTP token');
    const name = rawName.toLowerCase();
    if (forbiddenHeaders.has(name) || name === injected) {
      return fail('forbidden_header', `header ${name} cannot be set by the caller: the vault sets credentials`, { header: name });
    }
    if (typeof value !== 'string' || !headerValueRe.test(value)) {
      return fail('invalid_request', `header ${name} has a value with characters not allowed in HTTP`, { header: name });
    }
    if (hopByHopHeaders.has(name) || connectionListed.has(name)) continue;
    if (name in out) return fail('invalid_request', `header ${name} is given more than once`, { header: name });
    out[name] = value;
  }
  return ok(out);
}

/**
 * For `query` injection: refuses a URL that already carries the injected parameter, so the
 * caller can neither override the credential nor make a server pick its value instead.
 * Compared case-insensitively because some servers read parameters that way.
 */
export function checkCallerQuery(url: URL, injection: Injection): Result<URL> {
  if (injection.type !== 'query' || !injection.paramName) return ok(url);
  const param = injection.paramName.toLowerCase();
  for (const name of url.searchParams.keys()) {
    if (name.toLowerCase() === param) {
      return fail('forbidden_query_param', `query parameter ${injection.paramName} is set by the vault and cannot be given by the caller`, { param: injection.paramName });
    }
  }
  return ok(url);
}

/** The URL for audit rows: no userinfo, no fragment, query names kept and values dropped. */
export function redactUrl(url: URL): string {
  const names = [...url.searchParams.keys()].map((n) => `${encodeRfc3986(n)}=`);
  return `${url.protocol}//${url.host}${url.pathname}${names.length ? `?${names.join('&')}` : ''}`;
}

/** encodeURIComponent plus the sub-delims it leaves alone, as RFC 3986 (and SigV4) expect. */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Appends one parameter to the raw query. URLSearchParams would re-serialise the whole query
 * (turning `%20` into `+`), which changes what some servers, and SigV4, see.
 */
export function appendQueryParam(url: URL, name: string, value: string): void {
  const pair = `${encodeRfc3986(name)}=${encodeRfc3986(value)}`;
  const current = url.search.slice(1);
  url.search = current ? `${current}&${pair}` : pair;
}

function normaliseHostname(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}
