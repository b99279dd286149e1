// The built api-server and operator as processes beside a test control plane, as they run in a
// cluster: the vault trusts the cluster's service-account issuer, the operator reconciles
// through the vault's admin API with a kubeconfig. Their logs go to files a failed wait prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlPlaneConfig } from './config';
import type { ControlPlane } from './control-plane';

const ROOT = path.resolve(__dirname, '..', '..');
const TLS_DIR = path.join(ROOT, '.test-env', 'tls');

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM (or SIGKILL), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface VaultProcess extends Proc {
  url: string;
  adminKey: string;
}

/** The last lines of each log, for a failure message. */
export function tails(procs: Proc[], lines = 40): string {
  return procs.map((p) => `--- ${p.name} (${p.logFile}) ---\n${readFileSync(p.logFile, 'utf8').split('\n').slice(-lines).join('\n')}`).join('\n');
}

/** Polls fn until it answers true; at the deadline fails with `what` and the processes' logs. */
export async function waitFor(what: string, fn: () => Promise<boolean>, procs: Proc[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}\n${tails(procs)}`);
    await sleep(200);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function start(name: string, script: string, env: NodeJS.ProcessEnv, dir: string): Proc {
  const logFile = path.join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, script)], { env: { PATH: controlPlaneConfig().inheritedEnv.PATH, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return {
    name,
    child,
    logFile,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

/** The vault in its embedded mode (PGlite, local key, its own Cerbos), trusting the cluster's issuer and asking its TokenReview API. */
export async function startVault(cp: ControlPlane, dir: string): Promise<VaultProcess> {
  mkdirSync(dir, { recursive: true });
  // The cluster's CA (its issuer's JWKS) and the test CA (the local https upstreams).
  const caFile = path.join(dir, 'trusted-cas.pem');
  writeFileSync(caFile, `${cp.caPem.trim()}\n${readFileSync(path.join(TLS_DIR, 'ca.pem'), 'utf8')}`);
  // The vault asks the apiserver's TokenReview API too, as the chart's tokenReview mode sets up.
  const kubeCaFile = path.join(dir, 'kube-ca.pem');
  const kubeTokenFile = path.join(dir, 'kube-token');
  writeFileSync(kubeCaFile, cp.caPem);
  writeFileSync(kubeTokenFile, cp.adminToken, { mode: 0o600 });
  const port = await freePort();
  const adminKey = `avk_${randomBytes(30).toString('base64url')}`;
  const proc = start(
    'api-server',
    'api-server/dist/main.js',
    {
      ALTER_PORT: String(port),
      ALTER_DATA_DIR: path.join(dir, 'vault-data'),
      ALTER_CERBOS_POLICY_DIR: path.join(ROOT, 'policies'),
      ALTER_BOOTSTRAP_KEY: adminKey,
      ALTER_K8S_ISSUERS: cp.issuer,
      ALTER_K8S_TOKENREVIEW: 'default',
      ALTER_K8S_TOKENREVIEW_SERVER: cp.server,
      ALTER_K8S_TOKENREVIEW_TOKEN_FILE: kubeTokenFile,
      ALTER_K8S_TOKENREVIEW_CA_FILE: kubeCaFile,
      ALTER_REFRESH_INTERVAL_MS: '0',
      NODE_EXTRA_CA_CERTS: caFile,
    },
    dir,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the vault answers /readyz', async () => (await fetch(`${url}/readyz`)).ok, [proc], 60_000);
  return { ...proc, url, adminKey };
}

/** One operator replica; several may run, one leads. */
export function startOperator(cp: ControlPlane, vault: VaultProcess, dir: string, identity: string): Proc {
  return start(
    `operator-${identity}`,
    'operator/dist/main.js',
    {
      KUBECONFIG: cp.kubeconfigPath,
      ALTER_VAULT_URL: vault.url,
      ALTER_VAULT_API_KEY: vault.adminKey,
      ALTER_OPERATOR_NAMESPACE: 'default',
      ALTER_OPERATOR_IDENTITY: identity,
      ALTER_OPERATOR_LEASE_SECONDS: '3',
      ALTER_OPERATOR_METRICS_PORT: '0',
    },
    dir,
  );
}
