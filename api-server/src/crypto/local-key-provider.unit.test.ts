import { kekIdOf, KeyFormatError, LocalKeyProvider, parseKeyText, WRAP_AAD } from './local-key-provider';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);

async function codeOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => 'no error',
    (err) => (err as { code?: unknown }).code,
  );
}

describe('LocalKeyProvider', () => {
  it('wraps a fresh 32-byte DEK under the current KEK and unwraps it', async () => {
    const provider = new LocalKeyProvider([keyA]);
    const dek = await provider.generateDataKey();
    expect(dek.plaintext).toHaveLength(32);
    expect(dek.kekId).toBe(provider.currentKekId());
    expect(dek.wrapped).toHaveLength(1 + 12 + 16 + 32);
    expect(dek.wrapped.includes(dek.plaintext)).toBe(false);
    expect(await provider.unwrap(dek)).toEqual(dek.plaintext);
  });

  it('names a KEK by a short stable fingerprint', () => {
    expect(kekIdOf(keyA)).toMatch(/^local:[0-9a-f]{16}$/);
    expect(kekIdOf(Buffer.from(keyA))).toBe(kekIdOf(keyA));
    expect(kekIdOf(keyB)).not.toBe(kekIdOf(keyA));
    expect(new LocalKeyProvider([keyB, keyA]).currentKekId()).toBe(kekIdOf(keyB));
  });

  it('binds the encryption context as canonical JSON', () => {
    expect(WRAP_AAD.toString()).toBe('{"app":"alter-vault","purpose":"grant-dek"}');
  });

  it('fails closed with kms_unavailable when the wrapping KEK is not in the keyring', async () => {
    const dek = await new LocalKeyProvider([keyA]).generateDataKey();
    expect(await codeOf(new LocalKeyProvider([keyB]).unwrap(dek))).toBe('kms_unavailable');
  });

  it('rejects a wrap made by another key under the same KEK id as ciphertext_invalid', async () => {
    const dek = await new LocalKeyProvider([keyA]).generateDataKey();
    const other = new LocalKeyProvider([keyB]);
    expect(await codeOf(other.unwrap({ kekId: other.currentKekId(), wrapped: dek.wrapped }))).toBe('ciphertext_invalid');
  });

  it('rejects a tampered wrapped key as ciphertext_invalid', async () => {
    const provider = new LocalKeyProvider([keyA]);
    const dek = await provider.generateDataKey();
    const wrapped = Buffer.from(dek.wrapped);
    wrapped[wrapped.length - 1]! ^= 0x80;
    expect(await codeOf(provider.unwrap({ kekId: dek.kekId, wrapped }))).toBe('ciphertext_invalid');
  });

  it('re-wraps a key from a previous KEK under the current one', async () => {
    const old = await new LocalKeyProvider([keyA]).generateDataKey();
    const rotated = new LocalKeyProvider([keyB, keyA]);
    const next = await rotated.rewrap(old);
    expect(next.kekId).toBe(kekIdOf(keyB));
    expect(await new LocalKeyProvider([keyB]).unwrap(next)).toEqual(old.plaintext);
  });

  it('counts its operations like KMS calls', async () => {
    const calls: string[] = [];
    const metrics = { kmsCalls: { inc: (l: { op: string; outcome: string }) => calls.push(`${l.op}:${l.outcome}`) }, dekCache: { inc: () => undefined } };
    const provider = new LocalKeyProvider([keyA], metrics);
    const dek = await provider.generateDataKey();
    await provider.unwrap(dek);
    await provider.unwrap({ kekId: 'local:0000000000000000', wrapped: dek.wrapped }).catch(() => undefined);
    expect(calls).toEqual(['generate_data_key:ok', 'unwrap:ok', 'unwrap:kms_unavailable']);
  });
});

describe('parseKeyText', () => {
  const good = keyA.toString('base64');

  it('accepts base64 of 32 bytes with surrounding whitespace', () => {
    expect(parseKeyText(`  ${good}\n`, 'ALTER_LOCAL_KEY')).toEqual(keyA);
  });

  const secretish = Buffer.alloc(24, 0xab).toString('base64'); // 24 bytes: wrong length
  it.each([
    ['a key of the wrong length', secretish, /decodes to 24 bytes, expected 32/],
    ['text that is not base64', `${secretish.slice(0, 20)}!!!!`, /not base64 text/],
    ['raw bytes', keyA.toString('latin1'), /not base64 text/],
    ['an empty file', '\n', /not base64 text/],
  ])('rejects %s without echoing the value', (_name, text, message) => {
    let error: unknown;
    try {
      parseKeyText(text, 'ALTER_LOCAL_KEY_FILE (/keys/kek)');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeyFormatError);
    const msg = (error as Error).message;
    expect(msg).toMatch(message);
    expect(msg).toContain('ALTER_LOCAL_KEY_FILE (/keys/kek)');
    if (text.trim()) expect(msg).not.toContain(text.trim().slice(0, 8));
  });
});
