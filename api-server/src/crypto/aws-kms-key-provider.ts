// Key-encryption keys in AWS KMS (or anything speaking its API, such as moto in tests).
// DEKs are generated and unwrapped by KMS with ENCRYPTION_CONTEXT bound to them, so a
// wrapped key is useless outside this purpose. The KMSClient is injected (endpoint, region,
// credentials are the caller's business); close() destroys it.
import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { CodedError } from '../result';
import { countKeyOp, CryptoMetrics, DEK_BYTES, ENCRYPTION_CONTEXT, KeyOp, KeyProvider, WrappedKey } from './key-provider';

const CONTEXT: Record<string, string> = { ...ENCRYPTION_CONTEXT };
// Errors that mean "this blob is not a DEK wrapped for us"; everything else is an outage.
const INVALID = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

export interface AwsKmsOptions {
  client: KMSClient;
  /** Key id, ARN or alias; resolved once to the key's ARN, which becomes the KEK id. */
  keyId: string;
  metrics?: CryptoMetrics;
}

export class AwsKmsKeyProvider implements KeyProvider {
  readonly kind = 'aws-kms';

  /** Resolves the key (DescribeKey) so that currentKekId() is the ARN stored with each DEK. */
  static async create(options: AwsKmsOptions): Promise<AwsKmsKeyProvider> {
    const arn = await describe(options.client, options.metrics, options.keyId);
    return new AwsKmsKeyProvider(options.client, arn, options.metrics);
  }

  private constructor(
    private readonly client: KMSClient,
    private readonly keyArn: string,
    private readonly metrics: CryptoMetrics | undefined,
  ) {}

  currentKekId(): string {
    return this.keyArn;
  }

  async generateDataKey(): Promise<WrappedKey & { plaintext: Buffer }> {
    const out = await this.call('generate_data_key', () =>
      this.client.send(new GenerateDataKeyCommand({ KeyId: this.keyArn, KeySpec: 'AES_256', EncryptionContext: CONTEXT })),
    );
    if (out.Plaintext?.length !== DEK_BYTES || !out.CiphertextBlob) {
      throw new CodedError('kms_unavailable', 'KMS GenerateDataKey returned no usable key');
    }
    return { kekId: this.keyArn, wrapped: Buffer.from(out.CiphertextBlob), plaintext: Buffer.from(out.Plaintext) };
  }

  async unwrap(key: WrappedKey): Promise<Buffer> {
    const out = await this.call('unwrap', () =>
      this.client.send(new DecryptCommand({ CiphertextBlob: key.wrapped, KeyId: key.kekId, EncryptionContext: CONTEXT })),
    );
    if (out.Plaintext?.length !== DEK_BYTES) throw new CodedError('ciphertext_invalid', 'KMS returned a data key of the wrong length');
    return Buffer.from(out.Plaintext);
  }

  /** ReEncrypt: the DEK never leaves KMS in plaintext. */
  async rewrap(key: WrappedKey): Promise<WrappedKey> {
    const out = await this.call('rewrap', () =>
      this.client.send(
        new ReEncryptCommand({
          CiphertextBlob: key.wrapped,
          SourceKeyId: key.kekId,
          SourceEncryptionContext: CONTEXT,
          DestinationKeyId: this.keyArn,
          DestinationEncryptionContext: CONTEXT,
        }),
      ),
    );
    if (!out.CiphertextBlob) throw new CodedError('kms_unavailable', 'KMS ReEncrypt returned no ciphertext');
    return { kekId: this.keyArn, wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async ping(): Promise<void> {
    await describe(this.client, this.metrics, this.keyArn);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private call<T>(op: KeyOp, send: () => Promise<T>): Promise<T> {
    return kmsCall(this.metrics, op, send);
  }
}

/** Every SDK failure becomes a CodedError with the SDK error as cause; each call is counted. */
function kmsCall<T>(metrics: CryptoMetrics | undefined, op: KeyOp, send: () => Promise<T>): Promise<T> {
  return countKeyOp(metrics, op, async () => {
    try {
      return await send();
    } catch (err) {
      const name = (err as Error)?.name ?? 'Error';
      throw new CodedError(INVALID.has(name) ? 'ciphertext_invalid' : 'kms_unavailable', `KMS ${op} failed: ${name}`, { cause: err });
    }
  });
}

/** The key's ARN; a key that cannot encrypt (disabled, pending deletion) counts as unavailable. */
async function describe(client: KMSClient, metrics: CryptoMetrics | undefined, keyId: string): Promise<string> {
  const out = await kmsCall(metrics, 'ping', () => client.send(new DescribeKeyCommand({ KeyId: keyId })));
  const meta = out.KeyMetadata;
  if (!meta?.Arn) throw new CodedError('kms_unavailable', `KMS key ${keyId} has no ARN`);
  if (meta.KeyState !== 'Enabled') throw new CodedError('kms_unavailable', `KMS key ${meta.Arn} is ${meta.KeyState}`);
  return meta.Arn;
}
