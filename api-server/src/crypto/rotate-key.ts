// Online KEK rotation: re-wraps every data key not under the current KEK. Each key is done
// in its own short transaction under a row lock, so it runs while the server serves;
// grant ciphertexts are untouched (the DEK inside the wrap does not change), and servers
// holding the old wrap keep working as long as the old KEK stays usable until this is done.
import type { Kysely } from 'kysely';
import type { Logger } from '../logger';
import type { Database } from '../store/schema';
import { listDataKeyIdsNotUnder, lockDataKeyById, updateWrappedDataKey } from './data-key.repository';
import type { KeyProvider } from './key-provider';

export async function rotateDataKeys(db: Kysely<Database>, keyProvider: KeyProvider, logger: Logger): Promise<{ rewrapped: number }> {
  const target = keyProvider.currentKekId();
  const ids = await listDataKeyIdsNotUnder(db, target);
  logger.info({ kekId: target, pending: ids.length }, 'rotating data keys to the current key-encryption key');
  let rewrapped = 0;
  for (const id of ids) {
    const done = await db.transaction().execute(async (trx) => {
      const row = await lockDataKeyById(trx, id);
      // Gone, or already re-wrapped by a concurrent run: nothing to do.
      if (!row || row.kek_id === target) return false;
      const next = await keyProvider.rewrap({ kekId: row.kek_id, wrapped: Buffer.from(row.wrapped) });
      await updateWrappedDataKey(trx, id, { kekId: next.kekId, wrapped: next.wrapped, at: new Date() });
      logger.debug({ dataKeyId: id, from: row.kek_id, to: next.kekId }, 'data key re-wrapped');
      return true;
    });
    if (done) rewrapped++;
  }
  logger.info({ kekId: target, rewrapped }, 'data key rotation done');
  return { rewrapped };
}
