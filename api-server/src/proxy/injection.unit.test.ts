import { CodedError } from '../result';
import type { UpstreamRequest } from './forward';
import { inject, SecretMaterial } from './injection';

const request = (url = 'https://api.example.com/v1/items?page=2', extra: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  method: 'GET',
  url: new URL(url),
  headers: { accept: 'application/json' },
  ...extra,
});

describe('inject', () => {
  it.each<[string, SecretMaterial, Record<string, string>]>([
    ['bearer sets Authorization: Bearer', { type: 'bearer', value: 'tok_123' }, { authorization: 'Bearer tok_123' }],
    ['header sets the named header in lower case', { type: 'header', value: 'k_1', headerName: 'X-Api-Key' }, { 'x-api-key': 'k_1' }],
    ['basic sets Authorization: Basic base64(user:pass)', { type: 'basic', value: { username: 'Aladdin', password: 'open sesame' } }, { authorization: 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==' }],
    ['basic encodes UTF-8', { type: 'basic', value: { username: 'test', password: '123£' } }, { authorization: 'Basic dGVzdDoxMjPCow==' }],
    ['basic allows a colon in the password', { type: 'basic', value: { username: 'u', password: 'a:b' } }, { authorization: `Basic ${Buffer.from('u:a:b').toString('base64')}` }],
  ])('%s', async (_name, material, expected) => {
    const req = request();
    const out = await inject(material, req);
    expect(out.headers).toEqual({ accept: 'application/json', ...expected });
    expect(out.url.toString()).toBe('https://api.example.com/v1/items?page=2');
    expect(req.headers).toEqual({ accept: 'application/json' }); // input untouched
  });

  it.each([
    ['query sets the param after the caller params', 'https://h.com/p?page=2', 'https://h.com/p?page=2&api_key=s%2F3%20x'],
    ['query sets the param on a URL without a query', 'https://h.com/p', 'https://h.com/p?api_key=s%2F3%20x'],
    ['query replaces an existing occurrence', 'https://h.com/p?api_key=old&a=1', 'https://h.com/p?a=1&api_key=s%2F3%20x'],
  ])('%s', async (_name, url, expected) => {
    const req = request(url);
    const out = await inject({ type: 'query', value: 's/3 x', paramName: 'api_key' }, req);
    expect(out.url.toString()).toBe(expected);
    expect(req.url.toString()).toBe(new URL(url).toString());
    expect(out.headers).toEqual({ accept: 'application/json' });
  });

  it.each<[string, SecretMaterial]>([
    ['refuses a bearer value with CR/LF', { type: 'bearer', value: 'a\r\nX-Evil: 1' }],
    ['refuses a header value with a NUL', { type: 'header', value: 'a\0', headerName: 'x-k' }],
  ])('%s', async (_name, material) => {
    const err = await inject(material, request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).message).not.toContain('X-Evil');
  });

  it.each<[string, SecretMaterial]>([
    ['throws TypeError for header injection without headerName', { type: 'header', value: 'x' }],
    ['throws TypeError for query injection without paramName', { type: 'query', value: 'x' }],
  ])('%s', async (_name, material) => {
    await expect(inject(material, request())).rejects.toBeInstanceOf(TypeError);
  });
});

describe('inject aws_sigv4', () => {
  // AWS SigV4 test suite, get-vanilla and get-vanilla-query-order-key-case
  // (aws-sig-v4-test-suite): fixed credentials, 2015-08-30T12:36:00Z.
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1', service: 'service' };
  const now = new Date('2015-08-30T12:36:00Z');

  it.each([
    ['signs get-vanilla', 'https://example.amazonaws.com/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['signs get-vanilla-query-order-key-case', 'https://example.amazonaws.com/?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
  ])('%s', async (_name, url, signature) => {
    const out = await inject({ type: 'aws_sigv4', value: creds }, { method: 'GET', url: new URL(url), headers: {} }, { now });
    expect(out.headers).toEqual({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    });
  });

  it('signs the session token and the body, and sends the query as signed', async () => {
    const body = Buffer.from('{"a":1}');
    const out = await inject(
      { type: 'aws_sigv4', value: { ...creds, sessionToken: 'session-token', service: 's3' } },
      { method: 'PUT', url: new URL('https://bucket.s3.amazonaws.com/k%20ey?x=a+b&y=%2A'), headers: { 'content-type': 'application/json' }, body },
      { now },
    );
    expect(out.headers['x-amz-security-token']).toBe('session-token');
    expect(out.headers['x-amz-content-sha256']).toBe('015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
    expect(out.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/us-east-1\/s3\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(out.url.toString()).toBe('https://bucket.s3.amazonaws.com/k%20ey?x=a%20b&y=%2A');
    expect(out.body).toBe(body);
  });

  it('signs at the moment of the call by default', async () => {
    const out = await inject({ type: 'aws_sigv4', value: creds }, request());
    const stamp = out.headers['x-amz-date']!;
    const signedAt = Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`);
    expect(Math.abs(Date.now() - signedAt)).toBeLessThan(5_000);
  });
});
