// Vault.fromServiceAccount against the real api-server trusting a JWKS issuer: an agent's
// calls succeed with the token file's token, and go on succeeding after the file is replaced
// with a token signed by the issuer's next key (the kubelet's rotation and the cluster's key
// rotation at once); a token the vault refuses surfaces as the typed error.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApp, type TestApp } from '../../../api-server/src/testing/app';
import { startHttpsUpstream, type HttpsUpstream } from '../../../api-server/src/testing/https-upstream';
import { startJwksIssuer, type JwksIssuer } from '../../../api-server/src/testing/jwks-issuer';
import { Unauthenticated, Vault } from './index';

let t: TestApp;
let issuer: JwksIssuer;
let upstream: HttpsUpstream;
let dir: string;
let grantId: string;

beforeAll(async () => {
  issuer = await startJwksIssuer();
  upstream = await startHttpsUpstream();
  t = await startTestApp({ env: { ALTER_K8S_ISSUERS: `prod=${issuer.url}`, ALTER_K8S_JWKS_COOLDOWN_MS: '0' } });
  dir = mkdtempSync(path.join(os.tmpdir(), 'alter-sa-vault-'));
  const admin = new Vault({ baseUrl: t.url, apiKey: t.bootstrapKey });
  const ref = { cluster: 'prod', namespace: 'agents', name: 'search-api' };
  grantId = (await admin.admin.putSecret(ref, { name: 'search-api', type: 'bearer', value: 'search-api-secret-value', allowedHosts: [upstream.host] })).grantId;
  await admin.admin.putAgent({ ...ref, name: 'researcher' }, { uid: 'uid-researcher', serviceAccountName: 'researcher', providers: ['search-api'] });
});

afterAll(async () => {
  await t?.stop();
  await upstream?.close();
  await issuer?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an agent calls through the vault with its projected token, before and after the token (and the signing key) rotate', async () => {
  const tokenPath = path.join(dir, 'token');
  writeFileSync(tokenPath, await issuer.token('agents', 'researcher'));
  const vault = Vault.fromServiceAccount({ baseUrl: t.url, tokenPath });
  const call = async () => (JSON.parse(await (await vault.request('GET', `${upstream.url}/echo`, { grantId })).text()) as { headers: Record<string, string> }).headers.authorization;
  expect(await call()).toBe('Bearer search-api-secret-value');

  await issuer.rotate();
  writeFileSync(`${tokenPath}.new`, await issuer.token('agents', 'researcher'));
  renameSync(`${tokenPath}.new`, tokenPath);
  expect(await call()).toBe('Bearer search-api-secret-value');

  writeFileSync(`${tokenPath}.new`, await issuer.token('agents', 'researcher', { audience: 'kubernetes' }));
  renameSync(`${tokenPath}.new`, tokenPath);
  const refused = await call().catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(Unauthenticated);
  expect(refused).toMatchObject({ code: 'sa_token_invalid', status: 401 });
});
