import { open, seal } from './aes-gcm';

const key = Buffer.alloc(32, 7);
const aad = Buffer.from('grant|tenant');
const iv = Buffer.alloc(12, 9);

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code ?? (err as Error).name;
  }
  return 'no error';
}

describe('AES-256-GCM layout', () => {
  it('lays out version | iv | tag | ciphertext', () => {
    const sealed = seal(key, Buffer.from('hello'), aad, iv);
    expect(sealed.length).toBe(1 + 12 + 16 + 5);
    expect(sealed[0]).toBe(0x01);
    expect(sealed.subarray(1, 13)).toEqual(iv);
    expect(open(key, sealed, aad).toString()).toBe('hello');
  });

  it('uses a fresh IV for every message', () => {
    const a = seal(key, Buffer.from('same'), aad);
    const b = seal(key, Buffer.from('same'), aad);
    expect(a.subarray(1, 13)).not.toEqual(b.subarray(1, 13));
    expect(a).not.toEqual(b);
  });

  it('round-trips an empty plaintext', () => {
    expect(open(key, seal(key, Buffer.alloc(0), aad), aad)).toEqual(Buffer.alloc(0));
  });

  const sealed = seal(key, Buffer.from('secret value'), aad, iv);
  const flip = (at: number) => {
    const copy = Buffer.from(sealed);
    copy[at]! ^= 0x01;
    return copy;
  };
  it.each([
    ['a different key', () => open(Buffer.alloc(32, 8), sealed, aad)],
    ['a different AAD (another row)', () => open(key, sealed, Buffer.from('other|tenant'))],
    ['a flipped IV bit', () => open(key, flip(5), aad)],
    ['a flipped tag bit', () => open(key, flip(20), aad)],
    ['a flipped ciphertext bit', () => open(key, flip(sealed.length - 1), aad)],
    ['a truncated message', () => open(key, sealed.subarray(0, 20), aad)],
    ['an unknown version byte', () => open(key, Buffer.concat([Buffer.of(2), sealed.subarray(1)]), aad)],
    ['an appended byte', () => open(key, Buffer.concat([sealed, Buffer.of(0)]), aad)],
  ])('rejects %s as ciphertext_invalid', (_name, attempt) => {
    expect(codeOf(attempt)).toBe('ciphertext_invalid');
  });

  it('refuses keys that are not 32 bytes as a programming error', () => {
    expect(codeOf(() => seal(Buffer.alloc(16), Buffer.from('x'), aad))).toBe('TypeError');
    expect(codeOf(() => open(Buffer.alloc(31), sealed, aad))).toBe('TypeError');
  });
});
