// Proves the e2e harness: a real etcd + kube-apiserver + kube-controller-manager, kubectl and
// helm from the cache of scripts/control-plane.sh, and a service-account issuer that a verifier
// without credentials can use, as Alter Vault will.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, JSONWebKeySet, jwtVerify } from 'jose';
import { TEST_ENV_DIR } from '../../testenv/env';
import { ControlPlane, request, startControlPlane } from './control-plane';

let cp: ControlPlane;

beforeAll(async () => {
  const logs = path.join(TEST_ENV_DIR, 'e2e');
  mkdirSync(logs, { recursive: true });
  // Each run gets its own directory; the components' logs stay there after stop().
  cp = await startControlPlane({ dir: mkdtempSync(path.join(logs, 'control-plane-')) });
});

afterAll(async () => {
  await cp?.stop();
});

/** Polls until fn returns true, failing with `what` at the deadline. */
async function eventually(what: string, timeoutMs: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(250);
  }
}

const api = (p: string) => request(`${cp.server}${p}`, { ca: cp.caPem, token: cp.adminToken });

test('without the binaries it fails at once, naming the command that builds them', async () => {
  const saved = process.env.ALTER_CONTROL_PLANE_CACHE;
  const empty = mkdtempSync(path.join(TEST_ENV_DIR, 'e2e', 'empty-cache-'));
  process.env.ALTER_CONTROL_PLANE_CACHE = empty;
  try {
    await expect(startControlPlane({ dir: path.join(empty, 'run') })).rejects.toThrow(`ALTER_CONTROL_PLANE_CACHE=${empty} scripts/control-plane.sh`);
  } finally {
    if (saved === undefined) delete process.env.ALTER_CONTROL_PLANE_CACHE;
    else process.env.ALTER_CONTROL_PLANE_CACHE = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});

test('kubectl reaches the apiserver of the pinned version with the admin kubeconfig', async () => {
  const version = JSON.parse(await cp.kubectl(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
  expect(version.serverVersion.gitVersion).toMatch(/^v1\.36\./);
  await cp.kubectl(['create', 'namespace', 'team-a']);
  await cp.kubectl(['create', 'serviceaccount', 'sa-a', '-n', 'team-a']);
  expect((await cp.kubectl(['get', 'serviceaccount', 'sa-a', '-n', 'team-a', '-o', 'name'])).trim()).toBe('serviceaccount/sa-a');
});

test('a token for alter-vault verifies against the issuer JWKS, fetched without credentials', async () => {
  const token = (await cp.kubectl(['create', 'token', 'sa-a', '-n', 'team-a', '--audience', 'alter-vault'])).trim();

  const discovery = await request(`${cp.issuer}/.well-known/openid-configuration`, { ca: cp.caPem });
  expect(discovery.status).toBe(200);
  const doc = JSON.parse(discovery.body) as { issuer: string; jwks_uri: string };
  expect(doc.issuer).toBe(cp.issuer);
  expect(doc.jwks_uri).toBe(`${cp.issuer}/openid/v1/jwks`);
  // What jose's createRemoteJWKSet asks for: the apiserver answers application/jwk-set+json.
  const jwks = await request(doc.jwks_uri, { ca: cp.caPem, accept: 'application/json, application/jwk-set+json' });
  expect(jwks.status).toBe(200);
  const keys = createLocalJWKSet(JSON.parse(jwks.body) as JSONWebKeySet);

  const { payload, protectedHeader } = await jwtVerify(token, keys, { issuer: cp.issuer, audience: 'alter-vault' });
  expect(protectedHeader.alg).toBe('RS256');
  expect(payload.aud).toEqual(['alter-vault']);
  expect(payload.sub).toBe('system:serviceaccount:team-a:sa-a');

  // A token minted for another audience does not pass as one for Alter Vault.
  const other = (await cp.kubectl(['create', 'token', 'sa-a', '-n', 'team-a', '--audience', 'someone-else'])).trim();
  await expect(jwtVerify(other, keys, { issuer: cp.issuer, audience: 'alter-vault' })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
});

test('the garbage collector deletes a dependent once its owner is gone', async () => {
  await cp.kubectl(['create', 'configmap', 'owner', '-n', 'team-a']);
  const uid = (await cp.kubectl(['get', 'configmap', 'owner', '-n', 'team-a', '-o', 'jsonpath={.metadata.uid}'])).trim();
  const dependent = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'dependent', namespace: 'team-a', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] },
  };
  await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(dependent) });
  await cp.kubectl(['delete', 'configmap', 'owner', '-n', 'team-a', '--wait=false']);
  await eventually('deletion of the dependent ConfigMap', 60_000, async () => (await api('/api/v1/namespaces/team-a/configmaps/dependent')).status === 404);
});

test('a deleted namespace goes away with its contents (the namespace controller runs)', async () => {
  await cp.kubectl(['delete', 'namespace', 'team-a', '--wait=false']);
  await eventually('removal of namespace team-a', 60_000, async () => (await api('/api/v1/namespaces/team-a')).status === 404);
  expect((await api('/api/v1/namespaces/team-a/serviceaccounts/sa-a')).status).toBe(404);
});

test('helm runs', async () => {
  expect(await cp.helm(['version', '--template', '{{.Version}}'])).toMatch(/^v4\./);
  // It reaches the cluster through the same kubeconfig: no releases yet.
  expect((await cp.helm(['list', '--all-namespaces', '-o', 'json'])).trim()).toBe('[]');
});
