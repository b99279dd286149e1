// Key-encryption keys (KEKs) wrap the per-tenant data keys (DEKs) that encrypt grants.
// Every wrapped DEK names the KEK that wrapped it, so keys can rotate while serving.
export interface WrappedKey {
  kekId: string;
  wrapped: Buffer;
}

export interface KeyProvider {
  readonly kind: 'local' | 'aws-kms';
  /** The KEK that new data keys are wrapped with. */
  currentKekId(): string;
  /** A fresh 32-byte DEK, in plaintext and wrapped under the current KEK. */
  generateDataKey(): Promise<WrappedKey & { plaintext: Buffer }>;
  /** Unwraps a DEK; throws CodedError('kms_unavailable' | 'ciphertext_invalid'). */
  unwrap(key: WrappedKey): Promise<Buffer>;
  /** Re-wraps a DEK under the current KEK without exposing it where the provider can avoid it. */
  rewrap(key: WrappedKey): Promise<WrappedKey>;
  /** Answers when the provider can serve (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Bound into every wrap (AAD locally, EncryptionContext in KMS) and asserted on unwrap. */
export const ENCRYPTION_CONTEXT = Object.freeze({ purpose: 'grant-dek', app: 'alter-vault' });

export const DEK_BYTES = 32;

/** A key-provider operation, as counted in alter_kms_calls_total{op}. */
export type KeyOp = 'generate_data_key' | 'unwrap' | 'rewrap' | 'ping';
export type KeyOutcome = 'ok' | 'kms_unavailable' | 'ciphertext_invalid' | 'error';

/** Shaped so prom-client Counters fit: Counter<'op' | 'outcome'> and Counter<'result'>. */
export interface CryptoMetrics {
  kmsCalls: { inc(labels: { op: KeyOp; outcome: KeyOutcome }): void };
  dekCache: { inc(labels: { result: 'hit' | 'miss' }): void };
}

/** Runs one key-provider operation and counts it by outcome (the error's code, if coded). */
export async function countKeyOp<T>(metrics: CryptoMetrics | undefined, op: KeyOp, fn: () => Promise<T>): Promise<T> {
  try {
    const out = await fn();
    metrics?.kmsCalls.inc({ op, outcome: 'ok' });
    return out;
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    metrics?.kmsCalls.inc({ op, outcome: code === 'kms_unavailable' || code === 'ciphertext_invalid' ? code : 'error' });
    throw err;
  }
}
