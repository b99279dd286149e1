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

/** Who makes a call: the authenticated actor, bound to one tenant. */
export interface Caller {
  tenantId: string;
  actor: { type: 'api_key'; id: string; keyPrefix: string } | { type: 'agent'; id: string };
  scopes: ReadonlySet<Scope>;
  /** Set when the caller is an agent. */
  agent?: AgentIdentity;
  /** The key is deprecated: answers say so (a Deprecation header) until it is revoked. */
  deprecatedAt?: Date;
}

/**
 * A failed authentication. `identified` is set when the key was found but may not be used
 * (revoked, expired, outside its CIDR allow-list): its tenant can then audit the attempt.
 */
export type Authentication = { ok: true; value: Caller } | { ok: false; error: DomainError; identified?: Caller };
