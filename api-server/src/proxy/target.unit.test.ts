import type { Injection } from '@alter-vault/sdk';
import { checkCallerHeaders, checkCallerQuery, resolveTarget } from './target';
import { redactUrl } from './target';

const bearer: Injection = { type: 'bearer' };

describe('resolveTarget', () => {
  it.each([
    ['refuses http://', 'http://api.example.com/x', ['api.example.com'], 'url_not_https'],
    ['refuses ftp://', 'ftp://api.example.com/x', ['api.example.com'], 'url_not_https'],
    ['refuses a relative URL', '/v1/users', ['api.example.com'], 'invalid_url'],
    ['refuses garbage', 'not a url', ['api.example.com'], 'invalid_url'],
    ['refuses userinfo', 'https://user:pw@api.example.com/', ['api.example.com'], 'invalid_url'],
    ['refuses a user name alone', 'https://api.example.com@evil.com/', ['api.example.com', 'evil.com'], 'invalid_url'],
    ['refuses a host not in the list', 'https://evil.com/', ['api.example.com'], 'host_not_allowed'],
    ['refuses a suffix look-alike', 'https://api.example.com.evil.com/', ['api.example.com'], 'host_not_allowed'],
    ['refuses a prefix look-alike', 'https://evilapi.example.com/', ['api.example.com'], 'host_not_allowed'],
    ['refuses a non-default port for a plain host entry', 'https://api.example.com:8443/', ['api.example.com'], 'host_not_allowed'],
    ['refuses another port than host:port', 'https://api.example.com:8444/', ['api.example.com:8443'], 'host_not_allowed'],
    ['refuses port 443 for a host:port entry', 'https://api.example.com/', ['api.example.com:8443'], 'host_not_allowed'],
    ['does not match *.example.com for example.com', 'https://example.com/', ['*.example.com'], 'host_not_allowed'],
    ['does not match *.example.com for badexample.com', 'https://badexample.com/', ['*.example.com'], 'host_not_allowed'],
    ['does not match *.example.com on another port', 'https://a.example.com:8443/', ['*.example.com'], 'host_not_allowed'],
    ['refuses an IP literal not in the list', 'https://127.0.0.1/', ['api.example.com'], 'host_not_allowed'],
    ['refuses a decimal IP literal not in the list', 'https://2130706433/', ['localhost'], 'host_not_allowed'],
    ['refuses an IPv6 literal not in the list', 'https://[::1]/', ['localhost'], 'host_not_allowed'],
    ['does not let a wildcard match IP addresses', 'https://10.0.0.1/', ['*.0.0.1'], 'host_not_allowed'],
    ['refuses everything with an empty list', 'https://api.example.com/', [], 'host_not_allowed'],
  ])('%s', (_name, url, allowed, code) => {
    const r = resolveTarget({ url }, allowed);
    expect(r.ok ? 'ok' : r.error.code).toBe(code);
  });

  it.each([
    ['matches an exact host', 'https://api.example.com/v1', ['api.example.com'], 'https://api.example.com/v1'],
    ['matches case-insensitively', 'https://API.Example.COM/v1', ['api.example.com'], 'https://api.example.com/v1'],
    ['matches an entry in upper case', 'https://api.example.com/', ['API.EXAMPLE.COM'], 'https://api.example.com/'],
    ['normalises a trailing dot', 'https://api.example.com./v1', ['api.example.com'], 'https://api.example.com/v1'],
    ['matches an explicit :443 against a plain entry', 'https://api.example.com:443/', ['api.example.com'], 'https://api.example.com/'],
    ['matches host:port exactly', 'https://api.example.com:8443/x', ['api.example.com:8443'], 'https://api.example.com:8443/x'],
    ['matches *.example.com for a.example.com', 'https://a.example.com/', ['*.example.com'], 'https://a.example.com/'],
    ['matches *.example.com for a.b.example.com but not example.com', 'https://a.b.example.com/', ['*.example.com'], 'https://a.b.example.com/'],
    ['matches an IP entry with a port', 'https://127.0.0.1:8443/echo', ['127.0.0.1:8443'], 'https://127.0.0.1:8443/echo'],
    ['matches another spelling of the same IP', 'https://0x7f.0.0.1:8443/', ['127.0.0.1:8443'], 'https://127.0.0.1:8443/'],
    ['matches an IDN host in punycode', 'https://bücher.example/', ['xn--bcher-kva.example'], 'https://xn--bcher-kva.example/'],
    ['matches an IDN entry', 'https://xn--bcher-kva.example/', ['bücher.example'], 'https://xn--bcher-kva.example/'],
    ['drops the fragment', 'https://api.example.com/p#frag', ['api.example.com'], 'https://api.example.com/p'],
    ['keeps the caller query as written', 'https://api.example.com/p?q=a%20b&x=1+2', ['api.example.com'], 'https://api.example.com/p?q=a%20b&x=1+2'],
    ['checks every entry', 'https://b.com/', ['a.com', 'b.com'], 'https://b.com/'],
  ])('%s', (_name, url, allowed, expected) => {
    const r = resolveTarget({ url }, allowed);
    expect(r.ok && r.value.toString()).toBe(expected);
  });

  it.each([
    ['appends string values', 'https://h.com/p', { a: '1', b: 'x y' }, 'https://h.com/p?a=1&b=x%20y'],
    ['appends after an existing query', 'https://h.com/p?z=0', { a: '1' }, 'https://h.com/p?z=0&a=1'],
    ['repeats array values', 'https://h.com/p', { ids: ['1', '2'] }, 'https://h.com/p?ids=1&ids=2'],
    ['encodes reserved characters', 'https://h.com/p', { 'q&x': "a=b&c+d/'*" }, 'https://h.com/p?q%26x=a%3Db%26c%2Bd%2F%27%2A'],
    ['leaves the URL alone for an empty object', 'https://h.com/p?x=1', {}, 'https://h.com/p?x=1'],
  ])('query: %s', (_name, url, query, expected) => {
    const r = resolveTarget({ url, query }, ['h.com']);
    expect(r.ok && r.value.toString()).toBe(expected);
  });
});

describe('checkCallerHeaders', () => {
  it.each([
    ['refuses a caller Authorization header', { Authorization: 'Bearer s3cr3t-value' }, bearer, 'authorization'],
    ['refuses Proxy-Authorization', { 'proxy-authorization': 's3cr3t-value' }, bearer, 'proxy-authorization'],
    ['refuses Cookie', { Cookie: 'sid=s3cr3t-value' }, bearer, 'cookie'],
    ['refuses X-Api-Key', { 'X-API-KEY': 's3cr3t-value' }, bearer, 'x-api-key'],
    ['refuses X-Amz-Security-Token', { 'x-amz-security-token': 's3cr3t-value' }, bearer, 'x-amz-security-token'],
    ['refuses X-Amz-Date', { 'X-Amz-Date': '20200101T000000Z' }, bearer, 'x-amz-date'],
    ['refuses X-Amz-Content-Sha256', { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, bearer, 'x-amz-content-sha256'],
    ['refuses Host', { Host: 'evil.com' }, bearer, 'host'],
    ['refuses the secret header for header injection', { 'X-Custom-Token': 's3cr3t-value' }, { type: 'header', headerName: 'x-custom-token' } as Injection, 'x-custom-token'],
  ])('%s', (_name, headers, injection, header) => {
    const r = checkCallerHeaders(headers, injection);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('forbidden_header');
    expect(r.error.message).toContain(header);
    // The value may be a credential the caller holds: never echo it.
    expect(JSON.stringify(r.error)).not.toContain(Object.values(headers)[0]);
  });

  it.each([
    ['refuses a CR/LF in a value', { 'x-a': 'v\r\nInjected: 1' }],
    ['refuses a LF in a value', { 'x-a': 'v\nx' }],
    ['refuses a NUL in a value', { 'x-a': 'v\0' }],
    ['refuses a space in a name', { 'x a': 'v' }],
    ['refuses a colon in a name', { 'x:a': 'v' }],
    ['refuses CR/LF in a name', { 'x\r\na': 'v' }],
    ['refuses characters above latin-1', { 'x-a': 'snow☃' }],
    ['refuses the same header twice in different case', { Accept: 'a', accept: 'b' }],
  ])('%s', (_name, headers) => {
    const r = checkCallerHeaders(headers, bearer);
    expect(!r.ok && r.error.code).toBe('invalid_request');
  });

  it('drops hop-by-hop headers and lower-cases the rest', () => {
    const r = checkCallerHeaders(
      {
        Connection: 'keep-alive, X-Hop',
        'Keep-Alive': 'timeout=5',
        'Transfer-Encoding': 'chunked',
        TE: 'trailers',
        Trailer: 'x',
        Upgrade: 'h2c',
        'Content-Length': '10',
        'Proxy-Connection': 'keep-alive',
        'X-Hop': 'gone',
        Accept: 'application/json',
        'Content-Type': 'text/plain',
        'X-Tab': 'a\tb',
      },
      bearer,
    );
    expect(r.ok && r.value).toEqual({ accept: 'application/json', 'content-type': 'text/plain', 'x-tab': 'a\tb' });
  });

  it('allows X-Api-Key-like headers that are not the injected one', () => {
    const r = checkCallerHeaders({ 'X-Request-Id': '1' }, { type: 'header', headerName: 'X-Secret' });
    expect(r.ok && r.value).toEqual({ 'x-request-id': '1' });
  });

  it('accepts no headers', () => {
    expect(checkCallerHeaders(undefined, bearer)).toEqual({ ok: true, value: {} });
  });
});

describe('checkCallerQuery', () => {
  const query: Injection = { type: 'query', paramName: 'api_key' };
  it.each([
    ['refuses the injected param', 'https://h.com/?api_key=mine', query, false],
    ['refuses the injected param in another case', 'https://h.com/?API_KEY=mine', query, false],
    ['refuses the injected param percent-encoded', 'https://h.com/?api%5Fkey=mine', query, false],
    ['refuses the injected param without a value', 'https://h.com/?x=1&api_key', query, false],
    ['allows other params', 'https://h.com/?api=1&key=2', query, true],
    ['ignores params for non-query injection', 'https://h.com/?api_key=1', bearer, true],
  ])('%s', (_name, url, injection, allowed) => {
    const r = checkCallerQuery(new URL(url), injection);
    expect(r.ok).toBe(allowed);
    if (!r.ok) {
      expect(r.error.code).toBe('forbidden_query_param');
      expect(r.error.message).not.toContain('mine');
    }
  });
});

describe('redactUrl', () => {
  it.each([
    ['keeps query names, drops values', 'https://h.com/p?a=1&b=secret', 'https://h.com/p?a=&b='],
    ['drops userinfo and fragment', 'https://u:p@h.com/p?token=x#frag', 'https://h.com/p?token='],
    ['keeps a non-default port', 'https://h.com:8443/p', 'https://h.com:8443/p'],
    ['has no ? without a query', 'https://h.com/p?', 'https://h.com/p'],
    ['keeps repeated names', 'https://h.com/?a=1&a=2', 'https://h.com/?a=&a='],
    ['encodes names', 'https://h.com/?a%20b=1', 'https://h.com/?a%20b='],
  ])('%s', (_name, url, expected) => {
    expect(redactUrl(new URL(url))).toBe(expected);
  });
});
