// The OAuth refresh benchmark. The vault runs in this process (createApp from api-server/src) on
// fresh databases of the test Postgres 15, with the background refresher off
// (ALTER_REFRESH_INTERVAL_MS=0); the provider is bench/fake-provider.ts (its token endpoint
// answers after BENCH_PROVIDER_DELAY_MS) and the API is bench/upstream.ts, each a process of its own.
//  1. Uses of one expired grant: BENCH_USES concurrent POST /v1/proxy, BENCH_ROUNDS times; each
//     round must cause exactly one token request and answer 200 to every use.
//  2. Throughput of refreshDue(): BENCH_GRANTS grants sealed and inserted, all expired, drained
//     by one pass per entry of BENCH_CONCURRENCY (ALTER_REFRESH_CONCURRENCY, or
//     concurrency:ALTER_DB_POOL_SIZE; the pool is 10 by default); every grant must be
//     refreshed once (one token request each), active, fresh, without failures, and audited.
// The figures replace the "OAuth token refresh" section of bench/RESULTS.md.
//   bash bench/run.sh refresh   (after make build; environment: the BENCH_* above)
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { App, createApp } from '../api-server/src/app';
import { parseConfig } from '../api-server/src/config';
import { sealTokens } from '../api-server/src/oauth/tokens';
import { releaseServices } from '../testenv/global-teardown';
import { ensurePostgres } from '../testenv/postgres';
import { checkTls, TlsFiles } from '../testenv/tls';
import { addLease, ROOT, withLock } from '../testenv/util';
import { replaceSection } from './results-file';
import { adminQuery, percentile, startHelper, stopHelpers } from './helpers';

const DELAY_MS = Number(process.env.BENCH_PROVIDER_DELAY_MS ?? 20);
const USES = Number(process.env.BENCH_USES ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const GRANTS = Number(process.env.BENCH_GRANTS ?? 10_000);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '8,32,32:40').split(',').map((entry) => entry.split(':').map(Number) as [number, number?]);
const INSERT_BATCH = 1_000;
const WORK_DIR = path.join(ROOT, '.bench', 'refresh');
const SECTION = '## OAuth token refresh';




interface Vault {
  app: App;
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

/** The vault on a fresh database, the background refresher off; `env` adds ALTER_* settings. */
async function startVault(adminUrl: string, name: string, env: Record<string, string> = {}): Promise<Vault> {
  await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
  await adminQuery(adminUrl, `create database ${name}`);
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${name}`;
  const apiKey = `avk_${randomBytes(30).toString('base64url')}`;
  const config = parseConfig({
    ALTER_PORT: '0',
    ALTER_DATABASE_URL: databaseUrl.toString(),
    ALTER_LOCAL_KEY: randomBytes(32).toString('base64'),
    ALTER_BOOTSTRAP_KEY: apiKey,
    ALTER_DATA_DIR: path.join(WORK_DIR, name),
    ALTER_CERBOS_POLICY_DIR: path.join(ROOT, 'policies'),
    ALTER_REFRESH_INTERVAL_MS: '0',
    ...env,
  });
  // Logs at info to a file, written as the server's default stdout logger writes them.
  const log = pino.destination({ dest: path.join(WORK_DIR, `${name}.log`), sync: false, minLength: 4096, mkdir: true });
  const app = createApp(config, { logDestination: log });
  const { url } = await app.start();
  return {
    app,
    url,
    apiKey,
    async stop() {
      await app.stop();
      log.flushSync();
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function call(vault: Vault, method: string, route: string, body: unknown): Promise<{ status: number; ms: number; text: string }> {
  const started = performance.now();
  const res = await fetch(`${vault.url}${route}`, { method, headers: { authorization: `Bearer ${vault.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, text };
}

/** A custom provider "bench" whose token endpoint is the fake provider. */
async function putProvider(vault: Vault, providerPort: number, upstreamHost: string): Promise<void> {
  const provider = `https://127.0.0.1:${providerPort}`;
  const put = await call(vault, 'PUT', '/v1/providers/bench', {
    authorizationUrl: `${provider}/authorize`,
    tokenUrl: `${provider}/token`,
    clientId: 'bench-client',
    clientSecret: `bench-secret-${randomBytes(12).toString('hex')}`,
    scopes: ['api'],
    allowedHosts: [upstreamHost],
    account: { from: 'token_response', id: 'account' },
  });
  if (put.status !== 200 && put.status !== 201) throw new Error(`PUT /v1/providers/bench answered ${put.status}: ${put.text}`);
}

/**
 * Inserts `count` OAuth grants of provider "bench" as the connect callback stores them, each with
 * its own sealed tokens (the provider's client secret has already made the tenant's DEK).
 */
async function insertGrants(app: App, count: number, expiresAt: Date, upstreamHost: string): Promise<string[]> {
  const { db, envelope } = app.services;
  const { id: tenantId } = await db.selectFrom('tenants').select('id').where('name', '=', 'default').executeTakeFirstOrThrow();
  const ids: string[] = [];
  for (let first = 0; first < count; first += INSERT_BATCH) {
    const rows = await Promise.all(
      Array.from({ length: Math.min(INSERT_BATCH, count - first) }, async (_, i) => {
        const id = randomUUID();
        const tokens = { accessToken: `at_${randomBytes(18).toString('base64url')}`, refreshToken: `rt_${randomBytes(18).toString('base64url')}` };
        const sealed = await sealTokens(envelope, db, tenantId, id, tokens);
        return {
          id,
          tenant_id: tenantId,
          kind: 'oauth' as const,
          provider: 'bench',
          status: 'active' as const,
          principal_id: `principal-${first + i}`,
          account_id: `account-${first + i}`,
          injection: JSON.stringify({ type: 'bearer' }),
          allowed_hosts: JSON.stringify([upstreamHost]),
          scopes: JSON.stringify(['api']),
          access_expires_at: expiresAt,
          dek_id: sealed.dekId,
          ciphertext: sealed.ciphertext,
        };
      }),
    );
    await db.insertInto('grants').values(rows).execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

async function providerCalls(port: number): Promise<number> {
  return ((await (await fetch(`https://127.0.0.1:${port}/calls`)).json()) as { calls: number }).calls;
}


interface UseFigures {
  name: string;
  uses: number;
  providerCalls: number;
  p50: number;
  p99: number;
  max: number;
}

/** Figure 1: concurrent uses of one grant, fresh (the baseline) and just expired, round after round. */
async function usesOfOneGrant(adminUrl: string, providerPort: number, upstreamPort: number): Promise<UseFigures[]> {
  const upstreamHost = `127.0.0.1:${upstreamPort}`;
  const vault = await startVault(adminUrl, 'bench_refresh_uses');
  try {
    await putProvider(vault, providerPort, upstreamHost);
    const [grantId] = await insertGrants(vault.app, 1, new Date(Date.now() + 3_600_000), upstreamHost);
    const body = { grantId, method: 'GET', url: `https://${upstreamHost}/v1/items`, context: { runId: 'bench' } };
    const burst = async (label: string) => {
      const answers = await Promise.all(Array.from({ length: USES }, () => call(vault, 'POST', '/v1/proxy', body)));
      const bad = answers.filter((a) => a.status !== 200);
      if (bad.length) throw new Error(`${label}: ${bad.length} of ${USES} uses answered non-200, e.g. ${bad[0]!.status} ${bad[0]!.text}`);
      return answers.map((a) => a.ms);
    };
    await burst('warm-up');
    await burst('warm-up');
    const fresh: number[] = [];
    const expired: number[] = [];
    let calls = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      fresh.push(...(await burst(`round ${round}, fresh token`)));
      await vault.app.services.db.updateTable('grants').set({ access_expires_at: new Date(Date.now() - 1_000) }).where('id', '=', grantId!).execute();
      const before = await providerCalls(providerPort);
      expired.push(...(await burst(`round ${round}, expired token`)));
      const made = (await providerCalls(providerPort)) - before;
      if (made !== 1) throw new Error(`round ${round}: ${USES} concurrent uses of an expired grant made ${made} token requests, not 1`);
      calls += made;
    }
    const figures = (name: string, ms: number[], providerCalls: number): UseFigures => {
      ms.sort((a, b) => a - b);
      return { name, uses: ms.length, providerCalls, p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1]! };
    };
    return [figures('fresh token (baseline)', fresh, 0), figures('expired token: one refresh per round', expired, calls)];
  } finally {
    await vault.stop();
  }
}

interface DrainFigures {
  concurrency: number;
  poolSize: number;
  insertSeconds: number;
  seconds: number;
  providerCalls: number;
  vaultCpuPerGrant: number;
}

/** Figure 2: GRANTS grants expiring together, drained by one refreshDue() pass. */
async function drain(adminUrl: string, providerPort: number, upstreamPort: number, [concurrency, poolSize]: [number, number?]): Promise<DrainFigures> {
  const upstreamHost = `127.0.0.1:${upstreamPort}`;
  const env = { ALTER_REFRESH_CONCURRENCY: String(concurrency), ...(poolSize ? { ALTER_DB_POOL_SIZE: String(poolSize) } : {}) };
  const vault = await startVault(adminUrl, `bench_refresh_c${concurrency}_p${poolSize ?? 'default'}`, env);
  try {
    const { db, refresher } = vault.app.services;
    await putProvider(vault, providerPort, upstreamHost);
    const inserting = performance.now();
    await insertGrants(vault.app, GRANTS, new Date(Date.now() - 1_000), upstreamHost);
    const insertSeconds = (performance.now() - inserting) / 1000;

    const before = await providerCalls(providerPort);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const counts = await refresher.refreshDue();
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const made = (await providerCalls(providerPort)) - before;

    const now = new Date();
    const row = await db
      .selectFrom('grants')
      .select((eb) => [
        eb.fn.countAll<string>().as('total'),
        eb.fn.countAll<string>().filterWhere((w) => w.and([w('status', '=', 'active'), w('access_expires_at', '>', now), w('refresh_failures', '=', 0), w('refreshed_at', 'is not', null)])).as('fresh'),
      ])
      .executeTakeFirstOrThrow();
    const audited = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'grant.refresh').where('outcome', '=', 'ok').executeTakeFirstOrThrow();
    const problems = [
      counts.refreshed !== GRANTS && `refreshDue() refreshed ${counts.refreshed} and failed ${counts.failed} of ${GRANTS}`,
      made !== GRANTS && `${made} token requests for ${GRANTS} grants`,
      Number(row.fresh) !== GRANTS && `${Number(row.total) - Number(row.fresh)} grants are not active, fresh and without failures afterwards`,
      Number(audited.n) !== GRANTS && `${audited.n} grant.refresh audit events for ${GRANTS} grants`,
    ].filter(Boolean);
    if (problems.length) throw new Error(`concurrency ${concurrency}: ${problems.join('; ')}`);
    return { concurrency, poolSize: vault.app.config.dbPoolSize, insertSeconds, seconds, providerCalls: made, vaultCpuPerGrant: (user + system) / GRANTS };
  } finally {
    await vault.stop();
  }
}

function report(uses: UseFigures[], drains: DrainFigures[], facts: Record<string, string>): string {
  const ms = (n: number) => n.toFixed(1);
  return [
    SECTION,
    '',
    'Written by `bash bench/run.sh refresh` (bench/refresh.ts); rerun that command to reproduce. The',
    'vault runs in the benchmark process (`createApp`, logs at `info` to a file, its own Cerbos PDP),',
    'with the background refresher off so the benchmark drives `refreshDue()` itself. The provider is',
    'a local https token endpoint (bench/fake-provider.ts) that answers each refresh after a fixed',
    `delay of **${DELAY_MS} ms** and rotates refresh tokens (a reused one is refused, so a double`,
    'refresh would show); the upstream API is bench/upstream.ts.',
    '',
    `**Concurrent uses of one expired grant**: ${USES} concurrent \`POST /v1/proxy\` on one OAuth grant,`,
    `${ROUNDS} rounds; in each round the grant was fresh for one burst (the baseline), then expired for`,
    'the next. Every use answered 200, and every expired round made exactly one token request. The',
    'uses are sent from the vault\'s own process (its one core also runs their 200 clients).',
    '',
    '| token | uses | token-endpoint calls | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...uses.map((u) => `| ${u.name} | ${u.uses} | ${u.providerCalls} | ${ms(u.p50)} | ${ms(u.p99)} | ${ms(u.max)} |`),
    '',
    `**Refresher throughput**: ${GRANTS} OAuth grants, each with its own sealed tokens, all expired,`,
    'drained by one `refreshDue()` pass. Every grant was refreshed once (one token request each),',
    'is active with a future expiry and no failures afterwards, and has a `grant.refresh` audit event.',
    'CPU: the vault process\'s user + system time during the pass, per grant.',
    '',
    '| ALTER_REFRESH_CONCURRENCY | DB pool | grants | token-endpoint calls | seconds | grants/s | vault CPU µs per grant |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...drains.map((d) => `| ${d.concurrency} | ${d.poolSize} | ${GRANTS} | ${d.providerCalls} | ${d.seconds.toFixed(2)} | ${(GRANTS / d.seconds).toFixed(0)} | ${d.vaultCpuPerGrant.toFixed(0)} |`),
    '',
    ...Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ].join('\n');
}


async function main(): Promise<void> {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const tls: TlsFiles = checkTls();
  const adminUrl = await withLock(async () => {
    addLease();
    return (await ensurePostgres()).url;
  });
  try {
    const upstreamPort = await startHelper('upstream.ts', [tls.serverCertFile, tls.serverKeyFile]);
    const providerPort = await startHelper('fake-provider.ts', [tls.serverCertFile, tls.serverKeyFile, String(DELAY_MS)]);
    const uses = await usesOfOneGrant(adminUrl, providerPort, upstreamPort);
    const drains: DrainFigures[] = [];
    for (const concurrency of CONCURRENCY) drains.push(await drain(adminUrl, providerPort, upstreamPort, concurrency));

    const [pgVersion] = await adminQuery<{ version: string }>(adminUrl, 'select version() as version');
    const cpus = os.cpus();
    const text = report(uses, drains, {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}`,
      software: `Node ${process.version}; ${pgVersion!.version.split(',')[0]}`,
      'sealing and inserting the grants (not timed above)': drains.map((d) => `${(GRANTS / d.insertSeconds).toFixed(0)} grants/s`).join(', '),
      command: `\`bash bench/run.sh refresh\` (environment: BENCH_PROVIDER_DELAY_MS=${DELAY_MS}, BENCH_USES=${USES}, BENCH_ROUNDS=${ROUNDS}, BENCH_GRANTS=${GRANTS}, BENCH_CONCURRENCY=${CONCURRENCY.map((c) => c.join(':')).join(',')})`,
    });
    replaceSection(SECTION, text);
    process.stdout.write(`${text}\n`);
  } finally {
    stopHelpers();
    await withLock(releaseServices);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
