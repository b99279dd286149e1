// Envelope encryption of grant secrets (STYLE 21). Each tenant has data keys (DEKs) wrapped
// by the key provider's KEK; a grant's secret is sealed with the tenant's newest DEK using
// AES-256-GCM (layout in aes-gcm.ts) and AAD = `${grantId}|${tenantId}`, so a ciphertext
// copied to another row, or another tenant, fails to open.
import { randomUUID } from 'node:crypto';
import { CodedError } from '../result';
import type { Executor } from '../store/executor';
import { open, seal } from './aes-gcm';
import { findDataKey, findLatestDataKey, insertDataKey } from './data-key.repository';
import type { CryptoMetrics, KeyProvider } from './key-provider';

export type { CryptoMetrics };

export interface Sealed {
  dekId: string;
  ciphertext: Buffer;
}

interface CachedDek {
  tenantId: string;
  key: Buffer;
}

export function grantAad(grantId: string, tenantId: string): Buffer {
  return Buffer.from(`${grantId}|${tenantId}`, 'utf8');
}

export class Envelope {
  private readonly keyProvider: KeyProvider;
  private readonly metrics: CryptoMetrics | undefined;
  /** Unwrapped DEKs, one promise per id so concurrent callers share one unwrap. */
  private readonly deks = new Map<string, Promise<CachedDek>>();

  constructor(deps: { keyProvider: KeyProvider; metrics?: CryptoMetrics }) {
    this.keyProvider = deps.keyProvider;
    this.metrics = deps.metrics;
  }

  /** Seals plaintext for one grant row; creates the tenant's first DEK in the caller's transaction. */
  async encrypt(trx: Executor, input: { tenantId: string; grantId: string; plaintext: Buffer }): Promise<Sealed> {
    const { tenantId, grantId } = input;
    let dekId: string;
    let dek: CachedDek;
    const latest = await findLatestDataKey(trx, tenantId);
    if (latest) {
      dekId = latest.id;
      dek = await this.unwrapCached(trx, tenantId, dekId);
    } else {
      const fresh = await this.keyProvider.generateDataKey();
      dekId = randomUUID();
      await insertDataKey(trx, { id: dekId, tenantId, kekId: fresh.kekId, wrapped: fresh.wrapped });
      dek = { tenantId, key: fresh.plaintext };
      // If the transaction rolls back, this entry is just never looked up.
      this.deks.set(dekId, Promise.resolve(dek));
    }
    return { dekId, ciphertext: seal(dek.key, input.plaintext, grantAad(grantId, tenantId)) };
  }

  /** Opens a grant's ciphertext; any mismatch of key, row or bytes is ciphertext_invalid. */
  async decrypt(db: Executor, input: { tenantId: string; grantId: string; dekId: string; ciphertext: Buffer }): Promise<Buffer> {
    const dek = await this.unwrapCached(db, input.tenantId, input.dekId);
    return open(dek.key, input.ciphertext, grantAad(input.grantId, input.tenantId));
  }

  private async unwrapCached(db: Executor, tenantId: string, dekId: string): Promise<CachedDek> {
    let pending = this.deks.get(dekId);
    this.metrics?.dekCache.inc({ result: pending ? 'hit' : 'miss' });
    if (!pending) {
      const p = this.load(db, dekId);
      pending = p;
      this.deks.set(dekId, p);
      // A failure (KMS down, bad row) must not stick: evict so the next call retries.
      p.catch(() => {
        if (this.deks.get(dekId) === p) this.deks.delete(dekId);
      });
    }
    const dek = await pending;
    if (dek.tenantId !== tenantId) throw new CodedError('ciphertext_invalid', 'data key belongs to another tenant');
    return dek;
  }

  private async load(db: Executor, dekId: string): Promise<CachedDek> {
    const row = await findDataKey(db, dekId);
    if (!row) throw new CodedError('ciphertext_invalid', 'data key not found');
    const key = await this.keyProvider.unwrap({ kekId: row.kek_id, wrapped: Buffer.from(row.wrapped) });
    return { tenantId: row.tenant_id, key };
  }
}
