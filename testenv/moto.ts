// moto's server as the KMS-compatible endpoint (installed into .test-env/venv by
// scripts/test.sh). It keeps its state in memory; tests create their own keys.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_ENV_DIR } from './env';
import { isAlive, procFile, readPid, tail, TestEnvError, waitFor } from './util';

// Below Linux's ephemeral port range (32768-60999): no outgoing connection can hold it.
const PORT = Number(process.env.ALTER_TEST_MOTO_PORT ?? 25500);
const BIN = path.join(TEST_ENV_DIR, 'venv', 'bin', 'moto_server');
const LOG_FILE = path.join(TEST_ENV_DIR, 'moto.log');
/** Holds moto's pid when a test run started it, so the last run to finish stops it. */
const PID_FILE = path.join(TEST_ENV_DIR, 'moto.pid');
export const KMS_ENDPOINT = `http://127.0.0.1:${PORT}`;

async function answers(): Promise<boolean> {
  try {
    const res = await fetch(`${KMS_ENDPOINT}/moto-api/data.json`, { signal: AbortSignal.timeout(2_000) });
    if (res.ok) return true;
    throw new TestEnvError(`127.0.0.1:${PORT} answers ${res.status} but is not moto; set ALTER_TEST_MOTO_PORT to a free port`);
  } catch (err) {
    if (err instanceof TestEnvError) throw err;
    return false;
  }
}

/** Starts moto unless it already answers. */
export async function ensureMoto(): Promise<{ endpoint: string; started: boolean }> {
  if (await answers()) return { endpoint: KMS_ENDPOINT, started: false };
  if (!existsSync(BIN)) throw new TestEnvError(`${BIN} is missing: run scripts/test.sh, which installs moto[server] into .test-env/venv`);
  const log = openSync(LOG_FILE, 'a');
  // Detached: it outlives this process when another jest run still uses it.
  const child = spawn(BIN, ['-H', '127.0.0.1', '-p', String(PORT)], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new TestEnvError(`could not spawn ${BIN}`);
  writeFileSync(PID_FILE, String(child.pid));
  const pid = child.pid;
  try {
    await waitFor('moto', 30_000, async () => {
      if (!isAlive(pid)) throw new TestEnvError(`moto exited at start; last lines of ${LOG_FILE}:\n${tail(LOG_FILE)}`);
      return answers();
    });
  } catch (err) {
    await stopMoto();
    throw err;
  }
  return { endpoint: KMS_ENDPOINT, started: true };
}

export function startedByTests(): boolean {
  return existsSync(PID_FILE);
}

export async function stopMoto(): Promise<void> {
  const pid = readPid(PID_FILE);
  rmSync(PID_FILE, { force: true });
  // The pid file may be stale and its pid reused: signal only a moto_server.
  if (!pid || !isAlive(pid) || !procFile(pid, 'cmdline').includes('moto_server')) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
