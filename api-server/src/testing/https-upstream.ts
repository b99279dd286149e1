// A local https server standing in for a third-party API in integration tests and the
// benchmark. It listens on 127.0.0.1 with the test CA's server certificate, so clients in
// test workers trust it through NODE_EXTRA_CA_CERTS, and it records what it received.
//
// Routes (any method):
//   /echo...                 200 JSON {method, path, headers, body (utf8), bodyBase64}
//   /status/<n>              status n, body `status n`
//   /redirect?to=<url>       302 to <url> (default https://example.com/)
//   /slow?ms=<n>             answers /echo after n ms
//   /hang                    reads the request, never answers
//   /big?bytes=<n>           n bytes of 'x' (streamed in 64 KiB chunks, no content-length)
//   /headers?<name>=<value>  200 with each query pair as a response header (repeats allowed)
//   /drop                    destroys the connection without answering
//   /first-per-connection    answers /echo for a connection's first request, drops later ones
//                            (a server closing an idle kept-alive socket as it is reused)
//   anything else            404
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { testEnv } from '../../../testenv/env';

export interface ReceivedRequest {
  method: string;
  /** Path and raw query as received. */
  path: string;
  /** Lower-case names; repeated headers joined with ', ' (as Node does). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpsUpstream {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the form an allowedHosts entry takes. */
  host: string;
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpsUpstream(tls?: { cert: string | Buffer; key: string | Buffer }): Promise<HttpsUpstream> {
  const { cert, key } = tls ?? (() => {
    const env = testEnv();
    return { cert: readFileSync(env.serverCertFile), key: readFileSync(env.serverKeyFile) };
  })();
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const served = new WeakMap<object, number>();

  const server = https.createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body });
      route(req, res, body);
    });
  });

  function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://upstream.invalid');
    const p = url.pathname;
    const status = /^\/status\/(\d{3})$/.exec(p);
    if (p.startsWith('/echo')) return echo(req, res, body);
    if (status) {
      res.writeHead(Number(status[1]), { 'content-type': 'text/plain' });
      return void res.end(`status ${status[1]}`);
    }
    if (p === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? 'https://example.com/' });
      return void res.end();
    }
    if (p === '/slow') {
      const t = setTimeout(() => {
        timers.delete(t);
        echo(req, res, body);
      }, Number(url.searchParams.get('ms') ?? 1000));
      timers.add(t);
      return;
    }
    if (p === '/hang') return;
    if (p === '/drop') return void req.socket.destroy();
    if (p === '/first-per-connection') {
      const n = served.get(req.socket) ?? 0;
      served.set(req.socket, n + 1);
      return n === 0 ? echo(req, res, body) : void req.socket.destroy();
    }
    if (p === '/big') return big(res, Number(url.searchParams.get('bytes') ?? 1_048_576));
    if (p === '/headers') {
      const headers: [string, string][] = [...url.searchParams];
      res.writeHead(200, headers.flat());
      return void res.end('ok');
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }

  function echo(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const out = Buffer.from(JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body: body.toString('utf8'), bodyBase64: body.toString('base64') }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length });
    res.end(out);
  }

  function big(res: ServerResponse, bytes: number): void {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(65_536, 'x');
    let left = bytes;
    const write = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', write);
      }
      res.end();
    };
    res.on('close', () => (left = 0));
    write();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Hanging and kept-alive connections would otherwise keep close() (and jest) waiting.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
