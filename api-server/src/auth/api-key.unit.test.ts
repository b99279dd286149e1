import { generateApiKey, hashApiKey, ipAllowed, keyPrefix, looksLikeApiKey, normaliseCidrs } from './api-key';

describe('api keys', () => {
  it('generates distinct avk_ keys that look like keys, with a 12-character prefix', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).not.toBe(b);
    expect(looksLikeApiKey(a)).toBe(true);
    expect(keyPrefix(a)).toBe(a.slice(0, 12));
    expect(hashApiKey(a).equals(hashApiKey(a))).toBe(true);
    expect(hashApiKey(a).equals(hashApiKey(b))).toBe(false);
  });

  it.each([
    ['an IPv4 address inside 10.0.0.0/8', '10.1.2.3', ['10.0.0.0/8'], true],
    ['an IPv4 address outside 10.0.0.0/8', '11.1.2.3', ['10.0.0.0/8'], false],
    ['an IPv4-mapped IPv6 address as IPv4', '::ffff:127.0.0.1', ['127.0.0.0/8'], true],
    ['an IPv6 address inside 2001:db8::/32', '2001:db8::1', ['2001:db8::/32'], true],
    ['an IPv6 address against an IPv4 range', '::1', ['127.0.0.0/8'], false],
    ['a missing address', undefined, ['0.0.0.0/0'], false],
    ['a garbage address', 'not-an-ip', ['0.0.0.0/0'], false],
  ])('ipAllowed: %s', (_name, ip, cidrs, expected) => {
    expect(ipAllowed(ip, cidrs)).toBe(expected);
  });

  it('normalises CIDRs and names the first invalid one', () => {
    expect(normaliseCidrs(['10.0.0.0/8', '2001:DB8::/32', '::1/128'])).toEqual({ ok: true, cidrs: ['10.0.0.0/8', '2001:db8::/32', '::1/128'] });
    // Not octal, not shorthand: what the operator wrote is what is enforced, or it is refused.
    expect(normaliseCidrs(['010.0.0.0/8'])).toEqual({ ok: false, invalid: '010.0.0.0/8' });
    expect(normaliseCidrs(['10.1/16'])).toEqual({ ok: false, invalid: '10.1/16' });
    expect(normaliseCidrs(['10.0.0.0/8', '10.0.0.0/33'])).toEqual({ ok: false, invalid: '10.0.0.0/33' });
  });
});
