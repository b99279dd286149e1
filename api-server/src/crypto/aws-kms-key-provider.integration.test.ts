// Against moto's KMS server: no mocks.
import { randomBytes } from 'node:crypto';
import { CreateAliasCommand, DisableKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { createTestKmsKey, testKmsClient } from '../../../testenv/kms';
import { startTcpProxy } from '../testing/tcp-proxy';
import { testEnv } from '../../../testenv/env';
import { AwsKmsKeyProvider } from './aws-kms-key-provider';
import { CryptoMetrics } from './key-provider';

async function failure(p: Promise<unknown>): Promise<{ code?: string; cause?: unknown }> {
  return p.then(
    () => ({ code: 'no error' }),
    (err) => err,
  );
}

function countingMetrics() {
  const calls: string[] = [];
  const metrics: CryptoMetrics = { kmsCalls: { inc: ({ op, outcome }) => calls.push(`${op}:${outcome}`) }, dekCache: { inc: () => undefined } };
  return { calls, metrics };
}

describe('AwsKmsKeyProvider', () => {
  let admin: KMSClient;
  let keyArn: string;
  beforeAll(async () => {
    admin = testKmsClient();
    keyArn = await createTestKmsKey(admin);
  });
  afterAll(() => admin.destroy());

  it('generates a 32-byte DEK wrapped under the key ARN and unwraps it', async () => {
    const { calls, metrics } = countingMetrics();
    const provider = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: keyArn, metrics });
    try {
      expect(provider.currentKekId()).toBe(keyArn);
      const dek = await provider.generateDataKey();
      expect(dek.plaintext).toHaveLength(32);
      expect(dek.kekId).toBe(keyArn);
      expect(await provider.unwrap(dek)).toEqual(dek.plaintext);
      await provider.ping();
      expect(calls).toEqual(['ping:ok', 'generate_data_key:ok', 'unwrap:ok', 'ping:ok']);
    } finally {
      await provider.close();
    }
  });

  it.each([
    ['a bare key id', (arn: string) => arn.split('/').pop()!],
    ['an alias', () => 'alias/alter-vault-test-' + randomBytes(4).toString('hex')],
  ])('resolves %s to the key ARN, the stable KEK id', async (_name, toKeyId) => {
    const keyId = toKeyId(keyArn);
    if (keyId.startsWith('alias/')) await admin.send(new CreateAliasCommand({ AliasName: keyId, TargetKeyId: keyArn }));
    const provider = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId });
    expect(provider.currentKekId()).toBe(keyArn);
    await provider.close();
  });

  it('rejects a DEK wrapped under another encryption context as ciphertext_invalid', async () => {
    const provider = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: keyArn });
    const foreign = await admin.send(new EncryptCommand({ KeyId: keyArn, Plaintext: randomBytes(32), EncryptionContext: { purpose: 'other', app: 'alter-vault' } }));
    const err = await failure(provider.unwrap({ kekId: keyArn, wrapped: Buffer.from(foreign.CiphertextBlob!) }));
    expect(err.code).toBe('ciphertext_invalid');
    expect((await failure(provider.unwrap({ kekId: keyArn, wrapped: randomBytes(80) }))).code).toBe('ciphertext_invalid');
    await provider.close();
  });

  it('reports a disabled key as kms_unavailable', async () => {
    const arn = await createTestKmsKey(admin);
    const provider = await AwsKmsKeyProvider.create({ client: testKmsClient(), keyId: arn });
    await admin.send(new DisableKeyCommand({ KeyId: arn.split('/').pop()! })); // moto wants the bare id here
    expect((await failure(provider.ping())).code).toBe('kms_unavailable');
    const client = testKmsClient();
    expect((await failure(AwsKmsKeyProvider.create({ client, keyId: arn }))).code).toBe('kms_unavailable');
    client.destroy();
    await provider.close();
  });

  it('reports an unreachable KMS as kms_unavailable, with the SDK error as cause', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(testEnv().kmsEndpoint).port) });
    const client = testKmsClient(`http://127.0.0.1:${proxy.port}`);
    const { calls, metrics } = countingMetrics();
    const provider = await AwsKmsKeyProvider.create({ client, keyId: keyArn, metrics });
    await proxy.cut();
    try {
      for (const attempt of [provider.generateDataKey(), provider.ping(), provider.unwrap({ kekId: keyArn, wrapped: randomBytes(60) })]) {
        const err = await failure(attempt);
        expect(err.code).toBe('kms_unavailable');
        expect(err.cause).toBeInstanceOf(Error);
      }
      expect(calls).toEqual(['ping:ok', 'generate_data_key:kms_unavailable', 'ping:kms_unavailable', 'unwrap:kms_unavailable']);
      // A provider cannot even be made while KMS is unreachable: startup fails closed.
      expect((await failure(AwsKmsKeyProvider.create({ client, keyId: keyArn }))).code).toBe('kms_unavailable');
    } finally {
      await provider.close();
      await proxy.close();
    }
  });
});
