// KMS clients and keys for integration tests, against the moto server of global-setup.
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { testEnv } from './env';

/** A client for moto (or for `endpoint`, e.g. a TCP proxy in front of it). One attempt: tests want failures at once. */
export function testKmsClient(endpoint = testEnv().kmsEndpoint): KMSClient {
  return new KMSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
}

/** A fresh symmetric key in moto; returns its ARN. */
export async function createTestKmsKey(client: KMSClient): Promise<string> {
  const out = await client.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: 'alter-vault test' }));
  return out.KeyMetadata!.Arn!;
}
