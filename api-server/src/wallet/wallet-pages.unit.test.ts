// The wallet's pure parts: readable colours for any tenant colour, the activity filters of a
// query string, the Origin rule of form posts, and the CSRF token check.
import type { Request } from 'express';
import { contrast, palette } from '../http/html-page';
import { parseActivityFilter, sameOrigin } from '../http/wallet-pages';
import type { WalletSession } from './wallet';
import { csrfMatches, csrfTokenOf } from './wallet-auth.service';

describe('palette', () => {
  it.each(['#ffd60a', '#0b6e4f', '#000000', '#ffffff', '#3451b2', '#ff5a5f', '#7fdbff', '#808080', '#767676', '#5a8a9a'])('text on %s and links on white read at 4.5:1 or better', (color) => {
    const p = palette(color);
    expect(contrast(p.brand, p.onBrand)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(p.accent, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('falls back to the default colour for anything but #rrggbb', () => {
    expect(palette('red').brand).toBe('#3451b2');
    expect(palette(null).brand).toBe('#3451b2');
    expect(palette('#ABCDEF').brand).toBe('#abcdef');
  });
});

describe('parseActivityFilter', () => {
  it('keeps the values that parse and drops the rest', () => {
    expect(parseActivityFilter({ grant: '3f0c4a3e-8d7b-4a59-9e21-2b8f4c1d0a11', kind: 'calls', outcome: 'denied', from: '2026-11-01', to: '2026-11-30', before: '42' })).toEqual({
      grant: '3f0c4a3e-8d7b-4a59-9e21-2b8f4c1d0a11',
      kind: 'calls',
      outcome: 'denied',
      from: '2026-11-01',
      to: '2026-11-30',
      before: 42,
    });
    expect(parseActivityFilter({ grant: 'x', kind: 'constructor', outcome: 'maybe', from: '2026-13-45', to: 'yesterday', before: '-1' })).toEqual({
      grant: undefined,
      kind: undefined,
      outcome: undefined,
      from: undefined,
      to: undefined,
      before: undefined,
    });
    expect(parseActivityFilter({ grant: '', kind: ['calls', 'tokens'] })).toMatchObject({ grant: undefined, kind: undefined });
  });
});

describe('sameOrigin', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as Request;
  it.each([
    ['the public origin', { origin: 'https://vault.example' }, true],
    ['another origin', { origin: 'https://evil.example' }, false],
    ['an opaque origin (a no-referrer page or a sandbox)', { origin: 'null' }, false],
    ['no Origin but Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }, true],
    ['no Origin and Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }, false],
    ['neither (not a browser: the CSRF token decides)', {}, true],
  ])('%s', (_name, headers, expected) => {
    expect(sameOrigin(req(headers), 'https://vault.example')).toBe(expected);
  });
});

describe('csrf', () => {
  const token = 'avw_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
  const session = { csrfToken: csrfTokenOf(token) } as WalletSession;
  it('is derived from the session token, and differs from its stored hash', () => {
    expect(csrfTokenOf(token)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfTokenOf(token)).not.toBe(csrfTokenOf(`${token}x`));
  });
  it.each([
    ['the right token', csrfTokenOf(token), true],
    ['another session’s token', csrfTokenOf('avw_other'), false],
    ['a shorter value', 'abc', false],
    ['nothing', undefined, false],
    ['an array', [csrfTokenOf(token)], false],
  ])('%s', (_name, submitted, expected) => {
    expect(csrfMatches(session, submitted)).toBe(expected);
  });
});
