// An agent's projected service-account token, read from the file the kubelet keeps fresh.
// The kubelet rotates the token by swapping the file (an atomic symlink swap in a projected
// volume); a stat per use notices the swap (inode, size or mtime changed) and re-reads, so a
// rotated token is sent from the next call on, without a restart. The token is never logged.
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { VaultError } from './vault-error';

export const DEFAULT_TOKEN_PATH = '/var/run/secrets/tokens/alter-vault';

export class ServiceAccountToken {
  #version = '';
  #token = '';

  constructor(readonly path: string) {}

  /** Reads the file now: a missing or empty file fails here, when the client is made. */
  load(): this {
    try {
      this.#accept(versionOf(statSync(this.path)), readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw unavailable(this.path, err);
    }
    return this;
  }

  /** The current token, re-read when the file changed since the last read. */
  async current(): Promise<string> {
    try {
      const version = versionOf(await stat(this.path));
      if (version !== this.#version) this.#accept(version, await readFile(this.path, 'utf8'));
    } catch (err) {
      throw unavailable(this.path, err);
    }
    return this.#token;
  }

  #accept(version: string, text: string): void {
    const token = text.trim();
    if (!token) throw new EmptyTokenFile();
    this.#token = token;
    this.#version = version;
  }

  toJSON(): { path: string } {
    return { path: this.path };
  }
}

class EmptyTokenFile extends Error {}

function versionOf(s: { ino: number; size: number; mtimeMs: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function unavailable(path: string, err: unknown): VaultError {
  const why =
    err instanceof EmptyTokenFile
      ? 'the file is empty'
      : (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file (is the projected service-account token volume mounted?)'
        : ((err as NodeJS.ErrnoException).code ?? 'unreadable');
  return new VaultError('credential_unavailable', `no service-account token at ${path}: ${why}`, 0, undefined, undefined, { cause: err });
}
