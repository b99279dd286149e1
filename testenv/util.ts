// Shared machinery of the test services: a cross-process lock, per-run leases, waits and
// commands. Several jest runs may overlap during development; they share one Postgres and
// one moto, and the lock plus the leases decide who starts and who stops them.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_ENV_DIR } from './env';

export const ROOT = path.resolve(__dirname, '..');
const LOCK_FILE = path.join(TEST_ENV_DIR, 'setup.lock');
const LEASES_DIR = path.join(TEST_ENV_DIR, 'runs');

export class TestEnvError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[testenv] ${message}`, options);
    this.name = 'TestEnvError';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped, e.g. under an init that does not reap) is dead.
  return !/^\d+ \(.*\) Z/.test(procFile(pid, 'stat'));
}

/** /proc/<pid>/<name>, or '' where there is no such file (not Linux, process gone). */
export function procFile(pid: number, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return '';
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim().split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Runs fn while holding .test-env/setup.lock; a lock left by a dead process is taken over. */
export async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(TEST_ENV_DIR, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(LOCK_FILE);
      // No pid yet may mean the holder is between open and write: stale only once old.
      const stale = holder ? !isAlive(holder) : Date.now() - mtimeMs(LOCK_FILE) > 10_000;
      if (stale) rmSync(LOCK_FILE, { force: true });
      else if (Date.now() > deadline) throw new TestEnvError(`timed out waiting for ${LOCK_FILE} (held by pid ${holder})`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_FILE, { force: true });
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Marks this jest run as a user of the shared services. */
export function addLease(): void {
  mkdirSync(LEASES_DIR, { recursive: true });
  closeSync(openSync(path.join(LEASES_DIR, String(process.pid)), 'w'));
}

export function removeLease(): void {
  rmSync(path.join(LEASES_DIR, String(process.pid)), { force: true });
}

/** Other jest runs still alive (leases of killed runs are cleaned up on the way). */
export function otherLiveLeases(): number[] {
  let names: string[];
  try {
    names = readdirSync(LEASES_DIR);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (Number.isInteger(pid) && isAlive(pid)) live.push(pid);
    else rmSync(path.join(LEASES_DIR, name), { force: true });
  }
  return live;
}

export async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new TestEnvError(`${what} did not become ready within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Runs a command; a failure names the command and carries its stderr. */
export function run(cmd: string, args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: options.timeoutMs ?? 120_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new TestEnvError(`\`${[cmd, ...args].join(' ')}\` failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A loopback port nothing listens on right now (for a server that cannot listen on port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
