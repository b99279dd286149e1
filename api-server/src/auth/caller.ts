import type { Scope } from '@alter-vault/sdk';
import type { DomainError } from '../result';

/** An agent: a workload authenticated by its Kubernetes service-account token. */
export interface AgentIdentity {
  id: string;
  name: string;
  /** Grants of these providers (or managed-secret slugs) in its tenant, besides grants delegated to it. */
  providers: string[];
  grants: string[];
}

/** An end user of the tenant, identified by a token of one of its identity providers. */
export interface EndUser {
  /** The principal's row id. */
  id: string;
  kind: 'user';
  /** The identity provider's name in the tenant. */
  idp: string;
  /** The token's principal claim: the principalId of the user's grants and audit rows. */
  externalId: string;
}

/** Who makes a call: the authenticated actor, bound to one tenant. */
export interface Caller {
  tenantId: string;
  actor: { type: 'api_key'; id: string; keyPrefix: string } | { type: 'agent'; id: string };
  scopes: ReadonlySet<Scope>;
  /** Set when the caller is an agent. */
  agent?: AgentIdentity;
  /** Set when an app acts for an end user (X-Alter-User-Token): it then uses only that user's grants. */
  principal?: EndUser;
  /** The key is deprecated: answers say so (a Deprecation header) until it is revoked. */
  deprecatedAt?: Date;
}

/**
 * A failed authentication. `identified` is set when the key was found but may not be used
 * (revoked, expired, outside its CIDR allow-list): its tenant can then audit the attempt.
 */
export type Authentication = { ok: true; value: Caller } | { ok: false; error: DomainError; identified?: Caller };
