// The embedded policy decision point: the Cerbos binary of @cerbos/cerbos-linux-x64 started
// as a child process. It listens on Unix sockets in its own directory (no port to collide,
// nothing reachable from the network; its debug listener is moved off :6666 to a random
// loopback port), reads the policies from a folder, sends no telemetry, and stops with the
// server. A policy that does not compile stops the start with Cerbos's own message. If the
// process dies later it is started again (uses are denied with policy_unavailable meanwhile).
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ServiceStatus } from '@cerbos/core';
import { GRPC } from '@cerbos/grpc';
import type { Logger } from '../logger';

export interface EmbeddedPdp {
  /** gRPC target for @cerbos/grpc: `unix:<dir>/grpc.sock`. */
  address: string;
  /** The running Cerbos process, if any (for operators and tests). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

interface PdpOptions {
  binary: string;
  policyDir: string;
  runDir: string;
  logger: Logger;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const RESTART_DELAYS_MS = [200, 1_000, 5_000, 30_000];

export function cerbosBinary(configured: string | undefined): string {
  if (configured) return configured;
  try {
    return require.resolve('@cerbos/cerbos-linux-x64');
  } catch {
    throw new TypeError(
      'the embedded policy decision point needs the Cerbos binary: install @cerbos/cerbos-linux-x64 (Linux x64), set ALTER_CERBOS_BINARY, or point ALTER_CERBOS_ADDRESS at a running PDP',
    );
  }
}

export async function startEmbeddedPdp(options: PdpOptions): Promise<EmbeddedPdp> {
  mkdirSync(options.runDir, { recursive: true, mode: 0o700 });
  const address = `unix:${path.join(options.runDir, 'grpc.sock')}`;
  let child = await launch(options);
  let stopping = false;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let relaunching: Promise<unknown> | undefined;
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  const scheduleRestart = () => {
    const delay = RESTART_DELAYS_MS[Math.min(restarts++, RESTART_DELAYS_MS.length - 1)]!;
    restartTimer = setTimeout(() => {
      relaunching = launch(options).then(
        (next) => {
          if (stopping) return terminate(next);
          child = next;
          restarts = 0;
          watch(next);
          options.logger.info({ pid: next.pid }, 'the policy decision point is back');
        },
        (err: unknown) => {
          if (stopping) return;
          options.logger.error({ err }, 'the policy decision point did not restart');
          scheduleRestart();
        },
      );
    }, delay);
  };
  const watch = (running: ChildProcess) =>
    running.once('close', (code, signal) => {
      if (stopping) return;
      options.logger.error({ code, signal }, 'the policy decision point exited; uses are denied until it is back');
      scheduleRestart();
    });
  watch(child);
  options.logger.info({ policyDir: options.policyDir, pid: child.pid }, 'embedded policy decision point ready');

  return {
    address,
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      await relaunching;
      process.removeListener('exit', killOnExit);
      await terminate(child);
    },
  };
}

/** Starts one Cerbos process and resolves once it answers its health check. */
async function launch(options: PdpOptions): Promise<ChildProcess> {
  const grpcSocket = path.join(options.runDir, 'grpc.sock');
  const httpSocket = path.join(options.runDir, 'http.sock');
  // Sockets left by a process that died would make the listen fail.
  rmSync(grpcSocket, { force: true });
  rmSync(httpSocket, { force: true });
  const child = spawn(
    options.binary,
    [
      'server',
      `--set=server.grpcListenAddr=unix:${grpcSocket}`,
      `--set=server.httpListenAddr=unix:${httpSocket}`,
      '--set=storage.driver=disk',
      `--set=storage.disk.directory=${path.resolve(options.policyDir)}`,
      '--set=telemetry.disabled=true',
      '--debug-listen-addr=127.0.0.1:0',
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const recent: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (line.includes('"log.level":"error"')) options.logger.error({ pdp: line }, 'policy decision point');
      else options.logger.debug({ pdp: line }, 'policy decision point');
    });
  }
  // Set once the process is gone (its output fully read) or could not be started at all.
  let ended: string | undefined;
  child.once('close', (code, signal) => (ended = `exited (${signal ?? code})`));
  child.once('error', (err) => (ended = `could not be started from ${options.binary}: ${err.message}`));

  const probe = new GRPC(`unix:${grpcSocket}`, { tls: false });
  try {
    await waitHealthy(probe, () => ended);
  } catch (err) {
    child.kill('SIGKILL');
    throw new TypeError(`the policy decision point ${(err as Error).message}${recent.length ? `:\n${recent.join('\n')}` : ''}`, { cause: err });
  } finally {
    probe.close();
  }
  return child;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
}

async function waitHealthy(client: GRPC, ended: () => string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const healthy = await client.checkHealth(undefined, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === ServiceStatus.SERVING,
      () => false,
    );
    if (healthy) return;
    const gone = ended();
    if (gone) throw new TypeError(`${gone} while starting`);
    if (Date.now() > deadline) throw new TypeError(`did not become healthy within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
