// JWTs of an OIDC issuer, verified without a round trip to it: the issuer's discovery document
// names its key set (jwks_uri, https only), fetched once and cached by jose, and jose checks
// the signature, issuer, audience, expiry and algorithm. Only asymmetric algorithms are
// accepted, so `alg: none` and HMAC-with-the-public-key tokens are refused; a key the cache
// does not know triggers a refetch (key rotation), at most once per cooldown.
// Used for Kubernetes service-account tokens (service-account.ts) and end users' tokens (user-token.ts).
import { createRemoteJWKSet, decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** A bearer token shaped like a JWT (API keys start with `avk_`). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The claims of an unverified token, only to pick whose keys check it (its `iss`): nothing in
 * them is trusted before the signature verifies. Undefined when the token does not decode.
 */
export function unverifiedClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

export interface IssuerKeysOptions {
  /** Bounds discovery and every JWKS fetch. */
  timeoutMs: number;
  /** Minimum time between two JWKS fetches of one issuer (jose's cooldown). */
  cooldownMs: number;
  /** Issuers whose key sets are kept at once (the least recently added go first). */
  maxIssuers?: number;
}

/** Why a token was not verified: refused (a verdict on the token), or the issuer could not be asked. */
export type JwtVerification = { ok: true; payload: JWTPayload } | { ok: false; unavailable: false; reason: string } | { ok: false; unavailable: true; reason: string };

export class IssuerKeys {
  private readonly keySets = new Map<string, Promise<ReturnType<typeof createRemoteJWKSet>>>();

  constructor(private readonly options: IssuerKeysOptions) {}

  async verify(token: string, expected: { issuer: string; audience: string; requiredClaims?: string[] }): Promise<JwtVerification> {
    try {
      const keys = await this.keySet(expected.issuer);
      const { payload } = await jwtVerify(token, keys, {
        issuer: expected.issuer,
        audience: expected.audience,
        algorithms: ASYMMETRIC_ALGORITHMS,
        requiredClaims: ['exp', ...(expected.requiredClaims ?? [])],
        clockTolerance: 5,
      });
      return { ok: true, payload };
    } catch (err) {
      // Not a verdict on the token (discovery or the JWKS fetch failed): the caller answers retryable.
      if (err instanceof IssuerUnavailable || err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
        return { ok: false, unavailable: true, reason: err instanceof IssuerUnavailable ? err.message : `the keys of ${expected.issuer} could not be fetched` };
      }
      // Signature, audience, expiry, algorithm: the token is refused, whichever it was.
      return { ok: false, unavailable: false, reason: reasonOf(err) };
    }
  }

  /** The issuer's key set, from its discovery document (fetched once; a failure is retried next time). */
  private keySet(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    let pending = this.keySets.get(issuer);
    if (!pending) {
      pending = this.discover(issuer);
      const max = this.options.maxIssuers ?? 1_000;
      if (this.keySets.size >= max) this.keySets.delete(this.keySets.keys().next().value!);
      this.keySets.set(issuer, pending);
      pending.catch(() => {
        if (this.keySets.get(issuer) === pending) this.keySets.delete(issuer);
      });
    }
    return pending;
  }

  private async discover(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    let jwksUri: unknown;
    try {
      const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(this.options.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      jwksUri = ((await res.json()) as { jwks_uri?: unknown }).jwks_uri;
    } catch (err) {
      throw new IssuerUnavailable(`discovery at ${issuer} failed: ${(err as Error).message}`);
    }
    if (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://')) throw new IssuerUnavailable(`${issuer} publishes no https jwks_uri`);
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: this.options.timeoutMs, cooldownDuration: this.options.cooldownMs });
  }
}

class IssuerUnavailable extends Error {}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} is not as required`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) return 'signature does not verify';
  return 'malformed';
}
