// The CLI in-process against a real server: what a shell user sees, and the exit codes.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { expectNoSecretsInLogs, startTestApp, TestApp } from '../../../../api-server/src/testing/app';
import { CONNECTED_RETURN_URL as RETURN, type ConnectedGrants, startConnectedGrants } from '../../../../api-server/src/testing/connected-grants';
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

  describe('OAuth: providers, connect links and grants, against a real OIDC provider', () => {
    let oauth: ConnectedGrants;
    beforeAll(async () => {
      oauth = await startConnectedGrants(t);
    });
    afterAll(() => oauth?.stop());

    it('lists the tenant’s providers and the catalog', async () => {
      const listed = await cli(['providers', 'list']);
      expect(listed.code).toBe(exitCodes.ok);
      const lines = listed.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^ID\s+KIND\s+DISPLAYNAME\s+CONFIGURED$/);
      expect(lines[1]).toMatch(/^oidc-test\s+oauth2\s+.+\s+yes$/);
      expect(lines).toContainEqual(expect.stringMatching(/^github\s+oauth2\s+GitHub\s+-$/));
      const json = JSON.parse((await cli(['--output', 'json', 'providers', 'list'])).stdout) as { providers: { name: string }[]; catalog: { kind: string }[] };
      expect(json.providers.map((p) => p.name)).toEqual(['oidc-test']);
      expect(json.catalog.filter((c) => c.kind === 'oauth2').length).toBeGreaterThanOrEqual(30);
    });

    it('prints a connect link the end user completes; lists, reads and revokes the grant (confirmed)', async () => {
      const linked = await cli(['connect', 'principal-cli', '--return-url', RETURN, '--provider', 'oidc-test', '--agent', 'agent-cli']);
      expect(linked.code).toBe(exitCodes.ok);
      expect(linked.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/connect\/avc_\S+\n$/);
      expect(linked.stderr).toContain('single use');
      const grantId = await oauth.complete(linked.stdout.trim(), 'cli-user');

      const table = await cli(['grants', 'list', '--provider', 'oidc-test']);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+KIND\s+PROVIDER\s+STATUS\s+PRINCIPALID/);
      expect(table.stdout).toMatch(new RegExp(`^${grantId}\\s+oauth\\s+oidc-test\\s+active\\s+principal-cli`, 'm'));
      const page = JSON.parse((await cli(['--output', 'json', 'grants', 'list', '--principal', 'principal-cli', '--kind', 'oauth'])).stdout) as { grants: { id: string }[]; nextCursor: string | null };
      expect(page).toEqual({ grants: [expect.objectContaining({ id: grantId, delegatedTo: ['agent-cli'], accountId: 'cli-user' })], nextCursor: null });
      expect(JSON.parse((await cli(['grants', 'get', grantId])).stdout)).toMatchObject({ id: grantId, kind: 'oauth', status: 'active' });

      const unconfirmed = await cli(['grants', 'revoke', grantId]);
      expect(unconfirmed.code).toBe(exitCodes.usage);
      expect(unconfirmed.stderr).toContain('--yes');
      expect((await cli(['grants', 'revoke', grantId], { tty: true, stdin: 'no\n' })).code).toBe(exitCodes.usage);
      expect(JSON.parse((await cli(['grants', 'get', grantId])).stdout)).toMatchObject({ status: 'active' });
      const revoked = await cli(['grants', 'revoke', grantId], { tty: true, stdin: `${grantId}\n` });
      expect(revoked.code).toBe(exitCodes.ok);
      expect(revoked.stdout).toMatch(new RegExp(`^${grantId}\\s+oidc-test\\s+revoked\\s+revoked$`, 'm'));
      const again = JSON.parse((await cli(['--yes', '--output', 'json', 'grants', 'revoke', grantId])).stdout) as { status: string; providerRevocation: string };
      expect(again).toMatchObject({ status: 'revoked', providerRevocation: 'already_revoked' });
      expect((await cli(['--output', 'json', 'grants', 'list', '--status', 'revoked'])).stdout).toContain(grantId);
    });

    it('prints the whole connect answer as JSON; refusals exit with their codes', async () => {
      const json = await cli(['--output', 'json', 'connect', 'principal-json', '--return-url', RETURN, '--ttl', '60']);
      expect(json.code).toBe(exitCodes.ok);
      const session = JSON.parse(json.stdout) as { token: string; url: string; expiresAt: string };
      expect(session).toEqual({ token: expect.stringMatching(/^avc_/), url: expect.stringContaining(session.token), expiresAt: expect.any(String) });
      expect(new Date(session.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(60_000);

      const unknown = await cli(['connect', 'p', '--return-url', RETURN, '--provider', 'nope']);
      expect(unknown.code).toBe(exitCodes.notFound);
      expect(unknown.stderr).toContain('provider_not_found');
      const evil = await cli(['connect', 'p', '--return-url', 'https://evil.example/steal']);
      expect(evil.code).toBe(exitCodes.rejected);
      expect(evil.stderr).toContain('return_url_not_allowed');
      expect((await cli(['connect', 'p'])).code).toBe(exitCodes.usage);
      expect((await cli(['connect', '--return-url', RETURN])).code).toBe(exitCodes.usage);
      expect((await cli(['grants', 'get', '00000000-0000-4000-8000-000000000000'])).code).toBe(exitCodes.notFound);
      expect((await cli(['grants', 'list', '--provider', 'a', '--provider', 'b'])).code).toBe(exitCodes.usage);
      expect((await cli(['grants', 'list', '--status', 'sleepy'])).code).toBe(exitCodes.rejected);
      expectNoSecretsInLogs(t.logs, [session.token]);
    });
  });
});
