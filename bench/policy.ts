// The policy check's cost on the hot path (issue 4). The vault runs in this process (createApp
// from api-server/src) on a fresh database of the test Postgres 15 per case, with a managed
// secret per endpoint and bench/upstream.ts as the third-party API; autocannon (the CLI, in a
// process of its own, so it does not share the vault's event loop) drives POST /v1/proxy and
// POST /v1/tokens/retrieve with BENCH_CONNECTIONS connections for BENCH_DURATION_S after a 3 s
// warm-up, in five cases:
//   a. no policy check: an authorizer that allows everything (the benchmark's baseline only;
//      the product never runs without the PDP),
//   b. the Cerbos PDP with the decision cache (ALTER_CERBOS_DECISION_CACHE_MS=1000, the default),
//   c. the PDP on every use (cache 0),
//   d. the PDP on every use with two operator rules applying to each use (a time_window on the
//      tenant, plus an http rule on the proxy grant or an ip_allowlist on the token grant),
//   e. d with the decision cache on.
// BENCH_ROUNDS rounds (2) of the five cases, even ones in reverse order, so a drift of the shared
// machine shows instead of passing for a difference between cases.
// The hot path's authorizer is injected (AppDeps.authorizer): the product's CerbosAuthorizer,
// on a PDP this benchmark starts (startEmbeddedPdp, as the server would), wrapped to time each
// authorize() call. Every call must answer 2xx and the audit chain must verify, or the run fails.
// Before measuring, it waits up to BENCH_LOAD_WAIT_S for the 1-minute load to drop below
// BENCH_LOAD_MAX (the machine is shared), and records the load beside the figures. The figures
// replace the "Policy check on the hot path" section of bench/RESULTS.md.
//   bash bench/run.sh policy   (after make build; environment: the BENCH_* above)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { App, createApp } from '../api-server/src/app';
import { parseConfig } from '../api-server/src/config';
import { createLogger } from '../api-server/src/logger';
import { type AuthorizationRequest, type Authorizer, CerbosAuthorizer, type PolicyMetrics } from '../api-server/src/policy/authorizer';
import { cerbosBinary, EmbeddedPdp, startEmbeddedPdp } from '../api-server/src/policy/embedded-pdp';
import { ok, Result } from '../api-server/src/result';
import { releaseServices } from '../testenv/global-teardown';
import { ensurePostgres } from '../testenv/postgres';
import { checkTls } from '../testenv/tls';
import { addLease, ROOT, withLock } from '../testenv/util';
import { replaceSection } from './results-file';
import { adminQuery, percentile, startHelper, stopHelpers } from './helpers';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 3;
/** Rounds of all the cases; even rounds run them in reverse order, so a drift of the shared machine shows. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LOAD_MAX = Number(process.env.BENCH_LOAD_MAX ?? 1.0);
const LOAD_WAIT_S = Number(process.env.BENCH_LOAD_WAIT_S ?? 900);
const CACHE_MS = 1_000;
/** Serial checks of one recorded input against an idle PDP (after 200 unrecorded ones). */
const ISOLATED_CHECKS = 2_000;
const WORK_DIR = path.join(ROOT, '.bench', 'policy');
const AUTOCANNON = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const SECTION = '## Policy check on the hot path';
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

interface Case {
  id: string;
  label: string;
  /** undefined: the allow-all authorizer (no policy check). */
  cacheMs?: number;
  rules: boolean;
}

const CASES: Case[] = [
  { id: 'a', label: 'no policy check (allow-all authorizer, bench only)', rules: false },
  { id: 'b', label: `Cerbos PDP, decision cache ${CACHE_MS} ms`, cacheMs: CACHE_MS, rules: false },
  { id: 'c', label: 'Cerbos PDP on every use (cache 0)', cacheMs: 0, rules: false },
  { id: 'd', label: 'PDP on every use, 2 operator rules', cacheMs: 0, rules: true },
  { id: 'e', label: `2 operator rules, decision cache ${CACHE_MS} ms`, cacheMs: CACHE_MS, rules: true },
];

type Endpoint = 'proxy' | 'retrieve';

interface Row {
  case: Case;
  endpoint: Endpoint;
  round: number;
  rate: number;
  p50: number;
  p99: number;
  meanMs: number;
  checks: number;
  checkP50: number;
  checkP99: number;
  checkMean: number;
  /** Misses (PDP asked) among the checks; hits are the rest. */
  misses: number;
  vaultCpuPerCall: number;
  pdpCpuPerCall: number;
  machineCpuPerCall: number;
  loadStart: number;
  loadEnd: number;
}


function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Waits (polling each minute, up to LOAD_WAIT_S) for the 1-minute load to drop below LOAD_MAX; answers the load seen last. */
async function waitForQuietMachine(): Promise<{ load: number; waitedS: number }> {
  const started = Date.now();
  for (;;) {
    const load = loadAverage();
    const waitedS = Math.round((Date.now() - started) / 1000);
    if (load < LOAD_MAX) return { load, waitedS };
    if (waitedS >= LOAD_WAIT_S) {
      process.stderr.write(`[bench] the 1-minute load is still ${load} after ${waitedS} s; measuring anyway (recorded)\n`);
      return { load, waitedS };
    }
    process.stderr.write(`[bench] 1-minute load ${load} (>= ${LOAD_MAX}); waiting a minute\n`);
    await sleep(60_000);
  }
}

/** Busy CPU time of the machine so far, in µs (from /proc/stat, in USER_HZ = 100 ticks). */
function machineBusyMicros(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * 10_000;
}

/** User + system CPU time of a process so far, in µs (0 when it is gone). */
function processMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}




function summary(samples: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((s, x) => s + x, 0) / sorted.length };
}

/** The hot path's authorizer, timed: each authorize() call's wall time, from the call to its answer. */
class TimedAuthorizer implements Authorizer {
  inner: Authorizer | undefined;
  samples: number[] = [];
  last: AuthorizationRequest | undefined;

  async authorize(request: AuthorizationRequest): Promise<Result<void>> {
    const started = performance.now();
    const decision = await this.inner!.authorize(request);
    this.samples.push(performance.now() - started);
    this.last = request;
    return decision;
  }
}

const allowAll: Authorizer = { authorize: () => Promise.resolve(ok(undefined)) };

/** Counts the CerbosAuthorizer's checks by whether its cache answered. */
function countingMetrics(counts: { hit: number; miss: number }): PolicyMetrics {
  return { checks: { inc: ({ cache }) => void counts[cache]++ } };
}

interface Vault {
  app: App;
  url: string;
  apiKey: string;
  timed: TimedAuthorizer;
  counts: { hit: number; miss: number };
  stop(): Promise<void>;
}

/** The vault on a fresh database, its hot path decided by `authorizer` (timed), its /readyz asking the bench's PDP. */
async function startVault(adminUrl: string, pdp: EmbeddedPdp, c: Case): Promise<Vault> {
  const name = `bench_policy_${c.id}`;
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
    ALTER_CERBOS_ADDRESS: pdp.address,
    ALTER_CERBOS_DECISION_CACHE_MS: String(c.cacheMs ?? 0),
    ALTER_REFRESH_INTERVAL_MS: '0',
  });
  const timed = new TimedAuthorizer();
  const counts = { hit: 0, miss: 0 };
  const cerbos = c.cacheMs === undefined ? undefined : new CerbosAuthorizer(pdp.address, { timeoutMs: config.policy.timeoutMs, cacheMs: config.policy.cacheMs, metrics: countingMetrics(counts) });
  timed.inner = cerbos ?? allowAll;
  // Logs at info to a file, written as the server's default stdout logger writes them.
  const log = pino.destination({ dest: path.join(WORK_DIR, `${name}.log`), sync: false, minLength: 4096, mkdir: true });
  const app = createApp(config, { logDestination: log, authorizer: timed });
  const { url } = await app.start();
  return {
    app,
    url,
    apiKey,
    timed,
    counts,
    async stop() {
      await app.stop();
      cerbos?.close();
      log.flushSync();
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function api(vault: Vault, method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${vault.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${vault.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function created(vault: Vault, route: string, body: unknown): Promise<string> {
  const answer = await api(vault, 'POST', route, body);
  if (answer.status !== 201) throw new Error(`POST ${route} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  return (answer.json.grantId ?? answer.json.id) as string;
}

interface CannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number; mean: number };
}

/** autocannon in a process of its own (the vault's event loop is this process's). */
async function cannon(url: string, apiKey: string, body: object, duration: number): Promise<CannonResult> {
  const args = [AUTOCANNON, '-j', '-n', '-c', String(CONNECTIONS), '-d', String(duration), '-m', 'POST', '-H', `authorization=Bearer ${apiKey}`, '-H', 'content-type=application/json', '-b', JSON.stringify(body), url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as CannonResult);
      } catch {
        reject(new Error(`autocannon printed no JSON result: ${out}${err}`));
      }
    });
  });
}

/** A warm-up, then the measured run; any non-2xx answer or error fails the benchmark. */
async function measure(vault: Vault, pdp: EmbeddedPdp, c: Case, round: number, endpoint: Endpoint, body: object): Promise<Row> {
  const url = `${vault.url}${endpoint === 'proxy' ? '/v1/proxy' : '/v1/tokens/retrieve'}`;
  const once = async (duration: number) => {
    const result = await cannon(url, vault.apiKey, body, duration);
    if (result.non2xx || result.errors || result.timeouts) {
      throw new Error(`case ${c.id}, ${endpoint}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts; see .bench/policy/bench_policy_${c.id}.log`);
    }
    return result;
  };
  await once(WARMUP_S);
  // The rules sent with the last use: two per use in cases d and e, none otherwise.
  const rules = vault.timed.last?.rules?.resource.rules;
  const sent = Array.isArray(rules) ? rules.length : 0;
  if (sent !== (c.rules ? 2 : 0)) throw new Error(`case ${c.id}, ${endpoint}: the uses carried ${sent} operator rules`);

  vault.timed.samples = [];
  const counts = { ...vault.counts };
  const loadStart = loadAverage();
  const machine = machineBusyMicros();
  const vaultCpu = process.cpuUsage();
  const pdpCpu = processMicros(pdp.pid);
  const result = await once(DURATION_S);
  const { user, system } = process.cpuUsage(vaultCpu);
  const calls = result['2xx'];
  const checks = summary(vault.timed.samples);
  return {
    case: c,
    endpoint,
    round,
    rate: calls / DURATION_S,
    p50: result.latency.p50,
    p99: result.latency.p99,
    meanMs: result.latency.mean,
    checks: vault.timed.samples.length,
    checkP50: checks.p50,
    checkP99: checks.p99,
    checkMean: checks.mean,
    misses: vault.counts.miss - counts.miss,
    vaultCpuPerCall: (user + system) / calls,
    pdpCpuPerCall: (processMicros(pdp.pid) - pdpCpu) / calls,
    machineCpuPerCall: (machineBusyMicros() - machine) / calls,
    loadStart,
    loadEnd: loadAverage(),
  };
}

async function runCase(adminUrl: string, pdp: EmbeddedPdp, upstreamPort: number, c: Case, round: number): Promise<{ rows: Row[]; inputs: Partial<Record<Endpoint, AuthorizationRequest>> }> {
  const upstreamHost = `127.0.0.1:${upstreamPort}`;
  const vault = await startVault(adminUrl, pdp, c);
  try {
    const proxyGrant = await created(vault, '/v1/secrets', { name: 'bench-proxy', type: 'bearer', value: `sk-${randomBytes(24).toString('hex')}`, allowedHosts: [upstreamHost] });
    const tokenGrant = await created(vault, '/v1/secrets', { name: 'bench-token', type: 'bearer', value: `sk-${randomBytes(24).toString('hex')}`, allowedHosts: [upstreamHost] });
    if (c.rules) {
      // Two rules on every use: a time_window over the whole week on the tenant, and an http rule
      // on the proxy grant (it also rules out token mode) or an ip_allowlist on the token grant.
      await created(vault, '/v1/policies/rules', { target: { type: 'tenant' }, type: 'time_window', zone: 'Europe/Paris', windows: [{ days: ALL_DAYS, from: '00:00', to: '24:00' }] });
      await created(vault, '/v1/policies/rules', { target: { type: 'grant', id: proxyGrant }, type: 'http', methods: ['GET'], paths: ['/v1/items'] });
      await created(vault, '/v1/policies/rules', { target: { type: 'grant', id: tokenGrant }, type: 'ip_allowlist', cidrs: ['127.0.0.0/8', '::1/128'] });
    }
    const proxy = await measure(vault, pdp, c, round, 'proxy', { grantId: proxyGrant, method: 'GET', url: `https://${upstreamHost}/v1/items`, query: { page: '2' }, context: { runId: 'bench' } });
    const proxyInput = vault.timed.last;
    const retrieve = await measure(vault, pdp, c, round, 'retrieve', { grantId: tokenGrant, context: { runId: 'bench' } });
    const verified = await api(vault, 'GET', '/v1/audit/verify');
    if (verified.json.ok !== true) throw new Error(`case ${c.id}: the audit chain did not verify: ${JSON.stringify(verified.json)}`);
    return { rows: [proxy, retrieve], inputs: { proxy: proxyInput, retrieve: vault.timed.last } };
  } finally {
    await vault.stop();
  }
}

/** One recorded input checked ISOLATED_CHECKS times in a row against the idle PDP (no cache): the check's own round trip. */
async function isolatedChecks(pdp: EmbeddedPdp, input: AuthorizationRequest): Promise<{ p50: number; p99: number }> {
  const authorizer = new CerbosAuthorizer(pdp.address, { timeoutMs: 1_000, cacheMs: 0 });
  try {
    const samples: number[] = [];
    for (let i = 0; i < ISOLATED_CHECKS + 200; i++) {
      const started = performance.now();
      const decision = await authorizer.authorize(input);
      if (i >= 200) samples.push(performance.now() - started);
      if (!decision.ok) throw new Error(`an isolated check was denied: ${decision.error.code}`);
    }
    return summary(samples);
  } finally {
    authorizer.close();
  }
}

function report(rows: Row[], isolated: { name: string; p50: number; p99: number }[], facts: Record<string, string>): string {
  const ms = (n: number) => n.toFixed(2);
  const rate = (n: number) => n.toFixed(0);
  const pct = (n: number) => `${(100 * n).toFixed(1)} %`;
  const base = (r: Row) => rows.find((b) => b.case.id === 'a' && b.endpoint === r.endpoint && b.round === r.round)!;
  const endpointName = (e: Endpoint) => (e === 'proxy' ? 'POST /v1/proxy' : 'POST /v1/tokens/retrieve');
  return [
    SECTION,
    '',
    'Written by `bash bench/run.sh policy` (bench/policy.ts); rerun that command to reproduce. The vault',
    'runs in the benchmark process (`createApp`, logs at `info` to a file) on a fresh database per case;',
    'autocannon runs in a process of its own. The hot path\'s authorizer is injected',
    '(`AppDeps.authorizer`): the product\'s `CerbosAuthorizer` on a Cerbos PDP started as the server',
    'starts its own (embedded, Unix socket), wrapped to time every `authorize()` call; in case (a) an',
    'authorizer that allows everything, a baseline that exists only here. Every call answered 2xx, and',
    '`/v1/audit/verify` confirmed each case\'s chain. In (d) and (e) two operator rules apply to every',
    'use: a `time_window` (whole week, Europe/Paris) on the tenant, plus an `http` rule (GET `/v1/items`)',
    'on the proxy grant or an `ip_allowlist` (loopback) on the token grant (an http rule also rules',
    'out token mode). bench/README.md says which decisions the cache may keep, and why.',
    '',
    '| case | endpoint | round | requests/s | vs (a) | p50 ms | p99 ms | 1-min load (start → end) |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| (${r.case.id}) ${r.case.label} | ${endpointName(r.endpoint)} | ${r.round} | ${rate(r.rate)} | ${(r.rate / base(r).rate).toFixed(2)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.loadStart.toFixed(2)} → ${r.loadEnd.toFixed(2)} |`),
    '',
    '**The PDP\'s share.** A check is one `authorize()` call on the hot path, timed from the call to its',
    'answer under the same load (so it includes waiting for this process\'s event loop, which the 64',
    'connections keep busy); its share is the mean check time over the mean request latency. PDP misses:',
    'checks the cache did not answer. CPU per call: the vault process (user + system, the gRPC client',
    'included), the Cerbos process, and the whole machine (all processes and the kernel, from `/proc/stat`).',
    '',
    '| case | endpoint | round | check p50 ms | check p99 ms | check mean ms | share of mean latency | PDP misses | vault CPU µs/call | Cerbos CPU µs/call | machine CPU µs/call |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| (${r.case.id}) | ${endpointName(r.endpoint)} | ${r.round} | ${ms(r.checkP50)} | ${ms(r.checkP99)} | ${ms(r.checkMean)} | ${pct(r.checkMean / r.meanMs)} | ${r.case.cacheMs === undefined ? '-' : `${r.misses} of ${r.checks} (${pct(r.misses / r.checks)})`} | ${r.vaultCpuPerCall.toFixed(0)} | ${r.pdpCpuPerCall.toFixed(0)} | ${r.machineCpuPerCall.toFixed(0)} |`,
    ),
    '',
    `**One check alone**: a recorded input of the run checked ${ISOLATED_CHECKS} times in a row against the idle PDP,`,
    'no cache (the round trip without queueing: the gRPC client, the Unix socket, Cerbos\'s evaluation).',
    '',
    '| input | p50 ms | p99 ms |',
    '|---|---:|---:|',
    ...isolated.map((i) => `| ${i.name} | ${ms(i.p50)} | ${ms(i.p99)} |`),
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
  const pdpLog = pino.destination({ dest: path.join(WORK_DIR, 'pdp.log'), sync: false, mkdir: true });
  let pdp: EmbeddedPdp | undefined;
  try {
    pdp = await startEmbeddedPdp({ binary: cerbosBinary(process.env.ALTER_CERBOS_BINARY), policyDir: path.join(ROOT, 'policies'), runDir: path.join(WORK_DIR, 'cerbos'), logger: createLogger('info', pdpLog) });
    const upstreamPort = await startHelper('upstream.ts', [tls.serverCertFile, tls.serverKeyFile]);
    const gate = await waitForQuietMachine();
    const started = new Date();
    const rows: Row[] = [];
    const inputs: Record<string, Partial<Record<Endpoint, AuthorizationRequest>>> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of round % 2 ? CASES : [...CASES].reverse()) {
        process.stderr.write(`[bench] round ${round}, case (${c.id}) ${c.label}\n`);
        const done = await runCase(adminUrl, pdp, upstreamPort, c, round);
        rows.push(...done.rows);
        inputs[c.id] ??= done.inputs;
      }
    }
    rows.sort((x, y) => x.case.id.localeCompare(y.case.id) || x.endpoint.localeCompare(y.endpoint) || x.round - y.round);
    const isolated = [];
    for (const [id, endpoint, name] of [
      ['c', 'proxy', 'proxy use, no rules (as in c)'],
      ['c', 'retrieve', 'token use, no rules (as in c)'],
      ['d', 'proxy', 'proxy use, time_window + http (as in d)'],
      ['d', 'retrieve', 'token use, time_window + ip_allowlist (as in d)'],
    ] as const) {
      isolated.push({ name, ...(await isolatedChecks(pdp, inputs[id]![endpoint]!)) });
    }

    const [pgVersion] = await adminQuery<{ version: string }>(adminUrl, 'select version() as version');
    const cpus = os.cpus();
    const text = report(rows, isolated, {
      date: started.toISOString().slice(0, 10),
      machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()} (shared with other engineers' test runs)`,
      software: `Node ${process.version}; ${pgVersion!.version.split(',')[0]}; Cerbos from @cerbos/cerbos-linux-x64`,
      'machine load before measuring': `1-minute load ${gate.load.toFixed(2)} after waiting ${gate.waitedS} s for it to drop below ${LOAD_MAX.toFixed(1)}; the loads in the first table include this benchmark's own processes`,
      load: `${CONNECTIONS} concurrent connections for ${DURATION_S} s per workload after a ${WARMUP_S} s warm-up (autocannon); ${ROUNDS} rounds of the five cases, even rounds in reverse order (e to a)`,
      command: `\`bash bench/run.sh policy\` (environment: BENCH_CONNECTIONS=${CONNECTIONS}, BENCH_DURATION_S=${DURATION_S}, BENCH_ROUNDS=${ROUNDS}, BENCH_LOAD_MAX=${LOAD_MAX}, BENCH_LOAD_WAIT_S=${LOAD_WAIT_S})`,
    });
    replaceSection(SECTION, text);
    process.stdout.write(`${text}\n`);
  } finally {
    stopHelpers();
    await pdp?.stop();
    pdpLog.flushSync();
    await withLock(releaseServices);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
