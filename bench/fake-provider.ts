// The OAuth provider of bench/refresh.ts: a token endpoint over https on 127.0.0.1 with the
// test CA's certificate. POST /token answers grant_type=refresh_token, after a fixed delay
// that stands for the provider's round trip, with a new access token (expires_in 3600) and a
// rotated refresh token. A refresh token is accepted once only (invalid_grant afterwards), so
// a grant refreshed twice would end needs_reauth and fail the benchmark's checks. GET /calls
// answers the number of token requests so far. Prints its port on stdout once it listens.
//   node -r ./bench/ts-register.js bench/fake-provider.ts <cert.pem> <key.pem> <delay ms>
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';

const [certFile, keyFile, delay] = process.argv.slice(2);
if (!certFile || !keyFile || !delay) throw new TypeError('usage: fake-provider.ts <cert.pem> <key.pem> <delay ms>');
const delayMs = Number(delay);
const used = new Set<string>();
let calls = 0;

const token = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;
const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) }).end(text);
};

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 60_000 }, async (req, res) => {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  if (req.method === 'GET' && req.url === '/calls') return json(res, 200, { calls });
  if (req.method !== 'POST' || req.url !== '/token') return json(res, 404, { error: 'not_found' });
  calls++;
  const form = new URLSearchParams(raw);
  const refreshToken = form.get('refresh_token');
  setTimeout(() => {
    if (form.get('grant_type') !== 'refresh_token' || !refreshToken || used.has(refreshToken)) return json(res, 400, { error: 'invalid_grant' });
    used.add(refreshToken);
    json(res, 200, { access_token: token('at_'), token_type: 'Bearer', expires_in: 3600, refresh_token: token('rt_') });
  }, delayMs);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
