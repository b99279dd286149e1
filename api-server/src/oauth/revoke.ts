// DELETE /v1/grants/{id}: revoke at the provider where it can (RFC 7009 or its own way),
// then delete the ciphertext and mark the grant revoked. The provider call happens under the
// grant's row lock, so no refresh can mint a new token meanwhile. The local revocation
// happens even when the provider's fails; the audit row says which of the two happened.
import type { Envelope } from '../crypto/envelope';
import type { Metrics } from '../metrics';
import { lockGrantById, revokeGrantRow } from '../grants/grant.repository';
import type { Logger } from '../logger';
import { fail, ok, Result } from '../result';
import type { Database } from '../store/schema';
import type { Kysely } from 'kysely';
import type { Catalog } from './catalog';
import { OAuthClient, providerErrorCode } from './oidc-client';
import { openProvider } from './provider.service';
import { openTokens } from './tokens';

export interface RevokeDeps {
  db: Kysely<Database>;
  envelope: Envelope;
  catalog: Catalog;
  metrics: Pick<Metrics, 'providerTokenRequests'>;
  logger: Logger;
  providerTimeoutMs: number;
}

/** What happened at the provider: revoked there, the provider has no revocation, or it failed. */
export type ProviderRevocation = 'revoked' | 'unsupported' | 'failed' | 'already_revoked';

export async function revokeGrant(deps: RevokeDeps, tenantId: string, grantId: string, now: Date): Promise<Result<{ provider: string; principalId: string | null; providerRevocation: ProviderRevocation }>> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await lockGrantById(trx, tenantId, grantId);
    if (!row) return fail('grant_not_found', 'no such grant');
    if (row.kind === 'secret') return fail('invalid_request', 'this grant is a managed secret: delete it with DELETE /v1/secrets/{id}');
    if (row.status === 'revoked') return ok({ provider: row.provider, principalId: row.principal_id, providerRevocation: 'already_revoked' as const });
    let providerRevocation: ProviderRevocation = 'unsupported';
    if (row.ciphertext && row.dek_id) {
      const tokens = await openTokens(deps.envelope, trx, { tenantId, grantId, dekId: row.dek_id, ciphertext: row.ciphertext });
      const opened = await openProvider(deps, trx, tenantId, row.provider);
      if (opened.ok) {
        try {
          const client = new OAuthClient(opened.value.provider, opened.value.clientSecret, { timeoutMs: deps.providerTimeoutMs, metrics: deps.metrics });
          providerRevocation = await client.revoke({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
        } catch (err) {
          deps.logger.warn({ grantId, provider: row.provider, error: providerErrorCode(err) ?? (err as Error).message }, 'provider revocation failed; the grant is revoked here');
          providerRevocation = 'failed';
        }
      } else {
        providerRevocation = 'failed';
      }
    }
    await revokeGrantRow(trx, grantId, now);
    return ok({ provider: row.provider, principalId: row.principal_id, providerRevocation });
  });
}
