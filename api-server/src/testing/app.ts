// Starts a real api-server for an integration test: a fresh database on the test
// Postgres, a random local key and bootstrap key, and every log line captured so the
// test can prove that no secret reached the logs.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { App, AppDeps, createApp } from '../app';
import { parseConfig } from '../config';
import { ROOT } from '../../../testenv/util';
import { createTestDatabase, TestDatabase } from './database';

export interface TestApp {
  app: App;
  url: string;
  bootstrapKey: string;
  database: TestDatabase;
  logs: string[];
  api: ApiClient;
  stop(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers of every shape
export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export type ApiClient = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiAnswer>;

// Every secret value and API key that passed through a test client in this test file: each
// app's log lines are searched for all of them when it stops.
const sentSecrets = new Set<string>();
const MIN_SEARCHED_LENGTH = 6; // shorter values ('v', 'x') would match log lines by chance

/** The strings worth searching for inside a secret value (basic and aws_sigv4 values are objects). */
function searchable(value: unknown): string[] {
  if (typeof value === 'string') return value.length >= MIN_SEARCHED_LENGTH ? [value] : [];
  return value && typeof value === 'object' ? Object.values(value).flatMap(searchable) : [];
}

function remember(value: unknown): void {
  for (const s of searchable(value)) sentSecrets.add(s);
}

export function apiClient(url: string, key: string | undefined): ApiClient {
  if (key) remember(key);
  return async (method, path, body, headers = {}) => {
    // Secret values (also through the admin API) and client secrets (OAuth providers, identity providers).
    if (/^\/v1\/(admin\/)?secrets/.test(path) && body && typeof body === 'object') remember((body as { value?: unknown }).value);
    if (/^\/v1\/(admin\/)?(identity-)?providers/.test(path) && body && typeof body === 'object') remember((body as { clientSecret?: unknown }).clientSecret);
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (metrics, NDJSON): keep the text
    }
    if (path.startsWith('/v1/keys')) remember((parsed as { key?: unknown } | undefined)?.key);
    if (path.startsWith('/v1/connect/sessions')) remember((parsed as { token?: unknown } | undefined)?.token);
    return { status: res.status, headers: res.headers, body: parsed };
  };
}

/** A free loopback port (the OS picks it; free again by the time it is used, in practice). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function randomApiKey(): string {
  return `avk_${randomBytes(30).toString('base64url')}`;
}

export async function startTestApp(options: { env?: Record<string, string>; deps?: AppDeps; database?: TestDatabase } = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase({ migrate: false }));
  const bootstrapKey = randomApiKey();
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  // Each app's own data directory: its embedded policy decision point keeps its sockets there.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'alter-app-'));
  // A known port, so the public URL (the OAuth redirect URI) names it.
  const port = String(await freePort());
  const config = parseConfig({
    ALTER_PORT: port,
    ALTER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ALTER_REFRESH_INTERVAL_MS: '0',
    ALTER_DATA_DIR: dataDir,
    ALTER_CERBOS_POLICY_DIR: path.join(ROOT, 'policies'),
    ALTER_DATABASE_URL: database.url,
    ALTER_LOCAL_KEY: randomBytes(32).toString('base64'),
    ALTER_BOOTSTRAP_KEY: bootstrapKey,
    ALTER_LOG_LEVEL: 'debug',
    ALTER_SHUTDOWN_TIMEOUT_MS: '2000',
    ...options.env,
  });
  const app = createApp(config, { logDestination, ...options.deps });
  let url: string;
  try {
    ({ url } = await app.start());
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    if (!options.database) await database.drop();
    throw err;
  }
  return {
    app,
    url,
    bootstrapKey,
    database,
    logs,
    api: apiClient(url, bootstrapKey),
    async stop() {
      const held = await heldSecretValues(app);
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (!options.database) await database.drop();
      expectNoSecretsInLogs(logs, [bootstrapKey, ...sentSecrets, ...held]);
    },
  };
}

/** Fails when any captured log line contains one of the given secret strings. */
export function expectNoSecretsInLogs(logs: string[], secrets: string[]): void {
  for (const secret of secrets) {
    const leaked = logs.filter((line) => line.includes(secret));
    expect({ secret: `${secret.slice(0, 4)}…`, leakedLines: leaked.length }).toEqual({ secret: `${secret.slice(0, 4)}…`, leakedLines: 0 });
  }
}

/** Every secret value the app holds right now, decrypted (where its store and key provider answer). */
async function heldSecretValues(app: App): Promise<string[]> {
  const { db, envelope } = app.services;
  const rows = await db.selectFrom('grants').select(['id', 'tenant_id', 'dek_id', 'ciphertext']).where('ciphertext', 'is not', null).execute().catch(() => []);
  const values: string[] = [];
  for (const row of rows) {
    const plaintext = await envelope
      .decrypt(db, { tenantId: row.tenant_id, grantId: row.id, dekId: row.dek_id!, ciphertext: Buffer.from(row.ciphertext!) })
      .catch(() => undefined);
    if (plaintext) values.push(...searchable(JSON.parse(plaintext.toString('utf8'))));
  }
  return values;
}
