// Builds the configured key provider. The AWS SDK reads its own region, credentials and
// endpoint variables (AWS_REGION, AWS_ENDPOINT_URL_KMS, ...), as AWS tools expect.
import { KMSClient } from '@aws-sdk/client-kms';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { AwsKmsKeyProvider } from './aws-kms-key-provider';
import type { CryptoMetrics, KeyProvider } from './key-provider';
import { loadLocalKeyProvider } from './local-key-provider';

export async function createKeyProvider(config: Readonly<Config>, logger: Logger, metrics: CryptoMetrics): Promise<KeyProvider> {
  const kp = config.keyProvider;
  if (kp.kind === 'local') return loadLocalKeyProvider(kp, { dataDir: config.dataDir, logger, metrics });
  // Fail fast when KMS is down: a request waits seconds, not the SDK's default minutes.
  const client = new KMSClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } });
  return AwsKmsKeyProvider.create({ client, keyId: kp.keyId, metrics });
}
