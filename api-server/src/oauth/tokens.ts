// An OAuth grant's sealed credential: the access token and, where the provider issued one,
// the refresh token (which never leaves the server).
import type { Envelope, Sealed } from '../crypto/envelope';
import type { Executor } from '../store/executor';

export interface StoredTokens {
  accessToken: string;
  refreshToken?: string;
}

export function sealTokens(envelope: Envelope, trx: Executor, tenantId: string, grantId: string, tokens: StoredTokens): Promise<Sealed> {
  return envelope.encrypt(trx, { tenantId, grantId, plaintext: Buffer.from(JSON.stringify(tokens), 'utf8') });
}

export async function openTokens(envelope: Envelope, db: Executor, input: { tenantId: string; grantId: string; dekId: string; ciphertext: Uint8Array }): Promise<StoredTokens> {
  const plaintext = await envelope.decrypt(db, { ...input, ciphertext: Buffer.from(input.ciphertext) });
  return JSON.parse(plaintext.toString('utf8')) as StoredTokens;
}

/** The expiry to store: the provider's expires_in, else the catalog's typical lifetime, else none. */
export function expiryOf(expiresIn: number | undefined, fallbackSeconds: number | null, now: Date): Date | null {
  const seconds = expiresIn ?? fallbackSeconds;
  return seconds === null || seconds === undefined ? null : new Date(now.getTime() + seconds * 1000);
}
