// Kubernetes service-account tokens (projected, audience `alter-vault` by default), verified
// without an apiserver round trip: each trusted cluster's issuer publishes its keys through
// OIDC discovery, and jose checks the signature, issuer, audience, expiry and algorithm
// (jwks.ts: asymmetric algorithms only; a key the cache does not know triggers a refetch).
// One cluster's tokens may also be confirmed by its TokenReview API (token-review.ts).
import { fail, ok, Result } from '../result';
import type { TokenReviewer } from './token-review';
import { IssuerKeys, unverifiedClaims } from './jwks';

export { looksLikeJwt } from './jwks';

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
  /** Tokens of this cluster are also confirmed by its TokenReview API. */
  tokenReview?: { cluster: string; reviewer: TokenReviewer } | undefined;
}

const SUBJECT = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

export class ServiceAccountVerifier {
  private readonly keys: IssuerKeys;

  constructor(private readonly options: ServiceAccountOptions) {
    this.keys = new IssuerKeys({ timeoutMs: options.timeoutMs, cooldownMs: options.jwksCooldownMs });
  }

  async verify(token: string): Promise<Result<ServiceAccountIdentity>> {
    const claims = unverifiedClaims(token);
    if (!claims) return fail('sa_token_invalid', 'the bearer token is not a valid JWT');
    const cluster = this.options.clusters.find((c) => c.issuer === claims.iss);
    if (!cluster) return fail('sa_token_invalid', 'the token’s issuer is not a trusted cluster');
    const verified = await this.keys.verify(token, { issuer: cluster.issuer, audience: this.options.audience, requiredClaims: ['sub'] });
    if (!verified.ok) {
      return verified.unavailable
        ? fail('sa_issuer_unavailable', `the cluster issuer’s keys could not be fetched; retry shortly`)
        : fail('sa_token_invalid', `the service-account token was refused: ${verified.reason}`);
    }
    const match = SUBJECT.exec(verified.payload.sub ?? '');
    if (!match) return fail('sa_token_invalid', 'the token is not a service-account token');
    const review = this.options.tokenReview;
    if (review?.cluster === cluster.name) {
      const reviewed = await review.reviewer.review(token);
      if (!reviewed.ok) return reviewed;
    }
    return ok({ cluster: cluster.name, namespace: match[1]!, serviceAccount: match[3]! });
  }
}
