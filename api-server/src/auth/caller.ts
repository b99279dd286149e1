import type { Scope } from '@alter-vault/sdk';

/** Who makes a call: the authenticated actor, bound to one tenant. */
export interface Caller {
  tenantId: string;
  actor: { type: 'api_key'; id: string; keyPrefix: string };
  scopes: ReadonlySet<Scope>;
}
