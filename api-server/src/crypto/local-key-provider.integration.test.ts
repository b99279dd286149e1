// Loading local keys from files and the embedded mode's generated key (real files in a temp dir).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../logger';
import { EMBEDDED_KEY_FILE, kekIdOf, loadLocalKeyProvider } from './local-key-provider';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'alter-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capturingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

const base = { previousKeyFiles: [] as string[], generateInDataDir: false };

describe('loadLocalKeyProvider', () => {
  it('reads base64 key files, current first, previous ones for unwrapping', async () => {
    const current = randomBytes(32);
    const previous = randomBytes(32);
    writeFileSync(path.join(dir, 'current'), `${current.toString('base64')}\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'previous'), previous.toString('base64'), { mode: 0o600 });
    const { logger, warnings } = capturingLogger();
    const provider = loadLocalKeyProvider({ kind: 'local', ...base, keyFile: path.join(dir, 'current'), previousKeyFiles: [path.join(dir, 'previous')] }, { dataDir: dir, logger });
    expect(provider.currentKekId()).toBe(kekIdOf(current));
    const old = await loadLocalKeyProvider({ kind: 'local', ...base, key: previous.toString('base64') }, { dataDir: dir, logger }).generateDataKey();
    expect(await provider.unwrap(old)).toEqual(old.plaintext);
    expect(warnings()).toEqual([]);
  });

  it('rejects a key file of the wrong length, naming the file but not the key', () => {
    const short = randomBytes(16).toString('base64');
    writeFileSync(path.join(dir, 'short'), short);
    const load = () => loadLocalKeyProvider({ kind: 'local', ...base, keyFile: path.join(dir, 'short') }, { dataDir: dir, logger: createLogger('silent') });
    expect(load).toThrow(/ALTER_LOCAL_KEY_FILE \(.*short\): decodes to 16 bytes, expected 32/);
    expect(load).not.toThrow(short);
  });

  it('rejects a key file holding raw bytes instead of base64 text', () => {
    writeFileSync(path.join(dir, 'raw'), randomBytes(32));
    expect(() => loadLocalKeyProvider({ kind: 'local', ...base, keyFile: path.join(dir, 'raw') }, { dataDir: dir, logger: createLogger('silent') })).toThrow(/not base64 text/);
  });

  it('warns when a key file is readable by group or others', () => {
    writeFileSync(path.join(dir, 'open'), randomBytes(32).toString('base64'));
    chmodSync(path.join(dir, 'open'), 0o644);
    const { logger, warnings } = capturingLogger();
    loadLocalKeyProvider({ kind: 'local', ...base, keyFile: path.join(dir, 'open') }, { dataDir: dir, logger });
    expect(warnings()).toEqual([expect.stringContaining('readable by group or others')]);
  });

  describe('embedded mode', () => {
    const embedded = { kind: 'local' as const, previousKeyFiles: [], generateInDataDir: true };

    it('generates <dataDir>/master.key once, mode 0600, with a loud warning, and reuses it', async () => {
      const dataDir = path.join(dir, 'data');
      const first = capturingLogger();
      const provider = loadLocalKeyProvider(embedded, { dataDir, logger: first.logger });
      const file = path.join(dataDir, EMBEDDED_KEY_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
      expect(first.warnings()).toEqual([expect.stringMatching(/GENERATED A NEW MASTER KEY.*back it up.*production/)]);

      const second = capturingLogger();
      const again = loadLocalKeyProvider(embedded, { dataDir, logger: second.logger });
      expect(again.currentKekId()).toBe(provider.currentKekId());
      expect(await again.unwrap(await provider.generateDataKey())).toHaveLength(32);
      expect(second.warnings()).toEqual([expect.stringContaining('not for production')]);
    });

    it('refuses an embedded key that group or others can read', () => {
      loadLocalKeyProvider(embedded, { dataDir: dir, logger: createLogger('silent') });
      chmodSync(path.join(dir, EMBEDDED_KEY_FILE), 0o640);
      expect(() => loadLocalKeyProvider(embedded, { dataDir: dir, logger: createLogger('silent') })).toThrow(/chmod 600/);
    });
  });
});
