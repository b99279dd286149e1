// The operator on a real kube-apiserver, with the built api-server and operator as processes:
// ManagedSecret → grantId and rotation; Provider readiness from its Secret; an Agent's service
// account calling through the vault with a token the apiserver issued; deletion revokes;
// leader election and a killed operator converging. Each case in its own namespace; waits poll
// conditions with a deadline and print the processes' logs when one fails.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_ENV_DIR } from '../testenv/env';
import { startHttpsUpstream, type HttpsUpstream } from '../api-server/src/testing/https-upstream';
import { type ControlPlane, startControlPlane } from './harness/control-plane';
import { type Proc, startOperator, startVault, type VaultProcess, waitFor } from './harness/vault-processes';

const ROOT = path.resolve(__dirname, '..');
let cp: ControlPlane;
let vault: VaultProcess;
let upstream: HttpsUpstream;
let dir: string;
const operators: Proc[] = [];
const procs = () => [vault, ...operators];

beforeAll(async () => {
  const logs = path.join(TEST_ENV_DIR, 'e2e');
  mkdirSync(logs, { recursive: true });
  dir = mkdtempSync(path.join(logs, 'operator-'));
  cp = await startControlPlane({ dir: path.join(dir, 'control-plane') });
  await cp.kubectl(['apply', '-f', path.join(ROOT, 'crds')]);
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/managedsecrets.vault.alterauth.com', 'crd/providers.vault.alterauth.com', 'crd/agents.vault.alterauth.com']);
  const tls = path.join(ROOT, '.test-env', 'tls');
  upstream = await startHttpsUpstream({ cert: readFileSync(path.join(tls, 'server.pem')), key: readFileSync(path.join(tls, 'server-key.pem')) });
  vault = await startVault(cp, path.join(dir, 'processes'));
  operators.push(startOperator(cp, vault, path.join(dir, 'processes'), 'op-1'));
});

afterAll(async () => {
  for (const p of operators) await p.stop();
  await vault?.stop();
  await upstream?.close();
  await cp?.stop();
});

const apply = (yaml: string) => cp.kubectl(['apply', '-f', '-'], { input: yaml });
const jsonpath = (kind: string, ns: string, name: string, expr: string) => cp.kubectl(['get', kind, name, '-n', ns, '-o', `jsonpath=${expr}`]).catch(() => '');
const ready = (kind: string, ns: string, name: string) => jsonpath(kind, ns, name, '{.status.conditions[?(@.type=="Ready")].status}');

async function waitReady(kind: string, ns: string, name: string, status = 'True'): Promise<void> {
  await waitFor(`${kind} ${ns}/${name} Ready=${status}`, async () => (await ready(kind, ns, name)) === status, procs());
}

async function namespace(ns: string): Promise<void> {
  await cp.kubectl(['create', 'namespace', ns]);
}

function secretYaml(ns: string, name: string, data: Record<string, string>): string {
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nstringData:\n${lines.join('\n')}\n`;
}

function managedSecretYaml(ns: string, name: string, secretName: string): string {
  return `apiVersion: vault.alterauth.com/v1alpha1
kind: ManagedSecret
metadata: { name: ${name}, namespace: ${ns} }
spec:
  type: bearer
  secretRef: { name: ${secretName}, key: api-key }
  allowedHosts: ["${upstream.host}"]
`;
}

function agentYaml(ns: string, name: string, sa: string, providers: string[], allowedMethods?: string[]): string {
  return `apiVersion: vault.alterauth.com/v1alpha1
kind: Agent
metadata: { name: ${name}, namespace: ${ns} }
spec:
  serviceAccountName: ${sa}
  providers: ${JSON.stringify(providers)}
${allowedMethods ? `  allowedMethods: ${JSON.stringify(allowedMethods)}\n` : ''}`;
}

async function proxyAs(token: string, grantId: string, method = 'GET') {
  const res = await fetch(`${vault.url}/v1/proxy`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ grantId, method, url: `${upstream.url}/echo` }),
  });
  const body = (await res.json()) as { body?: string; error?: { code: string } };
  return { status: res.status, code: body.error?.code, authorization: body.body ? (JSON.parse(body.body) as { headers: Record<string, string> }).headers.authorization : undefined };
}

const token = (ns: string, sa: string, audience = 'alter-vault') => cp.kubectl(['create', 'token', sa, '-n', ns, '--audience', audience]).then((t) => t.trim());

test('a ManagedSecret becomes Ready with a grantId; an Agent’s service-account token uses it within its policy; rotating the Secret keeps the grantId', async () => {
  await namespace('team-a');
  await apply(secretYaml('team-a', 'openai', { 'api-key': 'first-value-team-a' }));
  await apply(managedSecretYaml('team-a', 'openai', 'openai'));
  await waitReady('managedsecret', 'team-a', 'openai');
  const grantId = await jsonpath('managedsecret', 'team-a', 'openai', '{.status.grantId}');
  expect(grantId).toMatch(/^[0-9a-f-]{36}$/);

  await cp.kubectl(['create', 'serviceaccount', 'sa-a', '-n', 'team-a']);
  await apply(agentYaml('team-a', 'mailer', 'sa-a', ['openai'], ['GET']));
  await waitReady('agent', 'team-a', 'mailer');
  const saToken = await token('team-a', 'sa-a');
  expect(await proxyAs(saToken, grantId)).toMatchObject({ status: 200, authorization: 'Bearer first-value-team-a' });
  // The Agent's allowedMethods became a rule of the vault's policy.
  expect(await proxyAs(saToken, grantId, 'POST')).toMatchObject({ status: 403, code: 'policy_denied' });

  await apply(secretYaml('team-a', 'openai', { 'api-key': 'second-value-team-a' }));
  await waitFor('the rotated value is used', async () => (await proxyAs(saToken, grantId)).authorization === 'Bearer second-value-team-a', procs());
  expect(await jsonpath('managedsecret', 'team-a', 'openai', '{.status.grantId}')).toBe(grantId);
});

test('another namespace’s grant is 404 to the agent; an unbound service account and a foreign audience are refused', async () => {
  await namespace('team-b');
  await apply(secretYaml('team-b', 'openai', { 'api-key': 'value-team-b' }));
  await apply(managedSecretYaml('team-b', 'openai', 'openai'));
  await waitReady('managedsecret', 'team-b', 'openai');
  const teamB = await jsonpath('managedsecret', 'team-b', 'openai', '{.status.grantId}');
  const teamA = await jsonpath('managedsecret', 'team-a', 'openai', '{.status.grantId}');
  expect(await proxyAs(await token('team-a', 'sa-a'), teamB)).toMatchObject({ status: 404, code: 'grant_not_found' });

  await cp.kubectl(['create', 'serviceaccount', 'sa-unbound', '-n', 'team-a']);
  expect(await proxyAs(await token('team-a', 'sa-unbound'), teamA)).toMatchObject({ status: 403, code: 'agent_not_bound' });
  expect(await proxyAs(await token('team-a', 'sa-a', 'kubernetes'), teamA)).toMatchObject({ status: 401, code: 'sa_token_invalid' });
});

test('a token of a deleted service account still verifies against the JWKS, but TokenReview refuses it', async () => {
  await cp.kubectl(['create', 'serviceaccount', 'sa-short', '-n', 'team-a']);
  await apply(agentYaml('team-a', 'short-lived', 'sa-short', ['openai']));
  await waitReady('agent', 'team-a', 'short-lived');
  const grantId = await jsonpath('managedsecret', 'team-a', 'openai', '{.status.grantId}');
  const saToken = await token('team-a', 'sa-short');
  expect(await proxyAs(saToken, grantId)).toMatchObject({ status: 200 });
  await cp.kubectl(['delete', 'serviceaccount', 'sa-short', '-n', 'team-a', '--wait=true']);
  // The apiserver caches a token's review for 10 s; then it answers that the account is gone.
  await waitFor('the deleted service account’s token is refused', async () => (await proxyAs(saToken, grantId)).code === 'sa_token_invalid', procs(), 30_000);
});

test('a Provider whose Secret is missing is Ready=False saying so, and recovers when the Secret appears', async () => {
  await namespace('team-p');
  await apply(`apiVersion: vault.alterauth.com/v1alpha1
kind: Provider
metadata: { name: google, namespace: team-p }
spec:
  template: google
  clientId: client-id.apps.googleusercontent.com
  clientSecretRef: { name: google-oauth, key: clientSecret }
`);
  await waitReady('provider', 'team-p', 'google', 'False');
  expect(await jsonpath('provider', 'team-p', 'google', '{.status.conditions[?(@.type=="Ready")].reason}')).toBe('SecretNotFound');
  expect(await jsonpath('provider', 'team-p', 'google', '{.status.conditions[?(@.type=="Ready")].message}')).toContain('google-oauth');
  const events = await cp.kubectl(['get', 'events', '-n', 'team-p', '--field-selector', 'involvedObject.name=google', '-o', 'jsonpath={.items[*].reason}']);
  expect(events).toContain('SecretNotFound');
  await apply(secretYaml('team-p', 'google-oauth', { clientSecret: 'oauth-client-secret-value' }));
  await waitReady('provider', 'team-p', 'google');
  expect(await jsonpath('provider', 'team-p', 'google', '{.status.providerName}')).toBe('google');
});

test('deleting each kind revokes in the vault, then the object goes away', async () => {
  const grantId = await jsonpath('managedsecret', 'team-a', 'openai', '{.status.grantId}');
  const saToken = await token('team-a', 'sa-a');
  await cp.kubectl(['delete', 'managedsecret', 'openai', '-n', 'team-a', '--wait=true', '--timeout=60s']);
  expect(await proxyAs(saToken, grantId)).toMatchObject({ status: 410, code: 'grant_revoked' });
  await cp.kubectl(['delete', 'agent', 'mailer', '-n', 'team-a', '--wait=true', '--timeout=60s']);
  expect(await proxyAs(saToken, grantId)).toMatchObject({ status: 403, code: 'agent_not_bound' });
  await cp.kubectl(['delete', 'provider', 'google', '-n', 'team-p', '--wait=true', '--timeout=60s']);
  expect(await cp.kubectl(['get', 'alter-vault', '-n', 'team-p', '-o', 'name'])).toBe('');
});

test('two replicas: one leads; when it is killed mid-work the other takes over and converges without duplicates', async () => {
  await namespace('team-c');
  operators.push(startOperator(cp, vault, path.join(dir, 'processes'), 'op-2'));
  const holder = () => cp.kubectl(['get', 'lease', 'alter-vault-operator', '-n', 'default', '-o', 'jsonpath={.spec.holderIdentity}']);
  await waitFor('op-1 holds the lease', async () => (await holder().catch(() => '')) === 'op-1', procs(), 30_000);
  const names = ['s1', 's2', 's3', 's4', 's5'];
  for (const n of names) await apply(secretYaml('team-c', n, { 'api-key': `value-${n}` }));
  await apply(names.map((n) => managedSecretYaml('team-c', n, n)).join('---\n'));
  await operators[0]!.stop('SIGKILL');
  await waitFor('op-2 holds the lease', async () => (await holder()) === 'op-2', procs(), 30_000);
  for (const n of names) await waitReady('managedsecret', 'team-c', n);
  const grantIds = await Promise.all(names.map((n) => jsonpath('managedsecret', 'team-c', n, '{.status.grantId}')));
  expect(new Set(grantIds).size).toBe(names.length);
  // A restarted first replica follows: the lease stays with op-2 and nothing changes.
  const waiting = () => readFileSync(operators[0]!.logFile, 'utf8').split('waiting for the lease').length;
  const before = waiting();
  operators.push(startOperator(cp, vault, path.join(dir, 'processes'), 'op-1'));
  await waitFor('the restarted op-1 asks for the lease', async () => waiting() > before, procs(), 30_000);
  // It asks right after saying so; once op-2 has renewed the lease after that, op-1 was refused.
  const restarted = Date.now();
  const renewTime = () => cp.kubectl(['get', 'lease', 'alter-vault-operator', '-n', 'default', '-o', 'jsonpath={.spec.renewTime}']);
  await waitFor('op-2 renews the lease after op-1 asked for it', async () => Date.parse(await renewTime()) > restarted + 500, procs(), 30_000);
  expect(await holder()).toBe('op-2');
  expect(await Promise.all(names.map((n) => jsonpath('managedsecret', 'team-c', n, '{.status.grantId}')))).toEqual(grantIds);
});
