// Optional confirmation of a service-account token by the cluster's TokenReview API: unlike
// the JWKS check, it sees a deleted pod or service account. The api-server authenticates to
// its own apiserver with the pod's mounted token; failures to ask are kept apart from a "no".
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { fail, ok, Result } from '../result';

export interface TokenReviewOptions {
  /** The apiserver, e.g. https://kubernetes.default.svc. */
  server: string;
  /** The api-server's own token (re-read per review: the kubelet rotates it). */
  tokenFile: string;
  /** The apiserver's CA (PEM). */
  caFile: string;
  audience: string;
  timeoutMs: number;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  audiences?: string[];
  error?: string;
}

export class TokenReviewer {
  constructor(private readonly o: TokenReviewOptions) {}

  async review(token: string): Promise<Result<void>> {
    let status: TokenReviewStatus;
    try {
      status = await this.post({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [this.o.audience] } });
    } catch (err) {
      return fail('tokenreview_unavailable', `the cluster's TokenReview API could not be asked: ${(err as Error).message}; retry shortly`);
    }
    if (!status.authenticated || !(status.audiences ?? [this.o.audience]).includes(this.o.audience)) {
      return fail('sa_token_invalid', 'the cluster no longer accepts this service-account token (TokenReview)');
    }
    return ok(undefined);
  }

  private post(body: unknown): Promise<TokenReviewStatus> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL('/apis/authentication.k8s.io/v1/tokenreviews', this.o.server),
        {
          method: 'POST',
          ca: readFileSync(this.o.caFile),
          timeout: this.o.timeoutMs,
          headers: { authorization: `Bearer ${readFileSync(this.o.tokenFile, 'utf8').trim()}`, 'content-type': 'application/json', accept: 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 201 && res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
            try {
              resolve(((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: TokenReviewStatus }).status ?? {}));
            } catch {
              reject(new Error('an answer that is not JSON'));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.o.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
