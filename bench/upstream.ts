// The third-party API of the benchmark: a small https server on 127.0.0.1 with the test
// CA's certificate, answering every request with a short JSON body. It prints its port on
// stdout once it listens. Kept minimal so its own cost stays small beside the vault's.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) throw new TypeError('usage: upstream.js <cert.pem> <key.pem>');
const body = JSON.stringify({ items: [{ id: 1, name: 'widget' }], next: null });
const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
