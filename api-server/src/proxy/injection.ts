// Puts a decrypted credential on an outgoing request. The only place plaintext secret
// material meets the request; everything here returns new objects and logs nothing.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { CodedError } from '../result';
import type { UpstreamRequest } from './forward';
import { encodeRfc3986 } from './target';

/** A grant's decrypted secret, as stored (JSON) by the secrets and OAuth services. */
export type SecretMaterial =
  | { type: 'bearer' | 'header' | 'query'; value: string; headerName?: string; paramName?: string }
  | { type: 'basic'; value: { username: string; password: string } }
  | {
      type: 'aws_sigv4';
      value: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; region: string; service: string };
    };

export interface InjectOptions {
  /** SigV4 signing time; tests pin it, production signs at the moment of sending. */
  now?: Date;
}

/** Returns a copy of `req` carrying the credential. Call it right before forward(): SigV4 signs the final request. */
export async function inject(material: SecretMaterial, req: UpstreamRequest, options: InjectOptions = {}): Promise<UpstreamRequest> {
  const headers = { ...req.headers };
  const url = new URL(req.url);
  switch (material.type) {
    case 'bearer':
      headers.authorization = `Bearer ${headerValue(material.value)}`;
      break;
    case 'header':
      if (!material.headerName) throw new TypeError('header injection needs a headerName');
      headers[material.headerName.toLowerCase()] = headerValue(material.value);
      break;
    case 'basic': {
      const { username, password } = material.value;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
      break;
    }
    case 'query':
      if (!material.paramName) throw new TypeError('query injection needs a paramName');
      setQueryParam(url, material.paramName, material.value);
      break;
    case 'aws_sigv4':
      return signSigV4(material.value, { ...req, url, headers }, options.now ?? new Date());
    default:
      throw new TypeError(`unknown secret type ${(material as { type: string }).type}`);
  }
  return { ...req, url, headers };
}

async function signSigV4(creds: Extract<SecretMaterial, { type: 'aws_sigv4' }>['value'], req: UpstreamRequest, now: Date): Promise<UpstreamRequest> {
  const s3 = creds.service === 's3';
  const signer = new SignatureV4({
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
    region: creds.region,
    service: creds.service,
    sha256: Sha256,
    // S3 signs the path as sent and requires x-amz-content-sha256; other services
    // double-encode the path and do not need the header (as botocore does).
    uriEscapePath: !s3,
    applyChecksum: s3,
  });
  const query: Record<string, string | string[]> = {};
  const pairs: [string, string][] = [...req.url.searchParams];
  for (const [k, v] of pairs) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  // Send the query exactly as SigV4 canonicalises it, so `+` or unusual escapes in the
  // caller's URL cannot make the server see a different string than the one signed.
  const url = new URL(req.url);
  url.search = pairs.map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`).join('&');
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'https:',
      hostname: url.hostname,
      path: url.pathname,
      query,
      // The host header is signed; Node sends the same value (url.host) when it is present.
      headers: { ...req.headers, host: url.host },
      body: req.body,
    },
    { signingDate: now },
  );
  return { ...req, url, headers: signed.headers };
}

/** Replaces every occurrence of `name` in the raw query (the caller's was refused earlier). */
function setQueryParam(url: URL, name: string, value: string): void {
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && decodeQueryName(pair.split('=')[0]!) !== name);
  kept.push(`${encodeRfc3986(name)}=${encodeRfc3986(value)}`);
  url.search = kept.join('&');
}

function decodeQueryName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

// The contract accepts any string as a secret; one with control characters cannot go in a
// header, and Node's error for it would be opaque. Never include the value in the message.
function headerValue(value: string): string {
  if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
    throw new CodedError('invalid_request', "the secret's value contains characters that cannot be sent in an HTTP header");
  }
  return value;
}
