// End users and delegations (the public contract v1, STYLE 3).
//
// An app acts for one of its end users by sending, beside its own API key, the user's token
// from one of the tenant's identity providers in the `X-Alter-User-Token` header. The server
// verifies it against that issuer's keys and then uses only grants whose principalId is the
// token's principal claim (`sub` unless the identity provider says otherwise): the principalId
// a connect session was started with is that same string, so grants connected for "alice" are
// used with alice's token. A grant connected with an agentId is delegated to that agent.
import { z } from 'zod';

/** The header carrying the end user's ID token (a JWT of one of the tenant's identity providers). */
export const USER_TOKEN_HEADER = 'X-Alter-User-Token';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and dashes');
const httpsUrl = z.url({ protocol: /^https$/, error: 'expected an https URL' }).max(2048);

// PUT /v1/identity-providers/{name}, GET /v1/identity-providers.
export const identityProviderPath = z.strictObject({ name });
export const putIdentityProviderRequest = z
  .strictObject({
    /** The OIDC issuer: its discovery document names the keys (jwks_uri) tokens are checked against. */
    issuer: httpsUrl,
    /** The `aud` the tokens must carry (the app's client id at the issuer, usually). */
    audience: z.string().min(1).max(512),
    /** The claim naming the user (a dotted path for nested claims); `sub` by default. */
    principalClaim: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, 'expected a claim name, or a dotted path')
      .optional(),
    /** The vault's own client at the issuer, for end users signing in to the wallet. */
    clientId: z.string().min(1).max(512).optional(),
    /** Omitted on an update: the stored secret stays (while clientId is unchanged). */
    clientSecret: z.string().min(1).max(4096).optional(),
  })
  .refine((b) => b.clientSecret === undefined || b.clientId !== undefined, { path: ['clientSecret'], message: 'clientSecret needs a clientId' });
export type PutIdentityProviderRequest = z.infer<typeof putIdentityProviderRequest>;
export interface IdentityProviderInfo {
  name: string;
  issuer: string;
  audience: string;
  principalClaim: string;
  clientId: string | null;
  hasClientSecret: boolean;
  createdAt: string;
  updatedAt: string;
}
export interface IdentityProviderList {
  identityProviders: IdentityProviderInfo[];
}

// GET /v1/grants/{id}/delegations, DELETE /v1/grants/{id}/delegations/{agentId}.
export const delegationPath = z.strictObject({ id: z.uuid(), agentId: z.string().min(1).max(256) });
export interface DelegationInfo {
  id: string;
  grantId: string;
  /** The agent's id (an Agent's status.agentId), as the connect session named it. */
  agentId: string;
  createdAt: string;
  /** Set once revoked: the agent may no longer use the grant through this delegation. */
  revokedAt: string | null;
}
export interface DelegationList {
  /** Live and revoked, newest first. */
  delegations: DelegationInfo[];
}
