// AES-256-GCM with one self-describing layout, used for grant ciphertexts (envelope.ts) and
// for local-key wrapped DEKs (local-key-provider.ts):
//
//   version (1 byte, 0x01) | iv (12 bytes, fresh per message) | tag (16 bytes) | ciphertext
//
// The version byte lets a later scheme coexist with stored data. Pure: no I/O.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CodedError } from '../result';

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
export const KEY_BYTES = 32;

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new TypeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length}`);
}

/** Encrypts and authenticates plaintext, binding aad. `iv` is for tests only. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer, iv: Buffer = randomBytes(IV_BYTES)): Buffer {
  assertKey(key);
  if (iv.length !== IV_BYTES) throw new TypeError(`the IV must be ${IV_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
}

/** Decrypts a sealed message; any mismatch (key, aad, bytes, layout) is ciphertext_invalid. */
export function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  assertKey(key);
  if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION) {
    throw new CodedError('ciphertext_invalid', 'ciphertext has an unknown layout');
  }
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
  } catch (err) {
    throw new CodedError('ciphertext_invalid', 'ciphertext failed authentication', { cause: err });
  }
}
