// A real Kubernetes control plane for e2e tests, started the way controller-runtime's envtest
// does: etcd and kube-apiserver on loopback, plus a kube-controller-manager that runs only the
// controllers our tests rely on (namespace deletion, owner references, service accounts).
// The binaries come from the per-machine cache that scripts/control-plane.sh fills (see
// e2e/README.md); a missing one fails at once with the command that builds it.
//
// Each call starts its own control plane on fresh ports, with its state and logs in `dir`.
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort, tail } from '../../testenv/util';
import { controlPlaneConfig } from './config';

const generateKeyPair = promisify(generateKeyPairCb);

/** Audiences the apiserver accepts besides its own issuer: tokens minted for Alter Vault. */
export const API_AUDIENCES = ['alter-vault'];
/** The controllers e2e tests need; kube-controller-manager runs no others. */
export const CONTROLLERS = ['namespace', 'garbagecollector', 'serviceaccount', 'serviceaccount-token'];
const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl', 'helm'];

export class ControlPlaneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[control-plane] ${message}`, options);
    this.name = 'ControlPlaneError';
  }
}

export interface ControlPlane {
  /** https://127.0.0.1:<port>, served with a certificate of caPem. */
  server: string;
  caPem: string;
  /** A static token of the group system:masters. */
  adminToken: string;
  /** Cluster, CA and admin token, for kubectl, helm and clients. */
  kubeconfigPath: string;
  /** The service-account issuer: the apiserver itself, which serves its discovery document and JWKS to anyone. */
  issuer: string;
  binDir: string;
  /** Runs kubectl against this control plane; resolves to its stdout, rejects with its stderr. */
  kubectl(args: string[], options?: { input?: string }): Promise<string>;
  /** Runs helm against this control plane, with its cache and config inside `dir`. */
  helm(args: string[], options?: { input?: string }): Promise<string>;
  /** Stops every component (whole process groups) and removes keys, tokens and etcd's data; the logs stay in `dir`. */
  stop(): Promise<void>;
}

interface Component {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Set once the process has exited. */
  exit?: string;
}

/** Starts etcd, kube-apiserver and kube-controller-manager; resolves once all three are ready. */
export async function startControlPlane({ dir }: { dir: string }): Promise<ControlPlane> {
  const config = controlPlaneConfig();
  const { binDir } = config;
  const missing = BINARIES.filter((b) => !existsSync(path.join(binDir, b)));
  if (missing.length) {
    throw new ControlPlaneError(`${missing.join(', ')} missing from ${binDir}: build them once per machine with \`${config.buildCommand}\` (at the repository root; the first build takes several minutes)`);
  }
  mkdirSync(dir, { recursive: true });
  const files = {
    pki: path.join(dir, 'pki'),
    etcdData: path.join(dir, 'etcd-data'),
    tokens: path.join(dir, 'pki', 'tokens.csv'),
    kubeconfig: path.join(dir, 'kubeconfig'),
    tools: path.join(dir, 'tools'),
  };
  const components: Component[] = [];
  const killAll = (): void => {
    for (const c of components) if (!c.exit) signalGroup(c.child, 'SIGKILL');
  };
  // A test process that ends without stop() (a crash, a timeout) leaves no server behind.
  process.once('exit', killAll);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    // Controllers first, etcd last: each stops while what it talks to is still up.
    for (const c of [...components].reverse()) await stopComponent(c);
    for (const f of [files.pki, files.etcdData, files.kubeconfig, files.tools]) rmSync(f, { recursive: true, force: true });
  };

  try {
    const pki = await makePki(files.pki);
    const adminToken = randomBytes(32).toString('hex');
    // token,user,uid,"groups": the admin passes every authorizer as a member of system:masters.
    writeFileSync(files.tokens, `${adminToken},e2e-admin,e2e-admin,"system:masters"\n`, { mode: 0o600 });

    const [etcdPort, apiPort, kcmPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = launch(components, dir, binDir, 'etcd', [
      `--data-dir=${files.etcdData}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      // Like envtest: a single member that never talks to peers; port 0 so runs never collide.
      '--listen-peer-urls=http://127.0.0.1:0',
      // Test data need not survive a crash of the machine; fsync would dominate on a busy disk.
      '--unsafe-no-fsync=true',
    ]);
    await waitReady(etcd, 30_000, async () => {
      const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    });

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = launch(components, dir, binDir, 'kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--cert-dir=${files.pki}`,
      `--token-auth-file=${files.tokens}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}`,
      `--service-account-jwks-uri=${server}/openid/v1/jwks`,
      `--service-account-key-file=${pki.saPublicKey}`,
      `--service-account-signing-key-file=${pki.saPrivateKey}`,
      `--api-audiences=${[server, ...API_AUDIENCES].join(',')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // The `kubernetes` Service's endpoints would be 127.0.0.1, which the API rejects; nothing
      // here runs inside a cluster, so nothing needs them.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ]);
    const api = (p: string, init?: RequestOptions) => request(`${server}${p}`, { ca: pki.caPem, token: adminToken, ...init });
    await waitReady(apiserver, 120_000, async () => (await api('/readyz')).status === 200);

    // A verifier fetches the issuer's discovery document and JWKS without credentials, as it
    // does against EKS or GKE; Kubernetes serves them to authenticated users only by default.
    const binding = await api('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      method: 'POST',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'e2e:service-account-issuer-discovery:unauthenticated' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' }],
      },
    });
    if (binding.status !== 201) throw new ControlPlaneError(`could not bind system:service-account-issuer-discovery: ${binding.status} ${binding.body}`);

    writeFileSync(files.kubeconfig, kubeconfig(server, pki.caPem, adminToken), { mode: 0o600 });
    const kcm = launch(components, dir, binDir, 'kube-controller-manager', [
      `--kubeconfig=${files.kubeconfig}`,
      `--authentication-kubeconfig=${files.kubeconfig}`,
      `--authorization-kubeconfig=${files.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      '--leader-elect=false',
      `--controllers=${CONTROLLERS.join(',')}`,
      `--service-account-private-key-file=${pki.saPrivateKey}`,
      `--root-ca-file=${pki.caFile}`,
      '--use-service-account-credentials=false',
      '--profiling=false',
    ]);
    await waitReady(kcm, 60_000, async () => {
      // Its serving certificate is self-signed in memory: nothing to pin, and it is loopback.
      const health = await request(`https://127.0.0.1:${kcmPort}/healthz`, { token: adminToken, insecure: true });
      if (health.status !== 200) return false;
      // The service-account controller has synced once the `default` namespace has its account.
      return (await api('/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
    });

    const tool = (binary: string, env: NodeJS.ProcessEnv) => (args: string[], options?: { input?: string }) =>
      exec(path.join(binDir, binary), args, { env, input: options?.input });
    const kubeEnv = { ...config.inheritedEnv, KUBECONFIG: files.kubeconfig };
    return {
      server,
      caPem: pki.caPem,
      adminToken,
      kubeconfigPath: files.kubeconfig,
      issuer: server,
      binDir,
      kubectl: tool('kubectl', { ...kubeEnv, KUBECACHEDIR: path.join(files.tools, 'kube-cache') }),
      helm: tool('helm', {
        ...kubeEnv,
        HELM_CACHE_HOME: path.join(files.tools, 'helm-cache'),
        HELM_CONFIG_HOME: path.join(files.tools, 'helm-config'),
        HELM_DATA_HOME: path.join(files.tools, 'helm-data'),
      }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface Pki {
  caFile: string;
  caPem: string;
  servingCert: string;
  servingKey: string;
  saPrivateKey: string;
  saPublicKey: string;
}

/** A fresh serving CA with a certificate for 127.0.0.1/localhost (openssl), and the service-account key pair. */
async function makePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await exec('openssl', ['req', '-x509', ...ec, '-days', '7', '-subj', '/CN=alter-vault-e2e-ca', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await exec('openssl', ['req', '-new', ...ec, '-subj', '/CN=kube-apiserver', '-keyout', f('apiserver-key.pem'), '-out', f('apiserver.csr')]);
  writeFileSync(f('apiserver.ext'), ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', ''].join('\n'));
  await exec('openssl', ['x509', '-req', '-in', f('apiserver.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-days', '7',
    '-extfile', f('apiserver.ext'), '-out', f('apiserver.pem')]);
  // RS256, as the service-account issuers of EKS, GKE and kubeadm clusters sign.
  const sa = await generateKeyPair('rsa', { modulusLength: 2048 });
  writeFileSync(f('sa-key.pem'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(f('sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    caFile: f('ca.pem'),
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    servingCert: f('apiserver.pem'),
    servingKey: f('apiserver-key.pem'),
    saPrivateKey: f('sa-key.pem'),
    saPublicKey: f('sa.pub'),
  };
}

function kubeconfig(server: string, caPem: string, token: string): string {
  // JSON is YAML: kubectl, helm and client libraries all read it.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'e2e-admin', user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'e2e-admin' } }],
    'current-context': 'e2e',
  }, null, 2);
}

/** Spawns a component in its own process group, its output appended to <dir>/<name>.log. */
function launch(components: Component[], dir: string, binDir: string, name: string, args: string[]): Component {
  const logFile = path.join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(path.join(binDir, name), args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const component: Component = { name, child, logFile };
  child.once('exit', (code, signal) => { component.exit = signal ? `signal ${signal}` : `exit code ${code}`; });
  child.once('error', (err) => { component.exit = err.message; });
  components.push(component);
  return component;
}

/** Polls probe until it returns true; fails early if the process exits, or at the deadline, with the end of its log. */
async function waitReady(c: Component, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (c.exit) throw new ControlPlaneError(`${c.name} stopped at start (${c.exit}); last lines of ${c.logFile}:\n${tail(c.logFile, 30)}`);
    let lastError = 'not ready';
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() - started > timeoutMs) {
      throw new ControlPlaneError(`${c.name} was not ready within ${timeoutMs} ms (${lastError}); last lines of ${c.logFile}:\n${tail(c.logFile, 30)}`);
    }
    await sleep(250);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal); // detached: the pid is its group's id
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function stopComponent(c: Component): Promise<void> {
  if (c.exit || !c.child.pid) return;
  const exited = new Promise<void>((resolve) => {
    if (c.exit) resolve();
    else c.child.once('exit', () => resolve());
  });
  signalGroup(c.child, 'SIGTERM');
  // An unref'd timer: once the process has exited, nothing keeps the test process waiting.
  const inTime = await Promise.race([exited.then(() => true), sleep(10_000, false, { ref: false })]);
  if (!inTime) {
    signalGroup(c.child, 'SIGKILL');
    await exited;
  }
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  ca?: string;
  token?: string;
  /** The Accept header; application/json unless set. */
  accept?: string;
  /** Skip the certificate check (a loopback server with a throwaway self-signed certificate). */
  insecure?: boolean;
}

/** One HTTPS request, trusting `ca` only; no keep-alive, so nothing outlives the control plane. */
export function request(url: string, options: RequestOptions = {}): Promise<{ status: number; body: string }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: options.method ?? 'GET',
      agent: false,
      ca: options.ca,
      rejectUnauthorized: !options.insecure,
      timeout: 5_000,
      headers: {
        accept: options.accept ?? 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs a command to completion; resolves to its stdout, rejects naming the command with its stderr. */
function exec(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 120_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new ControlPlaneError(`could not run ${cmd}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) return resolve(stdout);
      const stderr = Buffer.concat(err).toString('utf8').trim();
      reject(new ControlPlaneError(`\`${path.basename(cmd)} ${args.join(' ')}\` failed (${signal ?? `exit code ${code}`}): ${stderr || stdout.trim()}`));
    });
    child.stdin.end(options.input);
  });
}
