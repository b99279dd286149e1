// Sends one request upstream and reads the answer, within a deadline and a size cap.
// node:https rather than fetch: Node's CA store (including NODE_EXTRA_CA_CERTS) applies,
// nothing follows redirects, and the socket can be cut the moment a limit is hit.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { ProxyRequest } from '@alter-vault/sdk';
import { fail, ok, Result } from '../result';
import { connectionHeaders } from './target';

export interface UpstreamRequest {
  method: string;
  url: URL;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: Buffer;
}

export interface UpstreamResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '; hop-by-hop and set-cookie dropped. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ForwardOptions {
  /** Deadline for the whole exchange: connect, TLS, headers and body. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Defaults to https.globalAgent (keep-alive in Node 20). */
  agent?: https.Agent;
}

// Not forwarded back: connection-level, or (set-cookie) a session the upstream minted for the
// vault's credential — handing it to the caller would let the credential leave by another name.
const droppedResponseHeaders = new Set([...connectionHeaders, 'proxy-authenticate', 'set-cookie', 'set-cookie2']);
const idempotent = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * Forwards `req` and resolves with the upstream's answer, 3xx included (never followed: a
 * Location is a host nobody checked). Expected failures are Results whose messages name the
 * host and an error code only, never the query or headers, which may carry the credential.
 */
export async function forward(req: UpstreamRequest, options: ForwardOptions): Promise<Result<UpstreamResponse>> {
  if (req.url.protocol !== 'https:') throw new TypeError('forward() only sends https requests');
  const deadline = Date.now() + options.timeoutMs;
  const first = await attempt(req, options, options.timeoutMs);
  // A kept-alive socket the server closed while idle fails before any byte is answered;
  // retry once where repeating the request is safe (RFC 9110 9.2.2), as Node's docs advise.
  if (!first.ok && first.retryable && idempotent.has(req.method) && Date.now() < deadline) {
    return (await attempt(req, options, deadline - Date.now())).result;
  }
  return first.result;
}

type Attempt = { ok: boolean; retryable: boolean; result: Result<UpstreamResponse> };

function attempt(req: UpstreamRequest, options: ForwardOptions, timeoutMs: number): Promise<Attempt> {
  const { url } = req;
  const where = url.host;
  return new Promise((resolve) => {
    let settled = false;
    let responded = false;
    let client: ReturnType<typeof https.request> | undefined;
    const done = (result: Result<UpstreamResponse>, retryable = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Destroying is a no-op on a finished exchange and cuts the socket on a failed one.
      if (!result.ok) client?.destroy();
      resolve({ ok: result.ok, retryable, result });
    };
    const timer = setTimeout(
      () => done(fail('upstream_timeout', `upstream ${where} did not answer within ${options.timeoutMs} ms`)),
      timeoutMs,
    );

    const headers: Record<string, string> = { ...req.headers };
    // Identity unless the caller asked otherwise, so text bodies come back as text and the
    // size cap measures what the caller gets.
    headers['accept-encoding'] ??= 'identity';
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    else delete headers['content-length'];

    try {
      client = https.request({
        protocol: 'https:',
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
        agent: options.agent,
      });
    } catch (err) {
      // Invalid header characters etc.: Node names the header, never its value.
      done(fail('invalid_request', `request could not be sent: ${(err as { code?: string }).code ?? 'invalid request'}`));
      return;
    }

    client.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      const retryable = (client as { reusedSocket?: boolean } | undefined)?.reusedSocket === true && code === 'ECONNRESET' && !responded;
      done(fail('upstream_unreachable', `upstream ${where} unreachable: ${describe(code)}`, { cause: code }), retryable);
    });

    client.on('response', (res: IncomingMessage) => {
      responded = true;
      // Fail fast on a declared size (a HEAD answer declares the GET's size, not its own).
      if (req.method !== 'HEAD' && Number(res.headers['content-length']) > options.maxResponseBytes) {
        res.destroy();
        done(tooLarge(where, options.maxResponseBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          res.destroy();
          done(tooLarge(where, options.maxResponseBytes));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => done(ok({ status: res.statusCode ?? 502, headers: responseHeaders(res), body: Buffer.concat(chunks, size) })));
      res.on('error', (err: NodeJS.ErrnoException) =>
        done(fail('upstream_unreachable', `upstream ${where} broke off the response: ${describe(err.code ?? 'error')}`, { cause: err.code })),
      );
      res.on('close', () => {
        if (!res.complete) done(fail('upstream_unreachable', `upstream ${where} broke off the response`));
      });
    });

    client.end(req.body);
  });
}

function tooLarge(where: string, max: number): Result<UpstreamResponse> {
  return fail('upstream_response_too_large', `upstream ${where} answered with more than ${max} bytes`);
}

function describe(code: string): string {
  if (/CERT|SSL|TLS|SELF_SIGNED|ALTNAME/i.test(code)) return `TLS certificate not trusted (${code})`;
  return code;
}

function responseHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  // Headers listed in Connection are hop-by-hop too.
  const listed = new Set(String(res.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()));
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (droppedResponseHeaders.has(name) || listed.has(name)) continue;
    out[name] = name in out ? `${out[name]}, ${raw[i + 1]}` : raw[i + 1]!;
  }
  return out;
}

// ---- bodies between the JSON envelope and the wire ----

const textTypes = /^(text\/[^;]+|application\/([\w.+-]+\+)?(json|xml)|application\/x-www-form-urlencoded|application\/javascript)$/i;

/**
 * The response body for the JSON envelope: utf8 for textual types that are valid UTF-8 and not
 * content-encoded, base64 for everything else (images, gzip, other charsets).
 */
export function encodeBody(body: Buffer, contentType?: string, contentEncoding?: string): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  const [type = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim());
  const charset = params.find((p) => /^charset=/i.test(p))?.slice(8).replace(/"/g, '').toLowerCase();
  const encoded = contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity';
  const text =
    body.length === 0 ||
    (!encoded && textTypes.test(type) && (charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii') && isUtf8(body));
  return text ? { body: body.toString('utf8'), bodyEncoding: 'utf8' } : { body: body.toString('base64'), bodyEncoding: 'base64' };
}

const base64Re = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The request body from the JSON envelope. `json` (or a non-string body without an encoding)
 * is serialised with content-type application/json; strings are utf8 unless `base64`. The
 * caller's own content-type header, if any, wins over the one suggested here.
 */
export function decodeRequestBody(
  method: ProxyRequest['method'],
  body: unknown,
  bodyEncoding?: ProxyRequest['bodyEncoding'],
): Result<{ body?: Buffer; contentType?: string }> {
  if (body === undefined) return ok({});
  if (method === 'GET' || method === 'HEAD') return fail('invalid_request', `${method} requests cannot have a body`);
  if (bodyEncoding === 'json' || (bodyEncoding === undefined && typeof body !== 'string')) {
    return ok({ body: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' });
  }
  if (typeof body !== 'string') return fail('invalid_request', `body must be a string when bodyEncoding is ${bodyEncoding}`);
  if (bodyEncoding === 'base64') {
    const decoded = Buffer.from(body, 'base64');
    // Buffer.from ignores junk silently; a round trip proves the text was base64.
    if (!base64Re.test(body) || body.length % 4 === 1 || decoded.toString('base64').replace(/=+$/, '') !== body.replace(/=+$/, '')) {
      return fail('invalid_request', 'body is not valid base64');
    }
    return ok({ body: decoded });
  }
  return ok({ body: Buffer.from(body, 'utf8') });
}
