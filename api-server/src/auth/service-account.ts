// Kubernetes service-account tokens (projected, audience `alter-vault` by default), verified
// without an apiserver round trip: each trusted cluster's issuer publishes its keys through
// OIDC discovery, and jose checks the signature, issuer, audience, expiry and algorithm.
// Only asymmetric algorithms are accepted, so `alg: none` and HMAC-with-the-public-key
// tokens are refused; a key the cache does not know triggers a refetch (key rotation).
import { createRemoteJWKSet, decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import { fail, ok, Result } from '../result';

export interface TrustedCluster {
  /** Part of the tenant name: a namespace is a tenant per cluster. */
  name: string;
  issuer: string;
}

export interface ServiceAccountIdentity {
  cluster: string;
  namespace: string;
  serviceAccount: string;
}

export interface ServiceAccountOptions {
  clusters: TrustedCluster[];
  audience: string;
  timeoutMs: number;
  /** Minimum time between two JWKS fetches of one issuer (jose's cooldown). */
  jwksCooldownMs: number;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const SUBJECT = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** A bearer token shaped like a JWT (API keys start with `avk_`). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);
}

export class ServiceAccountVerifier {
  private readonly keySets = new Map<string, Promise<ReturnType<typeof createRemoteJWKSet>>>();

  constructor(private readonly options: ServiceAccountOptions) {}

  async verify(token: string): Promise<Result<ServiceAccountIdentity>> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return fail('sa_token_invalid', 'the bearer token is not a valid JWT');
    }
    // Decoded only to pick the issuer's keys; nothing is trusted before the signature checks.
    const cluster = this.options.clusters.find((c) => c.issuer === issuer);
    if (!cluster) return fail('sa_token_invalid', 'the token’s issuer is not a trusted cluster');
    let payload: JWTPayload;
    try {
      const keys = await this.keySet(cluster.issuer);
      ({ payload } = await jwtVerify(token, keys, {
        issuer: cluster.issuer,
        audience: this.options.audience,
        algorithms: ASYMMETRIC,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 5,
      }));
    } catch (err) {
      // Not a verdict on the token (discovery or the JWKS fetch failed): answer retryable.
      if (err instanceof IssuerUnavailable || err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
        return fail('sa_issuer_unavailable', `the cluster issuer’s keys could not be fetched; retry shortly`);
      }
      // Signature, audience, expiry, algorithm: the token is refused, whichever it was.
      return fail('sa_token_invalid', `the service-account token was refused: ${reasonOf(err)}`);
    }
    const match = SUBJECT.exec(payload.sub ?? '');
    if (!match) return fail('sa_token_invalid', 'the token is not a service-account token');
    return ok({ cluster: cluster.name, namespace: match[1]!, serviceAccount: match[3]! });
  }

  /** The issuer's key set, from its discovery document (fetched once; a failure is retried next time). */
  private keySet(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    let pending = this.keySets.get(issuer);
    if (!pending) {
      pending = this.discover(issuer);
      this.keySets.set(issuer, pending);
      pending.catch(() => this.keySets.delete(issuer));
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
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: this.options.timeoutMs, cooldownDuration: this.options.jwksCooldownMs });
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
