import { decodeRequestBody, encodeBody } from './forward';

describe('encodeBody', () => {
  it.each([
    ['utf8 for text/plain', 'héllo', 'text/plain', undefined, 'utf8'],
    ['utf8 for application/json with a charset', '{"a":"é"}', 'application/json; charset=utf-8', undefined, 'utf8'],
    ['utf8 for a +json type', '{}', 'application/problem+json', undefined, 'utf8'],
    ['utf8 for xml', '<a/>', 'application/xml', undefined, 'utf8'],
    ['utf8 for a +xml type', '<a/>', 'application/atom+xml', undefined, 'utf8'],
    ['utf8 for form data', 'a=1&b=2', 'application/x-www-form-urlencoded', undefined, 'utf8'],
    ['utf8 for an empty body of any type', '', 'image/png', undefined, 'utf8'],
    ['base64 without a content-type', 'abc', undefined, undefined, 'base64'],
    ['base64 for octet-stream', 'abc', 'application/octet-stream', undefined, 'base64'],
    ['base64 for a gzip-encoded json body', 'abc', 'application/json', 'gzip', 'base64'],
    ['utf8 for identity content-encoding', 'abc', 'application/json', 'identity', 'utf8'],
    ['base64 for another charset', 'abc', 'text/plain; charset=iso-8859-1', undefined, 'base64'],
  ])('%s', (_name, text, contentType, contentEncoding, encoding) => {
    const out = encodeBody(Buffer.from(text, 'utf8'), contentType, contentEncoding);
    expect(out.bodyEncoding).toBe(encoding);
    expect(Buffer.from(out.body, out.bodyEncoding)).toEqual(Buffer.from(text, 'utf8'));
  });

  it('uses base64 for text that is not valid UTF-8', () => {
    const bytes = Buffer.from([0x68, 0xff, 0xfe]);
    expect(encodeBody(bytes, 'text/plain')).toEqual({ body: bytes.toString('base64'), bodyEncoding: 'base64' });
  });
});

describe('decodeRequestBody', () => {
  it.each([
    ['no body for an absent body', 'POST', undefined, undefined, undefined, undefined],
    ['no body for a GET without a body', 'GET', undefined, undefined, undefined, undefined],
    ['JSON for an object without an encoding', 'POST', { a: 1 }, undefined, '{"a":1}', 'application/json'],
    ['JSON for an array', 'PUT', [1, 'x'], undefined, '[1,"x"]', 'application/json'],
    ['JSON for a number', 'POST', 42, undefined, '42', 'application/json'],
    ['JSON for false', 'POST', false, undefined, 'false', 'application/json'],
    ['JSON for null', 'POST', null, undefined, 'null', 'application/json'],
    ['JSON for a string with bodyEncoding json', 'POST', 'hi', 'json', '"hi"', 'application/json'],
    ['utf8 for a string by default', 'POST', 'héllo', undefined, 'héllo', undefined],
    ['utf8 for a string with bodyEncoding utf8', 'PATCH', 'a=1', 'utf8', 'a=1', undefined],
    ['bytes for base64', 'POST', Buffer.from([0, 1, 255]).toString('base64'), 'base64', '\u0000\u0001\ufffd', undefined],
    ['bytes for unpadded base64', 'POST', 'aGk', 'base64', 'hi', undefined],
    ['an empty body for empty base64', 'POST', '', 'base64', '', undefined],
  ] as const)('%s', (_name, method, body, bodyEncoding, expected, contentType) => {
    const r = decodeRequestBody(method, body, bodyEncoding);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.body?.toString('utf8')).toBe(expected);
    expect(r.value.contentType).toBe(contentType);
  });

  it.each([
    ['refuses a GET with a body', 'GET', 'x', undefined],
    ['refuses a HEAD with a JSON body', 'HEAD', { a: 1 }, undefined],
    ['refuses invalid base64 characters', 'POST', 'not base64!', 'base64'],
    ['refuses base64 of impossible length', 'POST', 'abcde', 'base64'],
    ['refuses base64 with junk after padding', 'POST', 'aGk=x', 'base64'],
    ['refuses base64url', 'POST', 'a-_b', 'base64'],
    ['refuses a non-string body with base64', 'POST', { a: 1 }, 'base64'],
    ['refuses a non-string body with utf8', 'POST', 1, 'utf8'],
  ] as const)('%s', (_name, method, body, bodyEncoding) => {
    const r = decodeRequestBody(method, body, bodyEncoding);
    expect(!r.ok && r.error.code).toBe('invalid_request');
  });
});
