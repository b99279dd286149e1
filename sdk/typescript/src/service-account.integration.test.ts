// Vault.fromServiceAccount against a local HTTP server that records the Authorization header,
// while the test rotates the token file the way the kubelet does. No api-server: only what the
// client sends is under test.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Vault, VaultError } from './index';

describe('Vault.fromServiceAccount', () => {
  let server: http.Server;
  let baseUrl: string;
  let dir: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"secrets":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'alter-sa-'));
    seen.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sends the token from the file, and the rotated one once the file is rewritten', async () => {
    const tokenPath = path.join(dir, 'token');
    writeFileSync(tokenPath, 'sa-token-1\n');
    const vault = Vault.fromServiceAccount({ baseUrl, tokenPath });
    await vault.secrets.list();
    await vault.secrets.list();
    writeFileSync(tokenPath, 'sa-token-2-longer');
    await vault.secrets.list();
    // Written aside and renamed over, as atomic writers do.
    writeFileSync(`${tokenPath}.tmp`, 'sa-token-3');
    renameSync(`${tokenPath}.tmp`, tokenPath);
    await vault.secrets.list();
    expect(seen).toEqual(['Bearer sa-token-1', 'Bearer sa-token-1', 'Bearer sa-token-2-longer', 'Bearer sa-token-3']);
    expect(JSON.stringify(vault)).not.toContain('sa-token');
  });

  it('follows the kubelet’s projected volume: ..data swapped to a new timestamped directory', async () => {
    const volume = path.join(dir, 'tokens');
    mkdirSync(volume);
    const publish = (stamp: string, token: string) => {
      mkdirSync(path.join(volume, stamp));
      writeFileSync(path.join(volume, stamp, 'alter-vault'), token);
      symlinkSync(stamp, path.join(volume, '..data_tmp'));
      renameSync(path.join(volume, '..data_tmp'), path.join(volume, '..data'));
    };
    publish('..2026_01_01_00_00_00.1', 'projected-1');
    symlinkSync('..data/alter-vault', path.join(volume, 'alter-vault'));
    const vault = Vault.fromServiceAccount({ baseUrl, tokenPath: path.join(volume, 'alter-vault') });
    await vault.secrets.list();
    publish('..2026_01_01_00_48_00.2', 'projected-2');
    await vault.secrets.list();
    expect(seen).toEqual(['Bearer projected-1', 'Bearer projected-2']);
  });

  it('explains a missing or empty token file, when made and when the file goes away later', async () => {
    const tokenPath = path.join(dir, 'token');
    expect(() => Vault.fromServiceAccount({ baseUrl, tokenPath })).toThrow(/no service-account token at .*token: no such file \(is the projected service-account token volume mounted\?\)/);
    writeFileSync(tokenPath, ' \n');
    expect(() => Vault.fromServiceAccount({ baseUrl, tokenPath })).toThrow(expect.objectContaining({ code: 'credential_unavailable', message: expect.stringContaining('the file is empty') }));

    writeFileSync(tokenPath, 'sa-token-1');
    const vault = Vault.fromServiceAccount({ baseUrl, tokenPath });
    unlinkSync(tokenPath);
    const failure = vault.secrets.list();
    await expect(failure).rejects.toBeInstanceOf(VaultError);
    await expect(failure).rejects.toMatchObject({ code: 'credential_unavailable', status: 0 });
    expect(seen).toEqual([]);
  });
});
