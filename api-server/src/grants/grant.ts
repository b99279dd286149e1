import type { Injection } from '@alter-vault/sdk';

/** A credential addressed by its grant id: a managed secret or an OAuth grant. */
export interface Grant {
  id: string;
  tenantId: string;
  kind: 'secret' | 'oauth';
  provider: string;
  status: 'active' | 'revoked' | 'needs_reauth';
  injection: Injection;
  allowedHosts: string[];
  createdAt: Date;
  updatedAt: Date;
  /** OAuth only: when the access token expires (null: never, or a managed secret). */
  accessExpiresAt: Date | null;
  /** OAuth only: the end user whose grant this is (a connect session's principalId); null for managed secrets. */
  principalId: string | null;
  /** The agents this grant is delegated to (live delegations, sorted). */
  delegatedTo: string[];
  /** OAuth only: scopes the provider now requires that the grant lacks. */
  missingScopes: string[] | null;
}

/** The sealed credential of a grant, decrypted only on the hot path. */
export interface SealedCredential {
  tenantId: string;
  grantId: string;
  dekId: string;
  ciphertext: Buffer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Grant ids are UUIDs; anything else names no grant (and must not reach a uuid column). */
export function isGrantId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
