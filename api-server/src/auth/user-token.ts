// End users' tokens: an app acting for one of its end users sends, beside its own API key, the
// user's ID token from one of the tenant's identity providers in X-Alter-User-Token. It is
// verified against that issuer's published keys (jwks.ts: discovery, cached, rotation picked
// up; asymmetric algorithms only; issuer, audience and expiry checked), and the principal it
// names is created the first time it is seen. The caller then acts for that principal: it uses
// only grants whose principalId is the token's principal claim (the string a connect session
// was started with), and every audit row names it.
import { USER_TOKEN_HEADER } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import { fail, ok, Result } from '../result';
import type { Database } from '../store/schema';
import type { Authentication, Caller } from './caller';
import { identityProviderForIssuer } from './identity-provider.service';
import { upsertPrincipal } from './identity-provider.repository';
import { IssuerKeys, looksLikeJwt, unverifiedClaims } from './jwks';

/** The longest principal id a connect session takes: a longer claim could name no grant. */
const MAX_PRINCIPAL_ID = 256;

export interface UserTokenOptions {
  timeoutMs: number;
  /** Minimum time between two JWKS fetches of one issuer (jose's cooldown). */
  jwksCooldownMs: number;
}

export class UserTokenVerifier {
  private readonly keys: IssuerKeys;

  constructor(
    private readonly db: Kysely<Database>,
    options: UserTokenOptions,
  ) {
    this.keys = new IssuerKeys({ timeoutMs: options.timeoutMs, cooldownMs: options.jwksCooldownMs });
  }

  /** The identity provider and principal claim of a valid token of one of the tenant's identity providers. */
  async verify(tenantId: string, token: string): Promise<Result<{ idp: string; externalId: string }>> {
    const claims = looksLikeJwt(token) ? unverifiedClaims(token) : undefined;
    if (!claims) return fail('user_token_invalid', `${USER_TOKEN_HEADER} is not a JWT`);
    const idp = typeof claims.iss === 'string' ? await identityProviderForIssuer(this.db, tenantId, claims.iss) : undefined;
    if (!idp) return fail('user_token_invalid', 'the user token’s issuer is not an identity provider of this tenant (PUT /v1/identity-providers/{name})');
    const verified = await this.keys.verify(token, { issuer: idp.issuer, audience: idp.audience });
    if (!verified.ok) {
      return verified.unavailable
        ? fail('idp_unavailable', `the keys of identity provider "${idp.name}" could not be fetched; retry shortly`)
        : fail('user_token_invalid', `the user token was refused: ${verified.reason}`);
    }
    const externalId = claimAt(verified.payload, idp.principalClaim);
    if (externalId === undefined) return fail('user_token_invalid', `the user token has no ${idp.principalClaim} claim naming the user`);
    if (externalId.length > MAX_PRINCIPAL_ID) return fail('user_token_invalid', `the user token’s ${idp.principalClaim} claim is longer than ${MAX_PRINCIPAL_ID} characters`);
    return ok({ idp: idp.name, externalId });
  }
}

/**
 * The caller acting for the end user of the X-Alter-User-Token header; the caller unchanged
 * without it (an app key then acts for the tenant's system). An agent acts as itself only: an
 * agent credential with a user token is refused. A refusal keeps the caller as `identified`,
 * so a refused use is audited in its tenant.
 */
export async function actForEndUser(deps: { db: Kysely<Database>; userTokens: UserTokenVerifier }, caller: Caller, userToken: string | undefined): Promise<Authentication> {
  if (userToken === undefined) return ok(caller);
  if (caller.actor.type === 'agent') return { ...fail('invalid_request', `an agent acts as itself: send ${USER_TOKEN_HEADER} with an app’s API key, not with a service-account token`), identified: caller };
  const verified = await deps.userTokens.verify(caller.tenantId, userToken);
  if (!verified.ok) return { ...verified, identified: caller };
  const principal = await upsertPrincipal(deps.db, { tenantId: caller.tenantId, kind: 'user', idp: verified.value.idp, externalId: verified.value.externalId });
  return ok({ ...caller, principal: { id: principal.id, kind: 'user', idp: principal.idp, externalId: principal.external_id } });
}

/** A claim's value by name or dotted path: a non-empty string, or a number as a string. */
function claimAt(payload: Record<string, unknown>, path: string): string | undefined {
  let value: unknown = payload;
  for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}
