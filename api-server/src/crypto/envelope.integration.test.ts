// Envelope encryption against the real store and real key providers (local keyring, moto KMS).
import { randomBytes, randomUUID } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { testEnv } from '../../../testenv/env';
import { createTestKmsKey, testKmsClient } from '../../../testenv/kms';
import { findGrant, insertGrant } from '../grants/grant.repository';
import type { Db } from '../store/db';
import { createTestDatabase, TestDatabase } from '../testing/database';
import { startTcpProxy } from '../testing/tcp-proxy';
import { AwsKmsKeyProvider } from './aws-kms-key-provider';
import { Envelope } from './envelope';
import type { CryptoMetrics, KeyProvider } from './key-provider';
import { LocalKeyProvider } from './local-key-provider';

let t: TestDatabase;
let admin: KMSClient;
let kmsKey: string;
beforeAll(async () => {
  t = await createTestDatabase();
  admin = testKmsClient();
  kmsKey = await createTestKmsKey(admin);
});
afterAll(async () => {
  admin.destroy();
  await t.drop();
});

async function newTenant(db: Db): Promise<string> {
  const row = await db.insertInto('tenants').values({ name: `tenant-${randomUUID()}` }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Stores a secret the way the services do: seal and insert the grant row in one transaction. */
async function storeGrant(db: Db, envelope: Envelope, tenantId: string, secret: string): Promise<string> {
  const grantId = randomUUID();
  await db.transaction().execute(async (trx) => {
    const sealed = await envelope.encrypt(trx, { tenantId, grantId, plaintext: Buffer.from(secret) });
    await insertGrant(trx, {
      id: grantId,
      tenant_id: tenantId,
      kind: 'secret',
      provider: 'test',
      status: 'active',
      injection: '{}',
      allowed_hosts: '[]',
      dek_id: sealed.dekId,
      ciphertext: sealed.ciphertext,
      updated_at: new Date(),
    });
  });
  return grantId;
}

async function readGrant(envelope: Envelope, tenantId: string, grantId: string): Promise<string> {
  const row = (await findGrant(t.db, tenantId, grantId))!;
  return (await envelope.decrypt(t.db, { tenantId, grantId, dekId: row.dek_id!, ciphertext: Buffer.from(row.ciphertext!) })).toString();
}

function countingMetrics() {
  const kms: Record<string, number> = {};
  const cache = { hit: 0, miss: 0 };
  const metrics: CryptoMetrics = {
    kmsCalls: { inc: ({ op, outcome }) => void (kms[`${op}:${outcome}`] = (kms[`${op}:${outcome}`] ?? 0) + 1) },
    dekCache: { inc: ({ result }) => void cache[result]++ },
  };
  return { kms, cache, metrics };
}

const failure = (p: Promise<unknown>) => p.then(() => ({ code: 'no error' }), (err: { code?: string }) => err);

const providers: Array<[string, (metrics?: CryptoMetrics) => Promise<KeyProvider>]> = [
  ['local', async (metrics) => new LocalKeyProvider([randomBytes(32)], metrics)],
  ['aws-kms', (metrics) => AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: kmsKey, ...(metrics ? { metrics } : {}) })],
];

describe.each(providers)('Envelope with the %s key provider', (_kind, makeProvider) => {
  let provider: KeyProvider;
  beforeAll(async () => {
    provider = await makeProvider();
  });
  afterAll(() => provider.close());

  it('round-trips a secret through its grant row, with one DEK per tenant', async () => {
    const envelope = new Envelope({ keyProvider: provider });
    const tenantId = await newTenant(t.db);
    const a = await storeGrant(t.db, envelope, tenantId, 'token-a');
    const b = await storeGrant(t.db, envelope, tenantId, 'token-b');
    expect(await readGrant(new Envelope({ keyProvider: provider }), tenantId, a)).toBe('token-a');
    expect(await readGrant(envelope, tenantId, b)).toBe('token-b');

    const keys = await t.db.selectFrom('data_keys').select(['id', 'kek_id', 'wrapped']).where('tenant_id', '=', tenantId).execute();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.kek_id).toBe(provider.currentKekId());
    const row = (await findGrant(t.db, tenantId, a))!;
    expect(row.dek_id).toBe(keys[0]!.id);
    expect(Buffer.from(row.ciphertext!).includes(Buffer.from('token-a'))).toBe(false);
  });

  it('rejects a ciphertext copied to another grant row, in its tenant or another, as ciphertext_invalid', async () => {
    const envelope = new Envelope({ keyProvider: provider });
    const tenantId = await newTenant(t.db);
    const otherTenant = await newTenant(t.db);
    const source = await storeGrant(t.db, envelope, tenantId, 'victim-token');
    const sameTenant = await storeGrant(t.db, envelope, tenantId, 'attacker-token');
    const foreign = await storeGrant(t.db, envelope, otherTenant, 'foreign-token');
    const copied = (await findGrant(t.db, tenantId, source))!;
    for (const [tenant, target] of [[tenantId, sameTenant], [otherTenant, foreign]] as const) {
      await t.db.updateTable('grants').set({ dek_id: copied.dek_id, ciphertext: copied.ciphertext }).where('id', '=', target).execute();
      expect((await failure(readGrant(envelope, tenant, target))).code).toBe('ciphertext_invalid');
    }
    expect(await readGrant(envelope, tenantId, source)).toBe('victim-token');
  });

  it('creates no DEK when the transaction rolls back', async () => {
    const envelope = new Envelope({ keyProvider: provider });
    const tenantId = await newTenant(t.db);
    await failure(
      t.db.transaction().execute(async (trx) => {
        await envelope.encrypt(trx, { tenantId, grantId: randomUUID(), plaintext: Buffer.from('x') });
        throw new Error('rollback');
      }),
    );
    expect(await t.db.selectFrom('data_keys').select('id').where('tenant_id', '=', tenantId).execute()).toEqual([]);
    expect(await readGrant(envelope, tenantId, await storeGrant(t.db, envelope, tenantId, 'after'))).toBe('after');
  });
});

describe('Envelope with KMS', () => {
  it('unwraps a DEK once per process, however many decrypts use it', async () => {
    const tenantId = await newTenant(t.db);
    const writer = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: kmsKey });
    const grants = [];
    const writerEnvelope = new Envelope({ keyProvider: writer });
    for (let i = 0; i < 10; i++) grants.push(await storeGrant(t.db, writerEnvelope, tenantId, `secret-${i}`));
    await writer.close();

    const { kms, cache, metrics } = countingMetrics();
    const provider = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: kmsKey, metrics });
    const envelope = new Envelope({ keyProvider: provider, metrics });
    // Concurrent first uses share one unwrap; later ones hit the cache.
    const first = await Promise.all(grants.map((g) => readGrant(envelope, tenantId, g)));
    for (const g of grants) await readGrant(envelope, tenantId, g);
    expect(first).toEqual(grants.map((_, i) => `secret-${i}`));
    expect(kms['unwrap:ok']).toBe(1);
    expect(cache).toEqual({ miss: 1, hit: 19 });
    await provider.close();
  });

  it('does not cache a failed unwrap: once KMS is back, the next decrypt works', async () => {
    const tenantId = await newTenant(t.db);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(testEnv().kmsEndpoint).port) });
    const { kms, metrics } = countingMetrics();
    const provider = await AwsKmsKeyProvider.create({ client: testKmsClient(`http://127.0.0.1:${proxy.port}`), keyId: kmsKey, metrics });
    try {
      const grantId = await storeGrant(t.db, new Envelope({ keyProvider: provider }), tenantId, 'survives an outage');
      const envelope = new Envelope({ keyProvider: provider, metrics });
      await proxy.cut();
      expect((await failure(readGrant(envelope, tenantId, grantId))).code).toBe('kms_unavailable');
      expect((await failure(readGrant(envelope, tenantId, grantId))).code).toBe('kms_unavailable');
      // A tenant's first secret needs KMS too: encrypting fails closed, nothing is stored.
      expect((await failure(storeGrant(t.db, envelope, await newTenant(t.db), 'x'))).code).toBe('kms_unavailable');
      await proxy.restore();
      expect(await readGrant(envelope, tenantId, grantId)).toBe('survives an outage');
      expect(kms).toMatchObject({ 'unwrap:kms_unavailable': 2, 'unwrap:ok': 1, 'generate_data_key:kms_unavailable': 1 });
    } finally {
      await provider.close();
      await proxy.close();
    }
  });
});
