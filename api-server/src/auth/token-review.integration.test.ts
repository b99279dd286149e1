// The TokenReview client against a local https server answering as an apiserver would (the
// e2e tier asks a real kube-apiserver): a "no" is sa_token_invalid, no answer is
// tokenreview_unavailable, never an allow.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { testEnv } from '../../../testenv/env';
import { TokenReviewer } from './token-review';

let server: https.Server;
let url: string;
let dir: string;
let answer: { status: number; body: unknown };
const seen: { authorization?: string; body: { spec?: { token?: string; audiences?: string[] } } }[] = [];

beforeAll(async () => {
  const env = testEnv();
  server = https.createServer({ cert: readFileSync(env.serverCertFile), key: readFileSync(env.serverKeyFile) }, (req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      seen.push({ authorization: req.headers.authorization, body: JSON.parse(raw) });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(path.join(os.tmpdir(), 'alter-tokenreview-'));
  writeFileSync(path.join(dir, 'token'), 'vault-own-token\n');
  writeFileSync(path.join(dir, 'ca.crt'), readFileSync(env.caFile));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const reviewer = (server = url) => new TokenReviewer({ server, tokenFile: path.join(dir, 'token'), caFile: path.join(dir, 'ca.crt'), audience: 'alter-vault', timeoutMs: 2_000 });
const status = (s: unknown) => ({ status: 201, body: { kind: 'TokenReview', status: s } });

test('asks with the vault’s own token and the audience; an authenticated answer for the audience is an allow', async () => {
  answer = status({ authenticated: true, audiences: ['alter-vault'] });
  expect(await reviewer().review('the-agent-token')).toEqual({ ok: true, value: undefined });
  expect(seen.at(-1)).toEqual({ authorization: 'Bearer vault-own-token', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'the-agent-token', audiences: ['alter-vault'] } } });
});

test('a "no", or a yes for another audience, is sa_token_invalid', async () => {
  answer = status({ authenticated: false, error: 'serviceaccounts "x" not found' });
  expect(await reviewer().review('t')).toMatchObject({ ok: false, error: { code: 'sa_token_invalid' } });
  answer = status({ authenticated: true, audiences: ['kubernetes'] });
  expect(await reviewer().review('t')).toMatchObject({ ok: false, error: { code: 'sa_token_invalid' } });
});

test('no answer, an error status or garbage is tokenreview_unavailable', async () => {
  expect(await reviewer('https://127.0.0.1:9').review('t')).toMatchObject({ ok: false, error: { code: 'tokenreview_unavailable' } });
  answer = { status: 403, body: { kind: 'Status' } };
  expect(await reviewer().review('t')).toMatchObject({ ok: false, error: { code: 'tokenreview_unavailable' } });
});
