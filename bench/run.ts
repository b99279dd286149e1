// The hot-path benchmark: the real server (api-server/dist) on the test Postgres 15 drives
// POST /v1/proxy (to a local https upstream) and POST /v1/tokens/retrieve with autocannon,
// then pgbench runs the same SQL work per call (one indexed read + one durable audit
// insert) on the same Postgres. Every vault call must answer 2xx and leave exactly one
// audit row, and the chain must verify, or the run fails. Results go to bench/RESULTS.md.
//   make bench        (environment: BENCH_CONNECTIONS=64, BENCH_DURATION_S=20, BENCH_PROFILE_DIR)
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { releaseServices } from '../testenv/global-teardown';
import { ensurePostgres } from '../testenv/postgres';
import { checkTls } from '../testenv/tls';
import { addLease, freePort, ROOT, withLock } from '../testenv/util';
import { RESULTS_FILE } from './results-file';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const WARMUP_S = 3;
const PG_BIN = process.env.ALTER_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const WORK_DIR = path.join(ROOT, '.bench');
const REGISTER = path.join(ROOT, 'bench', 'ts-register.js');

interface Figures {
  name: string;
  rate: number;
  p50: number;
  p99: number;
  calls: number;
  /** Busy CPU time of the whole machine (all processes, kernel included) per call, in µs. */
  cpuPerCall: number;
}

/** Busy CPU time of the machine so far, in µs (from /proc/stat, in USER_HZ = 100 ticks). */
function machineBusyMicros(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * 10_000;
}

const children: ChildProcess[] = [];

function start(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const log = createWriteStream(path.join(WORK_DIR, `${name}.log`));
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.once('exit', (code, signal) => {
    if (children.includes(child)) process.stderr.write(`[bench] ${name} exited early (${signal ?? code}); see .bench/${name}.log\n`);
  });
  children.push(child);
  return child;
}

async function stop(stopping: ChildProcess[] = [...children]): Promise<void> {
  for (const child of stopping) children.splice(children.indexOf(child), 1);
  await Promise.all(
    stopping.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    })),
  );
}

async function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) resolve(text.split('\n')[0]!.trim());
    });
    child.once('exit', () => reject(new Error('the process exited before it printed its port')));
  });
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the vault at ${url} did not become ready; see its log in .bench/`);
    await sleep(200);
  }
}

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function cannon(urls: string[], apiKey: string, body: object, duration: number): Promise<autocannon.Result> {
  return autocannon({
    // Several URLs (one per replica): autocannon spreads the connections over them.
    url: urls as unknown as string,
    method: 'POST',
    connections: CONNECTIONS,
    duration,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A warm-up, then the measured run; any non-2xx answer or error fails the benchmark. */
async function driveVault(name: string, urls: string[], apiKey: string, body: object, adminUrl: string): Promise<{ figures: Figures; calls: number }> {
  let calls = 0;
  const once = async (duration: number) => {
    const result = await cannon(urls, apiKey, body, duration);
    if (result.non2xx || result.errors || result.timeouts) {
      throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts; see the vault logs in .bench/`);
    }
    calls += result['2xx'];
    return result;
  };
  await once(WARMUP_S);
  await sql(adminUrl, 'checkpoint');
  const busy = machineBusyMicros();
  const result = await once(DURATION_S);
  const cpuPerCall = (machineBusyMicros() - busy) / result['2xx'];
  return { figures: { name, rate: result['2xx'] / DURATION_S, p50: result.latency.p50, p99: result.latency.p99, calls: result['2xx'], cpuPerCall }, calls };
}

async function createSecret(vault: string, apiKey: string, upstreamPort: number): Promise<string> {
  const created = await fetch(`${vault}/v1/secrets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', type: 'bearer', value: `sk-${randomBytes(24).toString('hex')}`, allowedHosts: [`127.0.0.1:${upstreamPort}`] }),
  });
  if (created.status !== 201) throw new Error(`creating the secret answered ${created.status}: ${await created.text()}`);
  return ((await created.json()) as { grantId: string }).grantId;
}

/** Mean rows per audit transaction over the replicas' lifetimes, from their /metrics. */
async function meanAuditBatch(urls: string[]): Promise<string> {
  let sum = 0;
  let count = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    sum += Number(/^alter_audit_batch_size_sum (\S+)$/m.exec(text)?.[1] ?? NaN);
    count += Number(/^alter_audit_batch_size_count (\S+)$/m.exec(text)?.[1] ?? NaN);
  }
  return (sum / count).toFixed(1);
}

async function runPgbench(url: string): Promise<Figures> {
  const u = new URL(url);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  const base = ['-n', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-f', path.join(ROOT, 'bench', 'pgbench-call.sql'), '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), u.pathname.slice(1)];
  const pgbench = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(path.join(PG_BIN, 'pgbench'), args, { env, cwd: WORK_DIR });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pgbench failed (${code}):\n${out}`))));
    });
  await pgbench(['-T', String(WARMUP_S), ...base]);
  await sql(url, 'checkpoint');
  const busy = machineBusyMicros();
  const out = await pgbench(['-T', String(DURATION_S), '-l', '--log-prefix=pgbench', ...base]);
  const busyMicros = machineBusyMicros() - busy;
  const failed = /number of failed transactions: (\d+)/.exec(out);
  if (failed && Number(failed[1]) > 0) throw new Error(`pgbench: ${failed[1]} failed transactions:\n${out}`);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  if (!tps) throw new Error(`pgbench printed no tps:\n${out}`);
  // Per-transaction log lines: client, transaction, latency (µs), script, epoch s, epoch µs.
  const latencies: number[] = [];
  for (const file of readdirSync(WORK_DIR).filter((f) => f.startsWith('pgbench.'))) {
    for (const line of readFileSync(path.join(WORK_DIR, file), 'utf8').split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (line && Number.isFinite(micros)) latencies.push(micros / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  return { name: 'pgbench: indexed read + audit insert', rate: Number(tps[1]), p50: percentile(latencies, 50), p99: percentile(latencies, 99), calls: latencies.length, cpuPerCall: busyMicros / latencies.length };
}

function report(rows: Figures[], facts: Record<string, string>): string {
  const base = rows[0]!;
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  return [
    '# Benchmark results',
    '',
    'Written by `make bench` (bench/run.ts); rerun that command to reproduce. The vault is the',
    'built server (`node api-server/dist/main.js serve`, logs at `info` to a file, its own Cerbos',
    'PDP checking every use), as one process with and without the policy decision cache, then as',
    'one replica per core sharing the database and the audit chain, on the same',
    'Postgres as pgbench, with Postgres durability at its defaults (fsync and synchronous_commit',
    'on). Every vault call was checked: each answered 2xx, each left exactly one audit row, and',
    '`/v1/audit/verify` confirmed the hash chain afterwards. The upstream is a local https server',
    '(bench/upstream.ts); the token is retrieved over plain http on loopback.',
    '',
    '| workload | requests/s | p50 ms | p99 ms | ratio to pgbench | machine CPU µs per call |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${fmt(r.rate)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${(r.rate / base.rate).toFixed(2)} | ${r.cpuPerCall.toFixed(0)} |`),
    '',
    ...Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const tls = checkTls();
  const adminUrl = await withLock(async () => {
    addLease();
    return (await ensurePostgres()).url;
  });
  try {
    const vaultDb = await freshDatabase(adminUrl, 'bench_vault');
    const pgbenchDb = await freshDatabase(adminUrl, 'bench_pgbench');
    await sql(pgbenchDb, readFileSync(path.join(ROOT, 'bench', 'pgbench-schema.sql'), 'utf8'));

    const upstream = start('upstream', ['-r', REGISTER, path.join(ROOT, 'bench', 'upstream.ts'), tls.serverCertFile, tls.serverKeyFile]);
    const upstreamPort = Number(await firstLine(upstream));
    const apiKey = `avk_${randomBytes(30).toString('base64url')}`;
    const vaultEnv = { ...process.env, ALTER_DATABASE_URL: vaultDb, ALTER_LOCAL_KEY: randomBytes(32).toString('base64'), ALTER_BOOTSTRAP_KEY: apiKey, ALTER_DB_POOL_SIZE: '10' };
    // BENCH_PROFILE_DIR=<dir>: each vault process writes a V8 CPU profile there when it stops.
    const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE_DIR)}`] : [];
    const rows = [await runPgbench(pgbenchDb)];
    let grantId: string | undefined;
    let answered = 0;
    let verified = { ok: false, checked: 0 };
    let auditRows = 0;
    const batches: Record<string, string> = {};
    // One process (with and without the policy decision cache), then one replica per core: a
    // replica is one Node process, and replicas share the database and every tenant's audit
    // chain, as a Deployment's pods do. Each process starts its own Cerbos PDP (embedded mode).
    const setups = [
      { replicas: 1, label: '1 process', env: {} },
      // The policy decision point's share: every use asks it (one key and one grant otherwise hit the cache).
      { replicas: 1, label: '1 process, no decision cache', env: { ALTER_CERBOS_DECISION_CACHE_MS: '0' } },
      ...(os.cpus().length > 1 ? [{ replicas: os.cpus().length, label: `${os.cpus().length} replicas`, env: {} }] : []),
    ];
    for (const [n, { replicas, label, env }] of setups.entries()) {
      const processes: ChildProcess[] = [];
      const urls: string[] = [];
      for (let i = 1; i <= replicas; i++) {
        const port = await freePort();
        const name = `vault-${n + 1}-${i}`;
        processes.push(start(name, [...profile, path.join(ROOT, 'api-server', 'dist', 'main.js'), 'serve'], { ...vaultEnv, ...env, ALTER_PORT: String(port), ALTER_DATA_DIR: path.join(WORK_DIR, name) }));
        urls.push(`http://127.0.0.1:${port}`);
        await waitReady(urls[i - 1]!);
      }
      grantId ??= await createSecret(urls[0]!, apiKey, upstreamPort);
      const proxy = await driveVault(`vault (${label}): POST /v1/proxy`, urls.map((u) => `${u}/v1/proxy`), apiKey, { grantId, method: 'GET', url: `https://127.0.0.1:${upstreamPort}/v1/items`, query: { page: '2' }, context: { runId: 'bench' } }, adminUrl);
      const retrieve = await driveVault(`vault (${label}): POST /v1/tokens/retrieve`, urls.map((u) => `${u}/v1/tokens/retrieve`), apiKey, { grantId, context: { runId: 'bench' } }, adminUrl);
      rows.push(proxy.figures, retrieve.figures);
      answered += proxy.calls + retrieve.calls;

      // Nothing lost: a row for every answered call. autocannon stops each run with up to one
      // call per connection in flight; the vault answers and audits those too, uncounted.
      const [row] = await sql<{ n: string }>(vaultDb, `select count(*) as n from audit_events where action in ('proxy', 'retrieve_token')`);
      auditRows = Number(row!.n);
      const cutOff = 2 * CONNECTIONS * (rows.length - 1); // two runs (warm-up, measured) per workload
      if (auditRows < answered || auditRows > answered + cutOff) throw new Error(`expected ${answered} to ${answered + cutOff} audit rows for the calls made, found ${auditRows}`);
      verified = (await (await fetch(`${urls[0]}/v1/audit/verify`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { ok: boolean; checked: number };
      if (!verified.ok) throw new Error(`the audit chain did not verify: ${JSON.stringify(verified)}`);
      batches[label] = await meanAuditBatch(urls);
      await stop(processes);
    }

    const [settings] = await sql<{ version: string; fsync: string; sync: string }>(adminUrl, `select version() as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sync`);
    const cpus = os.cpus();
    const text = report(rows, {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}`,
      software: `Node ${process.version}; ${settings!.version.split(',')[0]}; fsync=${settings!.fsync}, synchronous_commit=${settings!.sync}`,
      load: `${CONNECTIONS} concurrent connections for ${DURATION_S} s per workload after a ${WARMUP_S} s warm-up (autocannon for the vault, \`pgbench -M prepared -j 2\` with bench/pgbench-call.sql)`,
      'audit rows checked': `${answered} answered calls, ${auditRows} audit rows (the rest: calls cut off at the end of a run), chain verified over ${verified.checked} rows`,
      'audit rows per group commit (mean)': Object.entries(batches).map(([k, v]) => `${v} (${k})`).join(', '),
      command: `\`make bench\` (environment: BENCH_CONNECTIONS=${CONNECTIONS}, BENCH_DURATION_S=${DURATION_S})`,
    });
    // The other benchmarks own the sections from "## OAuth token refresh" on: they stay.
    const previous = readFileSync(RESULTS_FILE, 'utf8');
    const kept = previous.indexOf('\n## OAuth token refresh');
    writeFileSync(RESULTS_FILE, kept >= 0 ? `${text.trimEnd()}\n${previous.slice(kept)}` : text);
    process.stdout.write(`${text}\n`);
  } finally {
    await stop();
    await withLock(releaseServices);
  }
}

main().catch(async (err: unknown) => {
  process.stderr.write(`[bench] ${err instanceof Error ? err.message : String(err)}\n`);
  await stop();
  process.exitCode = 1;
});
