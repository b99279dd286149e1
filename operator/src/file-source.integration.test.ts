// The embedded mode: the operator's reconcilers fed from a folder of YAML, against a real vault.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Vault } from '@alter-vault/sdk';
import { startTestApp, type TestApp } from '../../api-server/src/testing/app';
import { startHttpsUpstream, type HttpsUpstream } from '../../api-server/src/testing/https-upstream';
import { reconcileFolder } from './file-source';

let t: TestApp;
let upstream: HttpsUpstream;
let dir: string;

beforeAll(async () => {
  t = await startTestApp();
  upstream = await startHttpsUpstream();
  dir = mkdtempSync(path.join(os.tmpdir(), 'alter-resources-'));
});

afterAll(async () => {
  await t?.stop();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

const resources = (value: string) => `apiVersion: v1
kind: Secret
metadata: { name: openai }
stringData: { api-key: ${value} }
---
apiVersion: vault.alterauth.com/v1alpha1
kind: ManagedSecret
metadata: { name: openai }
spec:
  type: bearer
  secretRef: { name: openai, key: api-key }
  allowedHosts: ["${upstream.host}"]
---
apiVersion: vault.alterauth.com/v1alpha1
kind: Provider
metadata: { name: google }
spec:
  template: google
  clientId: client.apps.googleusercontent.com
  clientSecretRef: { name: google-oauth, key: clientSecret }
`;

test('the folder’s ManagedSecret serves the bootstrap key’s tenant; re-applying with a new value rotates it in place; a missing Secret is reported', async () => {
  const vault = new Vault({ baseUrl: t.url, apiKey: t.bootstrapKey });
  writeFileSync(path.join(dir, 'resources.yaml'), resources('file-secret-one'));
  const first = await reconcileFolder(dir, vault, 'default');
  const secret = first.find((r) => r.kind === 'ManagedSecret')!;
  expect(secret.state.ready).toBe(true);
  const grantId = secret.fields.grantId as string;
  expect(first.find((r) => r.kind === 'Provider')!.state).toMatchObject({ ready: false, reason: 'SecretNotFound' });

  const call = async () => JSON.parse(await (await vault.request('GET', `${upstream.url}/echo`, { grantId })).text()).headers.authorization;
  expect(await call()).toBe('Bearer file-secret-one');
  writeFileSync(path.join(dir, 'resources.yaml'), resources('file-secret-two'));
  const second = await reconcileFolder(dir, vault, 'default');
  expect(second.find((r) => r.kind === 'ManagedSecret')!.fields.grantId).toBe(grantId);
  expect(await call()).toBe('Bearer file-secret-two');
});

test('a document of an unknown kind of the group is an error naming it', async () => {
  writeFileSync(path.join(dir, 'bad.yaml'), 'apiVersion: vault.alterauth.com/v1alpha1\nkind: Widget\nmetadata: { name: w }\n');
  await expect(reconcileFolder(dir, new Vault({ baseUrl: t.url, apiKey: t.bootstrapKey }), 'default')).rejects.toThrow('Widget default/w is not a kind of vault.alterauth.com/v1alpha1');
  rmSync(path.join(dir, 'bad.yaml'));
});
