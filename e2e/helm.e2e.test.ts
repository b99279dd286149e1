// The Helm chart (charts/alter-vault, issue 6) against the real control plane of the harness:
// helm lint --strict; the rendered manifests of the default values and of each documented option
// (security contexts, probes, environment, least-privilege RBAC, the keep annotation); the
// schema refusing unknown and wrong values; every rendered object through server-side dry-run;
// then helm install, upgrade and uninstall with the default and the production values, after
// which the CRDs, and a user's resource, are still there.
//
// The ServiceMonitor CRD of the Prometheus Operator is not part of Kubernetes: the test installs
// a minimal copy of it (the fields the chart uses, typed as upstream, unknown fields refused),
// so that the ServiceMonitors are validated and installed like every other object.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMap, isScalar, parse, parseAllDocuments, parseDocument, type YAMLMap } from 'yaml';
import { parseConfig as parseApiServerConfig } from '../api-server/src/config';
import { parseConfig as parseOperatorConfig } from '../operator/src/config';
import { TEST_ENV_DIR } from '../testenv/env';
import { freePort, tail } from '../testenv/util';
import { REPO_ROOT } from './harness/config';
import { type ControlPlane, startControlPlane } from './harness/control-plane';

const CHART = path.join(REPO_ROOT, 'charts', 'alter-vault');
const PRODUCTION_VALUES = path.join(CHART, 'values-production.yaml');
const RELEASE = 'alter-vault';
const NAMESPACE = 'alter-vault';
const PLURALS = ['agents', 'managedsecrets', 'providers'];

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  [field: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  secret?: { secretName: string; defaultMode?: number };
  configMap?: { name: string; optional?: boolean };
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  securityContext?: Record<string, unknown>;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}
interface Deployment extends K8sObject {
  spec: { replicas?: number; template: { metadata: Meta; spec: PodSpec } };
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Role extends K8sObject {
  rules: Rule[];
}
interface Binding extends K8sObject {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}
interface ServiceAccount extends K8sObject {
  automountServiceAccountToken?: boolean;
}
interface Crd extends K8sObject {
  spec: { names: { plural: string } };
}

let cp: ControlPlane;

beforeAll(async () => {
  const logs = path.join(TEST_ENV_DIR, 'e2e');
  mkdirSync(logs, { recursive: true });
  cp = await startControlPlane({ dir: mkdtempSync(path.join(logs, 'helm-')) });
});

afterAll(async () => {
  await cp?.stop();
});

/** `helm template` of the chart, parsed; `args` are more helm flags (`--set`, `-f`). */
async function render(args: string[] = []): Promise<K8sObject[]> {
  return parseManifests(await renderText(args));
}

function renderText(args: string[] = []): Promise<string> {
  return cp.helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args]);
}

function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function all<T extends K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

function one<T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found as T;
}

const names = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const apiServer = (objects: K8sObject[]) => one<Deployment>(objects, 'Deployment', 'alter-vault-api-server');
const operator = (objects: K8sObject[]) => one<Deployment>(objects, 'Deployment', 'alter-vault-operator');
const container = (d: Deployment, name: string): Container => {
  const pod = d.spec.template.spec;
  const found = [...(pod.initContainers ?? []), ...pod.containers].find((c) => c.name === name);
  if (!found) throw new Error(`${d.metadata.name} has no container ${name}`);
  return found;
};
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

/** Every file below dir (relative paths, sorted), with what `keep` says to keep. */
function filesBelow(dir: string, keep: (rel: string) => boolean = () => true): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter(keep)
    .sort();
}

/** The policies Cerbos loads: policies/ without its tests. */
const isPolicy = (rel: string) => rel.endsWith('.yaml') && !rel.split(path.sep).some((part) => part === 'tests' || part === 'testdata') && !rel.endsWith('_test.yaml');

/** Fills the environment of a rendered container as the kubelet would: Secrets and the downward API from `given`. */
function resolveEnv(c: Container, given: { secrets: Record<string, string>; fields: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    const field = e.valueFrom?.fieldRef;
    const value = e.value ?? (ref ? given.secrets[`${ref.name}/${ref.key}`] : field ? given.fields[field.fieldPath] : undefined);
    if (value === undefined) throw new Error(`${c.name}: ${e.name} refers to something the test does not provide: ${JSON.stringify(e.valueFrom)}`);
    out[e.name] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** How the chart's copies in `copies` differ from `source` (each with the command that brings it up to date); [] when they are equal. */
function staleCopies(source: string, copies: string, keep: (rel: string) => boolean): string[] {
  const rel = (p: string) => path.relative(REPO_ROOT, p);
  const wanted = filesBelow(source, keep);
  const present = filesBelow(copies);
  const problems: string[] = [];
  for (const f of wanted) {
    const [from, to] = [path.join(source, f), path.join(copies, f)];
    if (!present.includes(f)) problems.push(`missing: mkdir -p ${rel(path.dirname(to))} && cp ${rel(from)} ${rel(to)}`);
    else if (!readFileSync(from).equals(readFileSync(to))) problems.push(`differs: cp ${rel(from)} ${rel(to)}`);
  }
  for (const f of present) if (!wanted.includes(f)) problems.push(`not in ${rel(source)}: rm ${rel(path.join(copies, f))}`);
  return problems;
}

describe('the chart carries exact copies of what it installs', () => {
  test('files/crds/ is crds/*.yaml byte for byte (crds/ is the source of truth, STYLE 17)', () => {
    const source = path.join(REPO_ROOT, 'crds');
    expect(filesBelow(source, (f) => !f.includes(path.sep) && f.endsWith('.yaml')).length).toBeGreaterThan(0);
    expect(staleCopies(source, path.join(CHART, 'files', 'crds'), (f) => !f.includes(path.sep) && f.endsWith('.yaml'))).toEqual([]);
  });

  test('files/policies/ is policies/ without its tests, byte for byte', () => {
    const source = path.join(REPO_ROOT, 'policies');
    expect(filesBelow(source, isPolicy).length).toBeGreaterThan(0);
    expect(staleCopies(source, path.join(CHART, 'files', 'policies'), isPolicy)).toEqual([]);
  });
});

describe('values.yaml and values.schema.json', () => {
  // Kubernetes objects passed through as they are: typed by Kubernetes, not documented key by key.
  const PASSTHROUGH = new Set(['podSecurityContext', 'containerSecurityContext', 'commonLabels', 'resources', 'annotations', 'labels', 'podAnnotations', 'podLabels', 'nodeSelector', 'affinity']);
  interface Schema {
    $ref?: string;
    type?: string;
    properties?: Record<string, Schema>;
    additionalProperties?: boolean | Schema;
  }

  test('every key is documented (`# --`) and typed, and the schema declares no key values.yaml lacks', () => {
    const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as Schema & { definitions: Record<string, Schema> };
    const resolve = (s: Schema): Schema => (s.$ref ? schema.definitions[s.$ref.replace('#/definitions/', '')]! : s);
    const doc = parseDocument(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
    const problems: string[] = [];
    const visit = (map: YAMLMap, s: Schema, at: string, firstComment: string | undefined) => {
      if (s.additionalProperties !== false) problems.push(`${at || '(top level)'}: the schema accepts unknown keys`);
      const keys = map.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
      for (const k of Object.keys(s.properties ?? {})) if (!keys.includes(k)) problems.push(`${at}${k}: in the schema, not in values.yaml`);
      map.items.forEach((pair, i) => {
        const key = keys[i]!;
        const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (i === 0 ? firstComment : undefined);
        if (!comment || !/(^|\n) ?-- \S/.test(comment)) problems.push(`${at}${key}: no "# --" comment`);
        const declared = s.properties?.[key];
        if (!declared) return void problems.push(`${at}${key}: not in the schema`);
        if (isMap(pair.value) && !PASSTHROUGH.has(key)) visit(pair.value, resolve(declared), `${at}${key}.`, pair.value.commentBefore ?? undefined);
      });
    };
    if (!isMap(doc.contents)) throw new Error('values.yaml is not a map');
    visit(doc.contents, schema, '', doc.commentBefore ?? undefined);
    expect(problems).toEqual([]);
  });

  test.each([
    ['an unknown top-level key', ['--set', 'replicas=3'], "additional properties 'replicas' not allowed"],
    ['an unknown nested key (a typo)', ['--set', 'apiServer.replica=3'], "at '/apiServer': additional properties 'replica' not allowed"],
    ['a string where a number belongs', ['--set-string', 'apiServer.replicas=two'], "at '/apiServer/replicas': got string, want integer"],
    ['a number where a boolean belongs', ['--set', 'crds.install=1'], "at '/crds/install': got number, want boolean"],
    ['a key provider that does not exist', ['--set', 'keyProvider.type=vault'], "at '/keyProvider/type'"],
    ['aws-kms without a key ARN and region', ['--set', 'keyProvider.type=aws-kms'], "at '/keyProvider/awsKms/keyArn': minLength: got 0, want 1"],
    ['a KMS key id that is not an ARN', ['--set', 'keyProvider.type=aws-kms,keyProvider.awsKms.region=eu-west-1,keyProvider.awsKms.keyArn=my-key'], "at '/keyProvider/awsKms/keyArn'"],
    ['an issuer that is not https', ['--set', 'apiServer.kubernetes.issuer=http://issuer.example'], "at '/apiServer/kubernetes/issuer'"],
    ['an extra issuer without its cluster name', ['--set', 'apiServer.kubernetes.extraIssuers[0]=https://issuer.example'], "at '/apiServer/kubernetes/extraIssuers/0'"],
    ['a return origin with a path', ['--set', 'apiServer.allowedReturnOrigins[0]=https://app.example.com/done'], "at '/apiServer/allowedReturnOrigins/0'"],
    ['an environment variable without a name', ['--set', 'apiServer.extraEnv[0].value=x'], "at '/apiServer/extraEnv/0': missing property 'name'"],
    ['a log level the server does not know', ['--set', 'apiServer.logLevel=verbose'], "at '/apiServer/logLevel'"],
    ['an unpinned digest', ['--set', 'cerbos.image.digest=latest'], "at '/cerbos/image/digest'"],
  ])('helm template refuses %s', async (_case, args, message) => {
    await expect(renderText(args)).rejects.toThrow(message);
  });

  test('a minimum above the maximum of the autoscaler fails with a message', async () => {
    await expect(renderText(['--set', 'apiServer.autoscaling.enabled=true,apiServer.autoscaling.minReplicas=5,apiServer.autoscaling.maxReplicas=3']))
      .rejects.toThrow('apiServer.autoscaling: minReplicas (5) is more than maxReplicas (3)');
  });
});

describe('helm lint --strict', () => {
  test('passes with the default values', async () => {
    expect(await cp.helm(['lint', '--strict', CHART])).toContain('0 chart(s) failed');
  });

  test('passes with values-production.yaml', async () => {
    expect(await cp.helm(['lint', '--strict', CHART, '-f', PRODUCTION_VALUES])).toContain('0 chart(s) failed');
  });
});

describe('the default values render', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render();
  });

  test('exactly these objects', () => {
    expect(names(objects)).toEqual([
      'ClusterRole/alter-vault-edit',
      'ClusterRole/alter-vault-operator',
      'ClusterRole/alter-vault-view',
      'ClusterRoleBinding/alter-vault-operator',
      'ConfigMap/alter-vault-cerbos-config',
      'ConfigMap/alter-vault-cerbos-policies',
      'CustomResourceDefinition/agents.vault.alterauth.com',
      'CustomResourceDefinition/managedsecrets.vault.alterauth.com',
      'CustomResourceDefinition/providers.vault.alterauth.com',
      'Deployment/alter-vault-api-server',
      'Deployment/alter-vault-operator',
      'PodDisruptionBudget/alter-vault-api-server',
      'Role/alter-vault-operator-leader-election',
      'RoleBinding/alter-vault-operator-leader-election',
      'Service/alter-vault-api-server',
      'ServiceAccount/alter-vault-api-server',
      'ServiceAccount/alter-vault-operator',
    ]);
    for (const o of objects) expect({ object: `${o.kind}/${o.metadata.name}`, partOf: o.metadata.labels?.['app.kubernetes.io/part-of'] }).toEqual({ object: `${o.kind}/${o.metadata.name}`, partOf: 'alter-vault' });
  });

  test('every pod and container is locked down: non-root, RuntimeDefault seccomp, read-only root, no escalation, no capabilities', () => {
    for (const d of all<Deployment>(objects, 'Deployment')) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.enableServiceLinks).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect({ container: `${d.metadata.name}/${c.name}`, securityContext: c.securityContext }).toEqual({
          container: `${d.metadata.name}/${c.name}`,
          securityContext: {
            runAsNonRoot: true,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
        });
        // The read-only root filesystem leaves /tmp writable, on an emptyDir.
        const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      }
    }
  });

  test('the api-server: replicas, probes on /healthz and /readyz, no service-account token', () => {
    const d = apiServer(objects);
    expect(d.spec.replicas).toBe(2);
    const c = container(d, 'api-server');
    expect(c.image).toBe('ghcr.io/alterauth/alter-vault-api-server:0.1.0');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(d.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(one<ServiceAccount>(objects, 'ServiceAccount', 'alter-vault-api-server').automountServiceAccountToken).toBe(false);
    expect(one<K8sObject>(objects, 'PodDisruptionBudget', 'alter-vault-api-server').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'alter-vault', 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': 'api-server' } },
    });
    expect(one<K8sObject>(objects, 'Service', 'alter-vault-api-server').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
  });

  test("the api-server's environment: Postgres and the local key from Secrets, Cerbos on loopback, the in-cluster issuer", () => {
    const d = apiServer(objects);
    const c = container(d, 'api-server');
    expect(envOf(c)).toEqual({
      ALTER_HOST: '0.0.0.0',
      ALTER_PORT: '8080',
      ALTER_DATA_DIR: '/tmp/alter-data',
      ALTER_DATABASE_URL: { secretKeyRef: { name: 'alter-vault-database', key: 'url' } },
      ALTER_DB_POOL_SIZE: '10',
      ALTER_DB_PREPARED_STATEMENTS: 'true',
      ALTER_KEY_PROVIDER: 'local',
      ALTER_LOCAL_KEY_FILE: '/var/run/secrets/alter-vault/local-key/key',
      ALTER_CERBOS_ADDRESS: '127.0.0.1:3593',
      ALTER_K8S_ISSUERS: 'default=https://kubernetes.default.svc.cluster.local',
      ALTER_K8S_AUDIENCE: 'alter-vault',
      NODE_EXTRA_CA_CERTS: '/var/run/secrets/alter-vault/kube-ca/ca.crt',
      ALTER_LOG_LEVEL: 'info',
      ALTER_TRUST_PROXY: 'false',
    });
    const volumes = d.spec.template.spec.volumes ?? [];
    expect(volumes.find((v) => v.name === 'local-key')?.secret).toEqual({ secretName: 'alter-vault-local-key', defaultMode: 0o440 });
    expect(c.volumeMounts).toContainEqual({ name: 'local-key', mountPath: '/var/run/secrets/alter-vault/local-key', readOnly: true });
    expect(volumes.find((v) => v.name === 'kube-ca')?.configMap).toMatchObject({ name: 'kube-root-ca.crt', optional: true });

    // The api-server's own config.ts accepts it, as a pod would start it.
    const config = parseApiServerConfig(resolveEnv(c, { secrets: { 'alter-vault-database/url': 'postgres://vault:pw@db:5432/vault' }, fields: {} }));
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      keyProvider: { kind: 'local', keyFile: '/var/run/secrets/alter-vault/local-key/key' },
      policy: { kind: 'remote', address: '127.0.0.1:3593' },
      kubernetes: { clusters: [{ name: 'default', issuer: 'https://kubernetes.default.svc.cluster.local' }], audience: 'alter-vault' },
    });
  });

  test('Cerbos: a native sidecar of the pinned image, on loopback, with the policies of policies/ from a ConfigMap', () => {
    const d = apiServer(objects);
    const c = container(d, 'cerbos');
    expect(d.spec.template.spec.initContainers?.map((i) => i.name)).toEqual(['cerbos']);
    expect(c.restartPolicy).toBe('Always');
    expect(c.image).toBe('ghcr.io/cerbos/cerbos:0.55.0');
    expect(c.args).toEqual(['server', '--config=/config/config.yaml', '--log-level=info']);
    const healthcheck = { command: ['/cerbos', 'healthcheck', '--config=/config/config.yaml'] };
    expect(c.startupProbe?.exec).toEqual(healthcheck);
    expect(c.livenessProbe?.exec).toEqual(healthcheck);
    const config = parse(one<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', 'alter-vault-cerbos-config').data['config.yaml']!) as { server: Record<string, string> };
    expect(config.server).toEqual({ httpListenAddr: '127.0.0.1:3592', grpcListenAddr: '127.0.0.1:3593' });

    const policies = one<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', 'alter-vault-cerbos-policies').data;
    const source = path.join(REPO_ROOT, 'policies');
    expect(policies).toEqual(Object.fromEntries(filesBelow(source, isPolicy).map((f) => [f.split(path.sep).join('.'), readFileSync(path.join(source, f), 'utf8')])));
    // A change to the policies rolls the pods.
    expect(d.spec.template.metadata.annotations?.['checksum/cerbos']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the Cerbos of the test suite serves the rendered configuration and policies, laid out as a ConfigMap volume, and its probe command passes', async () => {
    const dir = mkdtempSync(path.join(TEST_ENV_DIR, 'e2e', 'helm-cerbos-'));
    const policies = one<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', 'alter-vault-cerbos-policies').data;
    // What the kubelet writes: the files in a hidden timestamped directory, reached through ..data symlinks.
    const volume = path.join(dir, 'policies');
    mkdirSync(path.join(volume, '..2026_01_01_00_00_00.000000000'), { recursive: true });
    symlinkSync('..2026_01_01_00_00_00.000000000', path.join(volume, '..data'));
    for (const [key, content] of Object.entries(policies)) {
      writeFileSync(path.join(volume, '..data', key), content);
      symlinkSync(path.join('..data', key), path.join(volume, key));
    }
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const rendered = one<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', 'alter-vault-cerbos-config').data['config.yaml']!;
    // Only the paths and ports differ from the pod's: the directory is not /policies here, and the ports are free ones.
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, rendered.replace('127.0.0.1:3593', `127.0.0.1:${grpcPort}`).replace('127.0.0.1:3592', `127.0.0.1:${httpPort}`).replace('directory: /policies', `directory: ${volume}`));
    const cerbos = require.resolve('@cerbos/cerbos-linux-x64');
    const logFile = path.join(dir, 'cerbos.log');
    const server = spawn(cerbos, ['server', `--config=${configFile}`, '--log-level=info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    server.stdout.on('data', (d: Buffer) => log.push(d.toString()));
    server.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    try {
      const healthcheck = () => new Promise<{ code: number | null; out: string }>((resolve) => {
        const probe = spawn(cerbos, ['healthcheck', `--config=${configFile}`], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        probe.stdout.on('data', (d: Buffer) => (out += d.toString()));
        probe.stderr.on('data', (d: Buffer) => (out += d.toString()));
        probe.on('close', (code) => resolve({ code, out }));
      });
      let result = await healthcheck();
      for (let i = 0; i < 100 && result.code !== 0 && server.exitCode === null; i++) {
        await sleep(100);
        result = await healthcheck();
      }
      writeFileSync(logFile, log.join(''));
      expect({ ...result, log: result.code === 0 ? '' : tail(logFile, 20) }).toEqual({ code: 0, out: 'SERVING\n', log: '' });
      // The policies are those of policies/: an API key with the proxy scope may proxy an active grant of its tenant, not another tenant's.
      const check = async (tenantId: string) => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/check/resources`, {
          method: 'POST',
          body: JSON.stringify({
            requestId: 'helm-e2e',
            principal: { id: 'key-1', roles: ['api_key'], attr: { tenantId: 't1', scopes: ['proxy:execute'] } },
            resources: [{ actions: ['proxy'], resource: { kind: 'grant', id: 'g1', attr: { tenantId, status: 'active' } } }],
          }),
        });
        return ((await res.json()) as { results: { actions: Record<string, string> }[] }).results[0]!.actions.proxy;
      };
      expect(await check('t1')).toBe('EFFECT_ALLOW');
      expect(await check('t2')).toBe('EFFECT_DENY');
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the operator: its environment, leader election, the admin API key from a Secret, probes", () => {
    const d = operator(objects);
    expect(d.spec.replicas).toBe(1);
    const c = container(d, 'operator');
    expect(c.image).toBe('ghcr.io/alterauth/alter-vault-operator:0.1.0');
    expect(envOf(c)).toEqual({
      ALTER_VAULT_URL: 'http://alter-vault-api-server.alter-vault.svc:80',
      ALTER_VAULT_API_KEY_FILE: '/var/run/secrets/alter-vault/api-key/api-key',
      ALTER_CLUSTER_NAME: 'default',
      ALTER_OPERATOR_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      ALTER_OPERATOR_IDENTITY: { fieldRef: { fieldPath: 'metadata.name' } },
      ALTER_OPERATOR_LEASE_NAME: 'alter-vault-operator',
      ALTER_OPERATOR_LEASE_SECONDS: '15',
      ALTER_OPERATOR_CONCURRENCY: '4',
      ALTER_OPERATOR_RESYNC_SECONDS: '300',
      ALTER_OPERATOR_METRICS_PORT: '8081',
    });
    expect(d.spec.template.spec.volumes?.find((v) => v.name === 'api-key')?.secret).toEqual({ secretName: 'alter-vault-operator-api-key', defaultMode: 0o440 });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(d.spec.template.spec.automountServiceAccountToken).toBe(true);

    // The operator's own config.ts accepts it (the key file stands in for the mounted Secret).
    const dir = mkdtempSync(path.join(TEST_ENV_DIR, 'e2e', 'helm-operator-'));
    try {
      const keyFile = path.join(dir, 'api-key');
      writeFileSync(keyFile, 'avk_operator_key_for_the_chart_test\n');
      const env = resolveEnv(c, { secrets: {}, fields: { 'metadata.namespace': NAMESPACE, 'metadata.name': 'alter-vault-operator-abc' } });
      const config = parseOperatorConfig({ ...env, ALTER_VAULT_API_KEY_FILE: keyFile });
      expect(config).toMatchObject({ vaultUrl: 'http://alter-vault-api-server.alter-vault.svc:80', apiKey: 'avk_operator_key_for_the_chart_test', namespace: NAMESPACE, leaseName: 'alter-vault-operator', identity: 'alter-vault-operator-abc', metricsPort: 8081 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the CRDs: the three of crds/, unchanged, with helm.sh/resource-policy: keep', () => {
    const crds = all<Crd>(objects, 'CustomResourceDefinition');
    for (const file of readdirSync(path.join(REPO_ROOT, 'crds')).filter((f) => f.endsWith('.yaml'))) {
      const source = parse(readFileSync(path.join(REPO_ROOT, 'crds', file), 'utf8')) as Crd;
      const rendered = one<Crd>(crds, 'CustomResourceDefinition', source.metadata.name);
      expect(rendered.metadata.annotations).toEqual({ ...source.metadata.annotations, 'helm.sh/resource-policy': 'keep' });
      expect(rendered.metadata.labels).toMatchObject(source.metadata.labels ?? {});
      expect(rendered.spec).toEqual(source.spec);
    }
    expect(crds.map((c) => c.spec.names.plural).sort()).toEqual(PLURALS);
  });

  test('RBAC of least privilege: the operator gets exactly its kinds, their status, Secrets, Events and its own Lease; the api-server nothing', () => {
    expect(one<Role>(objects, 'ClusterRole', 'alter-vault-operator').rules).toEqual([
      { apiGroups: ['vault.alterauth.com'], resources: PLURALS, verbs: ['get', 'list', 'watch', 'patch'] },
      { apiGroups: ['vault.alterauth.com'], resources: PLURALS.map((p) => `${p}/status`), verbs: ['get', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    expect(one<Role>(objects, 'Role', 'alter-vault-operator-leader-election')).toMatchObject({
      metadata: { namespace: NAMESPACE },
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['alter-vault-operator'], verbs: ['get', 'update'] },
      ],
    });
    const operatorSubject = [{ kind: 'ServiceAccount', name: 'alter-vault-operator', namespace: NAMESPACE }];
    expect(one<Binding>(objects, 'ClusterRoleBinding', 'alter-vault-operator')).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'alter-vault-operator' }, subjects: operatorSubject });
    expect(one<Binding>(objects, 'RoleBinding', 'alter-vault-operator-leader-election')).toMatchObject({ roleRef: { kind: 'Role', name: 'alter-vault-operator-leader-election' }, subjects: operatorSubject });
    // Nothing binds the api-server, and no rule anywhere uses a wildcard.
    for (const b of [...all<Binding>(objects, 'ClusterRoleBinding'), ...all<Binding>(objects, 'RoleBinding')]) expect(b.subjects.map((s) => s.name)).not.toContain('alter-vault-api-server');
    for (const r of [...all<Role>(objects, 'ClusterRole'), ...all<Role>(objects, 'Role')]) {
      for (const rule of r.rules) expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]).not.toContain('*');
    }
    expect(JSON.stringify(objects)).not.toContain('tokenreviews');
  });

  test('aggregated view and edit ClusterRoles for the three kinds', () => {
    expect(one<Role>(objects, 'ClusterRole', 'alter-vault-view')).toMatchObject({
      metadata: { labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } },
      rules: [{ apiGroups: ['vault.alterauth.com'], resources: PLURALS, verbs: ['get', 'list', 'watch'] }],
    });
    const edit = one<Role>(objects, 'ClusterRole', 'alter-vault-edit');
    expect(edit.rules).toEqual([{ apiGroups: ['vault.alterauth.com'], resources: PLURALS, verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] }]);
    expect(edit.metadata.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' });
    expect(edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBeUndefined();
  });
});

// Each documented option, on its own: what it adds or changes.
const OPTIONS: [string, string[], (objects: K8sObject[]) => void][] = [
  ['apiServer.autoscaling.enabled (HorizontalPodAutoscaler)', ['--set', 'apiServer.autoscaling.enabled=true,apiServer.autoscaling.targetMemoryUtilizationPercentage=80'], (objects) => {
    expect(apiServer(objects).spec.replicas).toBeUndefined();
    expect(one<K8sObject>(objects, 'HorizontalPodAutoscaler', 'alter-vault-api-server').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'alter-vault-api-server' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
    });
  }],
  ['serviceMonitor.enabled', ['--set', 'serviceMonitor.enabled=true,serviceMonitor.labels.release=prometheus'], (objects) => {
    const monitors = all<K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }>(objects, 'ServiceMonitor');
    expect(names(monitors)).toEqual(['ServiceMonitor/alter-vault-api-server', 'ServiceMonitor/alter-vault-operator']);
    for (const m of monitors) {
      expect(m.metadata.labels?.release).toBe('prometheus');
      // Each selects a Service of the chart that has the endpoint's port.
      const services = all<K8sObject & { spec: { ports: { name: string }[] } }>(objects, 'Service').filter((s) =>
        Object.entries(m.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
      expect(services).toHaveLength(1);
      expect(services[0]!.spec.ports.map((p) => p.name)).toContain(m.spec.endpoints[0]!.port);
      expect(m.spec.endpoints[0]!.path).toBe('/metrics');
    }
  }],
  ['networkPolicy.enabled', ['--set', 'networkPolicy.enabled=true'], (objects) => {
    expect(one<K8sObject>(objects, 'NetworkPolicy', 'alter-vault-api-server').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'alter-vault', 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': 'api-server' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 'http', protocol: 'TCP' }] }],
    });
    expect(one<K8sObject>(objects, 'NetworkPolicy', 'alter-vault-operator').spec).toMatchObject({ policyTypes: ['Ingress'], ingress: [] });
  }],
  ['keyProvider.type=aws-kms (with an IRSA role)', [
    '--set', 'keyProvider.type=aws-kms,keyProvider.awsKms.region=eu-west-1,keyProvider.awsKms.endpoint=https://vpce-1.kms.eu-west-1.vpce.amazonaws.com',
    '--set', 'keyProvider.awsKms.keyArn=arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    '--set', 'keyProvider.awsKms.roleArn=arn:aws:iam::111122223333:role/alter-vault',
  ], (objects) => {
    const d = apiServer(objects);
    const env = envOf(container(d, 'api-server'));
    expect(env).toMatchObject({
      ALTER_KEY_PROVIDER: 'aws-kms',
      ALTER_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_KMS: 'https://vpce-1.kms.eu-west-1.vpce.amazonaws.com',
    });
    expect(env.ALTER_LOCAL_KEY_FILE).toBeUndefined();
    expect(d.spec.template.spec.volumes?.map((v) => v.name)).not.toContain('local-key');
    expect(one<ServiceAccount>(objects, 'ServiceAccount', 'alter-vault-api-server').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/alter-vault' });
    const config = parseApiServerConfig(resolveEnv(container(d, 'api-server'), { secrets: { 'alter-vault-database/url': 'postgres://vault:pw@db:5432/vault' }, fields: {} }));
    expect(config.keyProvider).toEqual({ kind: 'aws-kms', keyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
  }],
  ['apiServer.kubernetes.tokenReview.enabled', ['--set', 'apiServer.kubernetes.tokenReview.enabled=true'], (objects) => {
    expect(one<Role>(objects, 'ClusterRole', 'alter-vault-api-server-tokenreview').rules).toEqual([{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }]);
    expect(one<Binding>(objects, 'ClusterRoleBinding', 'alter-vault-api-server-tokenreview')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'alter-vault-api-server-tokenreview' },
      subjects: [{ kind: 'ServiceAccount', name: 'alter-vault-api-server', namespace: NAMESPACE }],
    });
    expect(one<ServiceAccount>(objects, 'ServiceAccount', 'alter-vault-api-server').automountServiceAccountToken).toBe(true);
    expect(apiServer(objects).spec.template.spec.automountServiceAccountToken).toBe(true);
    const config = parseApiServerConfig(resolveEnv(container(apiServer(objects), 'api-server'), { secrets: { 'alter-vault-database/url': 'postgres://vault:pw@db:5432/vault' }, fields: {} }));
    expect(config.kubernetes.tokenReview).toMatchObject({ cluster: 'default', server: 'https://kubernetes.default.svc' });
  }],
  ['crds.install=false', ['--set', 'crds.install=false'], (objects) => {
    expect(all(objects, 'CustomResourceDefinition')).toEqual([]);
    // The roles still name the three kinds.
    expect(one<Role>(objects, 'ClusterRole', 'alter-vault-operator').rules[0]!.resources).toEqual(PLURALS);
  }],
  ['crds.keep=false', ['--set', 'crds.keep=false'], (objects) => {
    const crds = all(objects, 'CustomResourceDefinition');
    expect(crds).toHaveLength(PLURALS.length);
    for (const crd of crds) expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
  }],
  ['cerbos.nativeSidecar=false', ['--set', 'cerbos.nativeSidecar=false'], (objects) => {
    const pod = apiServer(objects).spec.template.spec;
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers.map((c) => c.name)).toEqual(['api-server', 'cerbos']);
    const cerbos = container(apiServer(objects), 'cerbos');
    expect(cerbos.restartPolicy).toBeUndefined();
    expect(cerbos.readinessProbe?.exec?.command).toEqual(['/cerbos', 'healthcheck', '--config=/config/config.yaml']);
  }],
  ['operator.enabled=false', ['--set', 'operator.enabled=false'], (objects) => {
    expect(names(objects).filter((n) => n.includes('operator'))).toEqual([]);
  }],
  ['rbac.aggregateToDefaultRoles=false', ['--set', 'rbac.aggregateToDefaultRoles=false'], (objects) => {
    expect(names(all(objects, 'ClusterRole'))).toEqual(['ClusterRole/alter-vault-operator']);
  }],
  ['the api-server settings (public URL, return origins, more issuers, bootstrap key, digest)', [
    '--set', 'apiServer.publicUrl=https://vault.example.com,apiServer.allowedReturnOrigins[0]=https://app.example.com,apiServer.allowedReturnOrigins[1]=https://admin.example.com',
    '--set', 'apiServer.kubernetes.extraIssuers[0]=edge=https://issuer.edge.example.com,apiServer.kubernetes.trustClusterCA=false',
    '--set', 'apiServer.bootstrapKey.existingSecret=bootstrap,keyProvider.local.previousSecretKeys[0]=old',
    '--set', `apiServer.image.digest=sha256:${'a'.repeat(64)}`,
  ], (objects) => {
    const d = apiServer(objects);
    const c = container(d, 'api-server');
    expect(c.image).toBe(`ghcr.io/alterauth/alter-vault-api-server@sha256:${'a'.repeat(64)}`);
    const env = envOf(c);
    expect(env).toMatchObject({
      ALTER_PUBLIC_URL: 'https://vault.example.com',
      ALTER_ALLOWED_RETURN_ORIGINS: 'https://app.example.com,https://admin.example.com',
      ALTER_K8S_ISSUERS: 'default=https://kubernetes.default.svc.cluster.local,edge=https://issuer.edge.example.com',
      ALTER_BOOTSTRAP_KEY: { secretKeyRef: { name: 'bootstrap', key: 'key' } },
      ALTER_LOCAL_PREVIOUS_KEY_FILES: '/var/run/secrets/alter-vault/local-key/old',
    });
    expect(env.NODE_EXTRA_CA_CERTS).toBeUndefined();
    const config = parseApiServerConfig(resolveEnv(c, { secrets: { 'alter-vault-database/url': 'postgres://vault:pw@db:5432/vault', 'bootstrap/key': `avk_${'b'.repeat(32)}` }, fields: {} }));
    expect(config).toMatchObject({ publicUrl: 'https://vault.example.com', allowedReturnOrigins: ['https://app.example.com', 'https://admin.example.com'] });
  }],
];

describe('each documented option renders what it says', () => {
  test.each(OPTIONS)('%s', async (_name, args, check) => {
    check(await render(args));
  });
});

describe('the production example renders', () => {
  test('KMS through IRSA, autoscaled and spread api-servers, two operators, ServiceMonitors, NetworkPolicies', async () => {
    const objects = await render(['-f', PRODUCTION_VALUES]);
    const d = apiServer(objects);
    expect(d.spec.replicas).toBeUndefined();
    expect(one<K8sObject>(objects, 'HorizontalPodAutoscaler', 'alter-vault-api-server').spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
    expect(operator(objects).spec.replicas).toBe(2);
    expect(one<ServiceAccount>(objects, 'ServiceAccount', 'alter-vault-api-server').metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::111122223333:role/alter-vault-api-server');
    expect(names(all(objects, 'ServiceMonitor'))).toHaveLength(2);
    expect(names(all(objects, 'NetworkPolicy'))).toHaveLength(2);
    const c = container(d, 'api-server');
    const config = parseApiServerConfig(resolveEnv(c, { secrets: { 'alter-vault-database/url': 'postgres://vault:pw@db:5432/vault' }, fields: {} }));
    expect(config).toMatchObject({
      keyProvider: { kind: 'aws-kms' },
      publicUrl: 'https://vault.example.com',
      trustProxy: true,
      kubernetes: { clusters: [{ name: 'prod-eu-1', issuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' }] },
    });
    expect(envOf(container(operator(objects), 'operator')).ALTER_CLUSTER_NAME).toBe('prod-eu-1');
  });
});

// ---------------------------------------------------------------------------------------------

/** The fields of monitoring.coreos.com/v1 ServiceMonitor the chart uses, typed as in prometheus-operator's CRD; anything else is refused. */
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { kind: 'ServiceMonitor', listKind: 'ServiceMonitorList', plural: 'servicemonitors', singular: 'servicemonitor' },
    versions: [{
      name: 'v1',
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          required: ['spec'],
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { type: 'object' },
            spec: {
              type: 'object',
              required: ['selector'],
              properties: {
                selector: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } }, 'x-kubernetes-map-type': 'atomic' },
                endpoints: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      port: { type: 'string' },
                      path: { type: 'string' },
                      scheme: { type: 'string', enum: ['http', 'https', 'HTTP', 'HTTPS'] },
                      interval: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
                      scrapeTimeout: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    }],
  },
};

describe('on the control plane', () => {
  beforeAll(async () => {
    await cp.kubectl(['create', 'namespace', NAMESPACE]);
    await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify(SERVICE_MONITOR_CRD) });
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com']);
  });

  /** Server-side dry-run of a rendering: the apiserver validates every object (strict fields) and stores nothing. */
  async function dryRun(args: string[]): Promise<string[]> {
    const manifest = await renderText(args);
    const out = await cp.kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager=helm-e2e', '-o', 'name', '-f', '-'], { input: manifest });
    return out.trim().split('\n').sort();
  }

  test.each([
    ['the default values', [] as string[]],
    ...OPTIONS.map(([name, args]) => [name, args] as [string, string[]]),
    ['values-production.yaml', ['-f', PRODUCTION_VALUES]],
  ])('every object of %s passes server-side validation', async (_name, args) => {
    const accepted = await dryRun(args);
    const rendered = parseManifests(await renderText(args));
    expect(accepted).toHaveLength(rendered.length);
  });

  /** The objects `helm get manifest` says the release holds, each read back from the apiserver (a missing one fails). */
  async function expectReleaseObjectsExist(): Promise<K8sObject[]> {
    const manifest = await cp.helm(['get', 'manifest', RELEASE, '--namespace', NAMESPACE]);
    const objects = parseManifests(manifest);
    const found = (await cp.kubectl(['get', '-f', '-', '-o', 'name'], { input: manifest })).trim().split('\n');
    expect(found).toHaveLength(objects.length);
    return objects;
  }

  async function releaseStatus(): Promise<{ status: string; version: number }> {
    const status = JSON.parse(await cp.helm(['status', RELEASE, '--namespace', NAMESPACE, '-o', 'json'])) as { version: number; info: { status: string } };
    return { status: status.info.status, version: status.version };
  }

  async function expectUninstallKeepsCrdsAndUsersResources(): Promise<void> {
    // A user's resource, made with the installed CRD, in a namespace of its own.
    await cp.kubectl(['create', 'namespace', 'team-a']).catch(() => undefined);
    await cp.kubectl(['apply', '--server-side', '-n', 'team-a', '-f', path.join(REPO_ROOT, 'crds', 'examples', 'provider.yaml')]);
    const out = await cp.helm(['uninstall', RELEASE, '--namespace', NAMESPACE]);
    expect(out).toContain('uninstalled');
    expect(JSON.parse(await cp.helm(['list', '--namespace', NAMESPACE, '-o', 'json']))).toEqual([]);
    for (const plural of PLURALS) expect((await cp.kubectl(['get', 'crd', `${plural}.vault.alterauth.com`, '-o', 'name'])).trim()).toBe(`customresourcedefinition.apiextensions.k8s.io/${plural}.vault.alterauth.com`);
    expect((await cp.kubectl(['get', 'providers.vault.alterauth.com', 'google', '-n', 'team-a', '-o', 'name'])).trim()).toBe('provider.vault.alterauth.com/google');
    // Everything else is gone.
    expect((await cp.kubectl(['get', 'deployments,services,configmaps,serviceaccounts', '-n', NAMESPACE, '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name'])).trim()).toBe('');
    expect((await cp.kubectl(['get', 'clusterroles,clusterrolebindings', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name'])).trim()).toBe('');
  }

  test('helm install, upgrade (a changed value) and uninstall with the default values; the CRDs and a Provider survive', async () => {
    await cp.helm(['install', RELEASE, CHART, '--namespace', NAMESPACE]);
    expect(await releaseStatus()).toEqual({ status: 'deployed', version: 1 });
    const installed = await expectReleaseObjectsExist();
    expect(names(installed)).toEqual(names(await render()));
    expect(JSON.parse(await cp.kubectl(['get', 'deployment', 'alter-vault-api-server', '-n', NAMESPACE, '-o', 'jsonpath={.spec.replicas}']))).toBe(2);

    await cp.helm(['upgrade', RELEASE, CHART, '--namespace', NAMESPACE, '--set', 'apiServer.replicas=3,apiServer.logLevel=debug']);
    expect(await releaseStatus()).toEqual({ status: 'deployed', version: 2 });
    const upgraded = JSON.parse(await cp.kubectl(['get', 'deployment', 'alter-vault-api-server', '-n', NAMESPACE, '-o', 'json'])) as Deployment;
    expect(upgraded.spec.replicas).toBe(3);
    expect(envOf(container(upgraded, 'api-server')).ALTER_LOG_LEVEL).toBe('debug');
    await expectReleaseObjectsExist();

    await expectUninstallKeepsCrdsAndUsersResources();
  });

  test('helm install, upgrade and uninstall with values-production.yaml, adopting the CRDs the last uninstall kept', async () => {
    await cp.helm(['install', RELEASE, CHART, '--namespace', NAMESPACE, '-f', PRODUCTION_VALUES]);
    expect(await releaseStatus()).toEqual({ status: 'deployed', version: 1 });
    const installed = await expectReleaseObjectsExist();
    expect(names(installed)).toEqual(names(await render(['-f', PRODUCTION_VALUES])));

    await cp.helm(['upgrade', RELEASE, CHART, '--namespace', NAMESPACE, '-f', PRODUCTION_VALUES, '--set', 'apiServer.autoscaling.maxReplicas=20']);
    expect(await releaseStatus()).toEqual({ status: 'deployed', version: 2 });
    expect(JSON.parse(await cp.kubectl(['get', 'hpa', 'alter-vault-api-server', '-n', NAMESPACE, '-o', 'jsonpath={.spec.maxReplicas}']))).toBe(20);
    await expectReleaseObjectsExist();

    await expectUninstallKeepsCrdsAndUsersResources();
  });
});
