// The test Postgres 15: one cluster in .test-env/pg, initialised once and reused, listening
// on 127.0.0.1 only. Postgres refuses to run as root, so as root it runs as the `postgres`
// system user that the Debian package creates.
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TEST_ENV_DIR } from './env';
import { run, tail, TestEnvError } from './util';

const BIN = process.env.ALTER_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
// Below Linux's ephemeral port range (32768-60999): no outgoing connection can hold it.
const PORT = Number(process.env.ALTER_TEST_PG_PORT ?? 25432);
/** Set when a test run started the server, so the last run to finish stops it. */
const STARTED_MARKER = path.join(TEST_ENV_DIR, 'pg.started-by-tests');
// Test-only credentials; the server listens on loopback only.
const PASSWORD = 'alter-test';
export const POSTGRES_URL = `postgres://postgres:${PASSWORD}@127.0.0.1:${PORT}/postgres`;

// Durability settings (fsync, synchronous_commit) stay at their defaults on purpose.
const SETTINGS = {
  listen_addresses: '127.0.0.1',
  port: String(PORT),
  max_connections: '300',
  shared_buffers: '128MB',
  jit: 'off',
  log_min_messages: 'warning',
};

const asRoot = process.getuid?.() === 0;

interface ClusterDirs {
  data: string;
  /** Socket and log: a directory the postgres user owns (.test-env itself is root's). */
  run: string;
  log: string;
}
let dirs: ClusterDirs | undefined;

/**
 * .test-env/pg, unless the postgres user cannot reach it (a checkout under /root, say):
 * then a per-checkout directory under /var/tmp, so the run still works instead of failing.
 */
async function clusterDirs(): Promise<ClusterDirs> {
  if (dirs) return dirs;
  let base = TEST_ENV_DIR;
  if (asRoot && !(await run('runuser', ['-u', 'postgres', '--', 'test', '-x', TEST_ENV_DIR]).then(() => true, () => false))) {
    base = path.join('/var/tmp', `alter-vault-test-${createHash('sha256').update(TEST_ENV_DIR).digest('hex').slice(0, 12)}`);
    mkdirSync(base, { recursive: true, mode: 0o755 });
  }
  const runDir = path.join(base, 'pg-run');
  dirs = { data: path.join(base, 'pg'), run: runDir, log: path.join(runDir, 'postgres.log') };
  return dirs;
}

/** Runs a Postgres binary, as the postgres user when we are root. */
function pgRun(binary: string, args: string[], timeoutMs?: number): Promise<string> {
  const exe = path.join(BIN, binary);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', exe, ...args], { timeoutMs }) : run(exe, args, { timeoutMs });
}

function ownedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (asRoot) chownSync(dir, pgUid().uid, pgUid().gid);
}

let ids: { uid: number; gid: number } | undefined;
function pgUid(): { uid: number; gid: number } {
  if (ids) return ids;
  // Read from /etc/passwd rather than spawning `id`: it is synchronous and always there.
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new TestEnvError('running as root needs a `postgres` system user (apt-get install postgresql-15 creates it)');
  const [, , uid, gid] = line.split(':');
  ids = { uid: Number(uid), gid: Number(gid) };
  return ids;
}

type Probe = 'up' | 'down';

/** 'up' if our server answers, 'down' if nothing listens; anything else is a loud error. */
async function probe(): Promise<Probe> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return 'up';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // 57P03: the server is starting up or shutting down; treat as not yet usable.
    if (code === 'ECONNREFUSED' || code === '57P03') return 'down';
    throw new TestEnvError(`something listens on 127.0.0.1:${PORT} but is not the test Postgres (${(err as Error).message}); set ALTER_TEST_PG_PORT to a free port`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function initCluster({ data }: ClusterDirs): Promise<void> {
  if (!existsSync(path.join(BIN, 'initdb'))) {
    throw new TestEnvError(`PostgreSQL 15 not found in ${BIN}: run scripts/test.sh (it installs postgresql-15) or set ALTER_TEST_PG_BIN`);
  }
  rmSync(data, { recursive: true, force: true }); // a half-made cluster from an interrupted initdb
  ownedDir(data);
  const pwfile = path.join(tmpdir(), `alter-test-pg-${process.pid}`);
  writeFileSync(pwfile, PASSWORD, { mode: 0o644 });
  try {
    await pgRun('initdb', ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions']);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Starts the test Postgres unless it already answers. Returns its admin URL and whether we started it. */
export async function ensurePostgres(): Promise<{ url: string; started: boolean }> {
  if ((await probe()) === 'up') return { url: POSTGRES_URL, started: false };
  const d = await clusterDirs();
  if (!existsSync(path.join(d.data, 'PG_VERSION'))) await initCluster(d);
  ownedDir(d.run);
  const options = Object.entries({ ...SETTINGS, unix_socket_directories: d.run }).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  try {
    await pgRun('pg_ctl', ['-D', d.data, '-l', d.log, '-o', options, '-w', '-t', '60', 'start'], 90_000);
  } catch (err) {
    throw new TestEnvError(`Postgres did not start; last lines of ${d.log}:\n${tail(d.log)}`, { cause: err });
  }
  writeFileSync(STARTED_MARKER, new Date().toISOString());
  if ((await probe()) !== 'up') throw new TestEnvError(`Postgres started but does not answer on ${PORT}; see ${d.log}`);
  return { url: POSTGRES_URL, started: true };
}

export function startedByTests(): boolean {
  return existsSync(STARTED_MARKER);
}

export async function stopPostgres(): Promise<void> {
  try {
    await pgRun('pg_ctl', ['-D', (await clusterDirs()).data, '-m', 'fast', '-w', '-t', '60', 'stop'], 90_000);
  } finally {
    rmSync(STARTED_MARKER, { force: true });
  }
}
