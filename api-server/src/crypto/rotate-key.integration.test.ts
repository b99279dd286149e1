// Online KEK rotation against the real store, with the local keyring and with moto KMS.
import { randomBytes, randomUUID } from 'node:crypto';
import { DecryptCommand, DisableKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { createTestKmsKey, testKmsClient } from '../../../testenv/kms';
import { findGrant, insertGrant } from '../grants/grant.repository';
import { createLogger } from '../logger';
import type { Db } from '../store/db';
import { createTestDatabase, TestDatabase } from '../testing/database';
import { AwsKmsKeyProvider } from './aws-kms-key-provider';
import { Envelope } from './envelope';
import { ENCRYPTION_CONTEXT, KeyProvider } from './key-provider';
import { kekIdOf, LocalKeyProvider } from './local-key-provider';
import { rotateDataKeys } from './rotate-key';

const logger = createLogger('silent');
// A database per test: a rotation touches every data key in its database.
let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.drop());

interface Stored {
  tenantId: string;
  grantId: string;
  secret: string;
}

/** Secrets in several tenants (one DEK each), sealed under `provider`. */
async function seed(db: Db, provider: KeyProvider, tenants = 3): Promise<Stored[]> {
  const envelope = new Envelope({ keyProvider: provider });
  const stored: Stored[] = [];
  for (let i = 0; i < tenants; i++) {
    const { id: tenantId } = await db.insertInto('tenants').values({ name: `tenant-${randomUUID()}` }).returning('id').executeTakeFirstOrThrow();
    for (let j = 0; j < 2; j++) {
      const grantId = randomUUID();
      const secret = `secret-${i}-${j}`;
      await db.transaction().execute(async (trx) => {
        const sealed = await envelope.encrypt(trx, { tenantId, grantId, plaintext: Buffer.from(secret) });
        await insertGrant(trx, { id: grantId, tenant_id: tenantId, kind: 'secret', provider: 'test', status: 'active', injection: '{}', allowed_hosts: '[]', dek_id: sealed.dekId, ciphertext: sealed.ciphertext, updated_at: new Date() });
      });
      stored.push({ tenantId, grantId, secret });
    }
  }
  return stored;
}

async function readAll(envelope: Envelope, stored: Stored[]): Promise<string[]> {
  return Promise.all(
    stored.map(async ({ tenantId, grantId }) => {
      const row = (await findGrant(t.db, tenantId, grantId))!;
      return (await envelope.decrypt(t.db, { tenantId, grantId, dekId: row.dek_id!, ciphertext: Buffer.from(row.ciphertext!) })).toString();
    }),
  );
}

async function keysOf(stored: Stored[]) {
  const tenants = [...new Set(stored.map((s) => s.tenantId))];
  return t.db.selectFrom('data_keys').select(['id', 'kek_id', 'rewrapped_at']).where('tenant_id', 'in', tenants).execute();
}

async function ciphertextsOf(stored: Stored[]) {
  return t.db.selectFrom('grants').select(['id', 'dek_id', 'ciphertext']).where('id', 'in', stored.map((s) => s.grantId)).orderBy('id').execute();
}

describe('rotateDataKeys', () => {
  it('local: re-wraps every DEK under the new KEK; the data then needs only the new key', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const stored = await seed(t.db, new LocalKeyProvider([oldKey]));
    const before = await ciphertextsOf(stored);

    const rotating = new LocalKeyProvider([newKey, oldKey]);
    // Serving goes on during the rotation: decrypts through the rotating provider all succeed.
    const [result, during] = await Promise.all([rotateDataKeys(t.db, rotating, logger), readAll(new Envelope({ keyProvider: rotating }), stored)]);
    expect(during).toEqual(stored.map((s) => s.secret));
    expect(result.rewrapped).toBe(3);

    const keys = await keysOf(stored);
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      expect(key.kek_id).toBe(kekIdOf(newKey));
      expect(key.rewrapped_at).toBeInstanceOf(Date);
    }
    expect(await ciphertextsOf(stored)).toEqual(before);
    expect(await readAll(new Envelope({ keyProvider: new LocalKeyProvider([newKey]) }), stored)).toEqual(stored.map((s) => s.secret));
    // The old key alone no longer opens anything: it fails closed.
    await expect(readAll(new Envelope({ keyProvider: new LocalKeyProvider([oldKey]) }), stored)).rejects.toMatchObject({ code: 'kms_unavailable' });
    // Idempotent: a second run finds nothing left to do.
    expect(await rotateDataKeys(t.db, rotating, logger)).toEqual({ rewrapped: 0 });
    expect(await keysOf(stored)).toEqual(keys);
  });

  it('aws-kms: re-wraps with ReEncrypt; after the old key is disabled and scheduled for deletion, everything still decrypts', async () => {
    const admin: KMSClient = testKmsClient();
    const oldArn = await createTestKmsKey(admin);
    const newArn = await createTestKmsKey(admin);
    const oldProvider = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: oldArn });
    const newProvider = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: newArn });
    try {
      const stored = await seed(t.db, oldProvider, 2);
      const before = await ciphertextsOf(stored);
      expect((await keysOf(stored)).map((k) => k.kek_id)).toEqual([oldArn, oldArn]);

      const { rewrapped } = await rotateDataKeys(t.db, newProvider, logger);
      expect(rewrapped).toBe(2);
      const keys = await keysOf(stored);
      expect(keys.map((k) => k.kek_id)).toEqual([newArn, newArn]);
      expect(await ciphertextsOf(stored)).toEqual(before);

      // moto's DisableKey/ScheduleKeyDeletion take the bare key id only (an ARN is a KeyError there).
      const oldKeyId = oldArn.split('/').pop()!;
      await admin.send(new DisableKeyCommand({ KeyId: oldKeyId }));
      await admin.send(new ScheduleKeyDeletionCommand({ KeyId: oldKeyId, PendingWindowInDays: 7 }));
      expect(await readAll(new Envelope({ keyProvider: newProvider }), stored)).toEqual(stored.map((s) => s.secret));
      // The stored wraps are now the new key's: KMS refuses them under the old key id.
      const wrapped = await t.db.selectFrom('data_keys').select('wrapped').where('id', '=', keys[0]!.id).executeTakeFirstOrThrow();
      await expect(admin.send(new DecryptCommand({ CiphertextBlob: wrapped.wrapped, KeyId: oldArn, EncryptionContext: { ...ENCRYPTION_CONTEXT } }))).rejects.toThrow();
    } finally {
      await oldProvider.close();
      await newProvider.close();
      admin.destroy();
    }
  });
});
