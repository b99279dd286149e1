// The CLI in-process against a real server: what a shell user sees, and the exit codes.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { startTestApp, TestApp } from '../../../../api-server/src/testing/app';
import { CliIO, exitCodes, runCli } from './cli';

describe('alter-vault CLI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  const cli = async (argv: string[], options: { stdin?: string; tty?: boolean; env?: Record<string, string>; signal?: AbortSignal } = {}) => {
    let stdout = '';
    let stderr = '';
    const io: CliIO = {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      readStdin: async () => options.stdin ?? '',
      readLine: async () => (options.stdin ?? '').split('\n')[0]!,
      stdinIsTTY: options.tty ?? false,
      env: options.env ?? { ALTER_URL: t.url, ALTER_API_KEY: t.bootstrapKey },
      signal: options.signal ?? new AbortController().signal,
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  };

  it('creates a key once, lists it as a table, and revokes it only when confirmed', async () => {
    const created = await cli(['--output', 'json', 'keys', 'create', '--name', 'ci-bot', '--scope', 'secrets:read', '--scope', 'audit:read']);
    expect(created.code).toBe(exitCodes.ok);
    const key = JSON.parse(created.stdout) as { id: string; key: string; prefix: string };
    expect(key.key).toMatch(/^avk_/);
    expect(created.stderr).toContain('shown once');

    const listed = await cli(['keys', 'list']);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PREFIX\s+SCOPES/);
    expect(listed.stdout).toContain(key.prefix);
    expect(listed.stdout).not.toContain(key.key);

    const unconfirmed = await cli(['keys', 'revoke', key.id]);
    expect(unconfirmed.code).toBe(exitCodes.usage);
    expect(unconfirmed.stderr).toContain('--yes');
    expect((await cli(['keys', 'revoke', key.id], { tty: true, stdin: 'something else\n' })).code).toBe(exitCodes.usage);
    expect((await cli(['keys', 'revoke', key.id], { tty: true, stdin: `${key.id}\n` })).code).toBe(exitCodes.ok);
    const revoked = await cli(['secrets', 'list'], { env: { ALTER_URL: t.url, ALTER_API_KEY: key.key } });
    expect(revoked.code).toBe(exitCodes.auth);
    expect(revoked.stderr).toContain('api_key_revoked');
  });

  it('reads secret values from stdin only, and never prints them', async () => {
    const value = `sk-cli-${Math.random().toString(36).slice(2)}`;
    const created = await cli(['--output', 'json', 'secrets', 'create', '--name', 'cli secret', '--type', 'header', '--header-name', 'X-Api-Key', '--host', 'api.example.com'], { stdin: `${value}\n` });
    expect(created.code).toBe(exitCodes.ok);
    const secret = JSON.parse(created.stdout) as { id: string; grantId: string };
    expect((await cli(['secrets', 'rotate', secret.id], { stdin: `${value}-2\n` })).code).toBe(exitCodes.ok);
    expect((await cli(['secrets', 'create', '--name', 'x', '--type', 'bearer', '--host', 'api.example.com'])).code).toBe(exitCodes.usage);
    expect((await cli(['secrets', 'create', '--name', 'x', '--type', 'basic', '--host', 'api.example.com'], { stdin: 'not json' })).code).toBe(exitCodes.usage);
    const rejected = await cli(['secrets', 'create', '--name', 'y', '--type', 'bearer', '--host', 'http://bad'], { stdin: 'value-y' });
    expect(rejected.code).toBe(exitCodes.rejected);
    expect(rejected.stderr).toContain('invalid_request');

    const outputs = [created, await cli(['secrets', 'list']), await cli(['--output', 'json', 'secrets', 'get', secret.id])];
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(value);
    expect((await cli(['secrets', 'get', '00000000-0000-4000-8000-000000000000'])).code).toBe(exitCodes.notFound);
    expect((await cli(['--yes', 'secrets', 'delete', secret.id])).code).toBe(exitCodes.ok);
  });

  it('lists, exports and verifies the audit log; a broken chain exits 1', async () => {
    const listed = await cli(['audit', 'list', '--action', 'secret.create', '--limit', '5']);
    expect(listed.code).toBe(exitCodes.ok);
    expect(listed.stdout.split('\n')[0]).toMatch(/^SEQ\s+OCCURREDAT\s+ACTOR\s+ACTION/);
    const exported = await cli(['audit', 'export', '--action', 'secret.create']);
    expect(exported.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action).every((a) => a === 'secret.create')).toBe(true);

    const verified = await cli(['--output', 'json', 'audit', 'verify']);
    expect(verified.code).toBe(exitCodes.ok);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    await sql`update audit_events set outcome = 'edited' where seq = 1`.execute(t.database.db);
    const broken = await cli(['--output', 'json', 'audit', 'verify']);
    expect(broken.code).toBe(exitCodes.failed);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBrokenSeq: 1 });
  });

  it('tails new audit events, oldest first, until interrupted', async () => {
    const stop = new AbortController();
    let output = '';
    const io: CliIO = {
      stdout: (text) => (output += text),
      stderr: () => undefined,
      readStdin: async () => '',
      readLine: async () => '',
      stdinIsTTY: false,
      env: { ALTER_URL: t.url, ALTER_API_KEY: t.bootstrapKey },
      signal: stop.signal,
    };
    const tailing = runCli(['--output', 'json', 'audit', 'tail', '--action', 'key.create', '--interval', '100'], io);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const names = ['tail-1', 'tail-2', 'tail-3'];
    for (const name of names) await t.api('POST', '/v1/keys', { name, scopes: ['secrets:read'] });
    const deadline = Date.now() + 5_000;
    while (output.trim().split('\n').filter(Boolean).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort();
    expect(await tailing).toBe(exitCodes.ok);
    const events = output.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; action: string });
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.action === 'key.create')).toBe(true);
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
  });

  it('reads a profile file, and explains missing configuration and bad usage', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'alter-cli-'));
    try {
      expect((await cli(['keys', 'list'], { env: { XDG_CONFIG_HOME: home } })).stderr).toContain('set ALTER_URL and ALTER_API_KEY');
      mkdirSync(path.join(home, 'alter-vault'));
      writeFileSync(path.join(home, 'alter-vault', 'profiles.json'), JSON.stringify({ staging: { url: t.url, apiKey: t.bootstrapKey } }), { mode: 0o600 });
      expect((await cli(['--profile', 'staging', 'keys', 'list'], { env: { XDG_CONFIG_HOME: home } })).code).toBe(exitCodes.ok);
      expect((await cli(['keys', 'list'], { env: { XDG_CONFIG_HOME: home } })).code).toBe(exitCodes.usage);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    expect((await cli([])).code).toBe(exitCodes.usage);
    expect((await cli(['keys', 'explode'])).stderr).toContain('unknown command');
    expect((await cli(['--output', 'yaml', 'keys', 'list'])).code).toBe(exitCodes.usage);
    expect((await cli(['keys', 'list', '--bogus'])).code).toBe(exitCodes.usage);
    expect((await cli(['keys', 'list'], { env: { ALTER_URL: 'http://127.0.0.1:9', ALTER_API_KEY: t.bootstrapKey } })).code).toBe(exitCodes.unavailable);
  });
});
