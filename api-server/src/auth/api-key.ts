// API keys: `avk_` + 40 url-safe random characters. Only a SHA-256 hash is stored (the key
// has 240 bits of entropy, so a slow hash would add latency and no safety); the first 12
// characters are kept as a prefix to identify the key in lists and audit rows.
import { createHash, randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';

export const KEY_PREFIX_LENGTH = 12;

export function generateApiKey(): string {
  return `avk_${randomBytes(30).toString('base64url')}`;
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH);
}

export function looksLikeApiKey(token: string): boolean {
  return /^avk_[A-Za-z0-9_-]{24,}$/.test(token);
}

/** Parses and normalises CIDRs; returns the first invalid one, if any. */
export function normaliseCidrs(cidrs: string[]): { ok: true; cidrs: string[] } | { ok: false; invalid: string } {
  const out: string[] = [];
  for (const cidr of cidrs) {
    try {
      const [addr, bits] = ipaddr.parseCIDR(cidr);
      // ipaddr.js reads 010.0.0.0 as octal (8.0.0.0): accept IPv4 only as four plain decimals.
      if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(cidr.split('/')[0]!)) return { ok: false, invalid: cidr };
      out.push(`${addr.toString()}/${bits}`);
    } catch {
      return { ok: false, invalid: cidr };
    }
  }
  return { ok: true, cidrs: out };
}

/** True when ip lies in one of cidrs; IPv4-mapped IPv6 addresses count as IPv4. */
export function ipAllowed(ip: string | undefined, cidrs: string[]): boolean {
  if (!ip || !ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip);
  return cidrs.some((cidr) => {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return range.kind() === addr.kind() && addr.match(range, bits);
  });
}
