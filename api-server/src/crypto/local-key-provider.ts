// Key-encryption keys held by the process: a keyring of 32-byte KEKs, the first one current,
// the others previous ones kept so data keys wrapped under them still unwrap until
// `rotate-key` has re-wrapped them.
//
// Key format, both for ALTER_LOCAL_KEY and for a key file: base64 text of exactly 32 random
// bytes (one line; surrounding whitespace ignored), e.g. `openssl rand -base64 32`. Text
// survives Kubernetes Secrets, env files and copy-paste; raw bytes do not.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyProviderConfig } from '../config';
import type { Logger } from '../logger';
import { CodedError } from '../result';
import { open, seal } from './aes-gcm';
import { countKeyOp, CryptoMetrics, DEK_BYTES, ENCRYPTION_CONTEXT, KeyProvider, WrappedKey } from './key-provider';

const KEK_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The AAD of every local wrap: the encryption context as canonical (key-sorted) JSON. */
export const WRAP_AAD = Buffer.from(
  JSON.stringify(Object.fromEntries(Object.entries(ENCRYPTION_CONTEXT).sort(([a], [b]) => a.localeCompare(b)))),
  'utf8',
);

export class KeyFormatError extends Error {
  readonly code = 'invalid_key';
}

/** Parses base64 key text. Errors name the source, never any part of the value. */
export function parseKeyText(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new KeyFormatError(`${source}: not base64 text; expected ${KEK_BYTES} random bytes in base64 (openssl rand -base64 32)`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEK_BYTES) {
    throw new KeyFormatError(`${source}: decodes to ${key.length} bytes, expected ${KEK_BYTES} (openssl rand -base64 32)`);
  }
  return key;
}

/** `local:` + the first 16 hex digits of sha256(key): stable, short, and reveals nothing usable. */
export function kekIdOf(key: Buffer): string {
  return `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export class LocalKeyProvider implements KeyProvider {
  readonly kind = 'local';
  private readonly keyring = new Map<string, Buffer>();
  private readonly current: string;

  /** keys[0] is current; the rest are previous KEKs, used for unwrapping only. */
  constructor(keys: Buffer[], private readonly metrics?: CryptoMetrics) {
    if (keys.length === 0) throw new TypeError('LocalKeyProvider needs at least one key');
    for (const key of keys) {
      if (key.length !== KEK_BYTES) throw new TypeError(`a KEK must be ${KEK_BYTES} bytes`);
      const id = kekIdOf(key);
      if (!this.keyring.has(id)) this.keyring.set(id, Buffer.from(key));
    }
    this.current = kekIdOf(keys[0]!);
  }

  currentKekId(): string {
    return this.current;
  }

  // Counted like KMS calls, so dashboards read the same whichever provider runs.
  generateDataKey(): Promise<WrappedKey & { plaintext: Buffer }> {
    return countKeyOp(this.metrics, 'generate_data_key', async () => {
      const plaintext = randomBytes(DEK_BYTES);
      return { plaintext, ...this.wrap(plaintext) };
    });
  }

  unwrap(key: WrappedKey): Promise<Buffer> {
    return countKeyOp(this.metrics, 'unwrap', async () => this.unwrapSync(key));
  }

  rewrap(key: WrappedKey): Promise<WrappedKey> {
    return countKeyOp(this.metrics, 'rewrap', async () => this.wrap(this.unwrapSync(key)));
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const key of this.keyring.values()) key.fill(0);
    this.keyring.clear();
  }

  private unwrapSync(key: WrappedKey): Buffer {
    const kek = this.keyring.get(key.kekId);
    // A missing KEK is a configuration problem, not bad data: fail closed as unavailable.
    if (!kek) throw new CodedError('kms_unavailable', `key-encryption key ${key.kekId} is not in the keyring (add it to ALTER_LOCAL_PREVIOUS_KEY_FILES)`);
    const dek = open(kek, key.wrapped, WRAP_AAD);
    if (dek.length !== DEK_BYTES) throw new CodedError('ciphertext_invalid', 'unwrapped data key has the wrong length');
    return dek;
  }

  private wrap(dek: Buffer): WrappedKey {
    const kek = this.keyring.get(this.current);
    if (!kek) throw new CodedError('kms_unavailable', 'the key provider is closed');
    return { kekId: this.current, wrapped: seal(kek, dek, WRAP_AAD) };
  }
}

type LocalConfig = Extract<KeyProviderConfig, { kind: 'local' }>;

export const EMBEDDED_KEY_FILE = 'master.key';

/** Builds the provider from config: an explicit key or key file, else the embedded key in dataDir. */
export function loadLocalKeyProvider(config: LocalConfig, options: { dataDir: string; logger: Logger; metrics?: CryptoMetrics }): LocalKeyProvider {
  const { logger } = options;
  let current: Buffer;
  if (config.key) current = parseKeyText(config.key, 'ALTER_LOCAL_KEY');
  else if (config.keyFile) current = readKeyFile(config.keyFile, 'ALTER_LOCAL_KEY_FILE', logger);
  else if (config.generateInDataDir) current = embeddedKey(options.dataDir, logger);
  else throw new KeyFormatError('no local key configured: set ALTER_LOCAL_KEY_FILE or ALTER_LOCAL_KEY');
  const previous = config.previousKeyFiles.map((file) => readKeyFile(file, 'ALTER_LOCAL_PREVIOUS_KEY_FILES', logger));
  const provider = new LocalKeyProvider([current, ...previous], options.metrics);
  logger.info({ kekId: provider.currentKekId(), previous: previous.map(kekIdOf) }, 'local key provider ready');
  return provider;
}

function readKeyFile(file: string, variable: string, logger: Logger): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyFormatError(`${variable} (${file}): cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  // Kubernetes mounts Secrets 0644 by default and the pod is the boundary there: warn only.
  if (statSync(file).mode & 0o077) logger.warn({ file }, `${variable}: key file is readable by group or others; chmod 600 it`);
  return parseKeyText(text, `${variable} (${file})`);
}

/** The embedded mode's key: generated once beside the data (0600), loudly flagged as such. */
function embeddedKey(dataDir: string, logger: Logger): Buffer {
  const file = path.join(dataDir, EMBEDDED_KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': two processes starting at once cannot overwrite each other's key.
    writeFileSync(file, `${randomBytes(KEK_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    logger.warn(
      { file },
      'GENERATED A NEW MASTER KEY beside the data. Anyone with this directory can decrypt every secret, and losing the file loses them all: ' +
        'back it up separately, and in production use ALTER_KEY_PROVIDER=aws-kms or ALTER_LOCAL_KEY_FILE from a secret store',
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // We wrote it 0600; wider permissions mean someone changed them: refuse, as ssh does.
    if (statSync(file).mode & 0o077) {
      throw new KeyFormatError(`${file} is readable by group or others; run chmod 600 on it (or move the key to a secret store)`);
    }
    logger.warn({ file }, 'using the embedded master key stored beside the data; fine for development, not for production');
  }
  return parseKeyText(readFileSync(file, 'utf8'), file);
}
