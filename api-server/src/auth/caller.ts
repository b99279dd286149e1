import type { Scope } from '@alter-vault/sdk';
import type { DomainError } from '../result';

/** Who makes a call: the authenticated actor, bound to one tenant. */
export interface Caller {
  tenantId: string;
  actor: { type: 'api_key'; id: string; keyPrefix: string };
  scopes: ReadonlySet<Scope>;
  /** The key is deprecated: answers say so (a Deprecation header) until it is revoked. */
  deprecatedAt?: Date;
}

/**
 * A failed authentication. `identified` is set when the key was found but may not be used
 * (revoked, expired, outside its CIDR allow-list): its tenant can then audit the attempt.
 */
export type Authentication = { ok: true; value: Caller } | { ok: false; error: DomainError; identified?: Caller };
