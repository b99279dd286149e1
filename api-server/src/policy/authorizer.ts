// The authorization seam of the hot path (DESIGN step 3). Today a use is allowed when the
// caller's key carries the action's scope; the Cerbos check plugs in here, behind the
// same interface, and must fail closed.
import type { Scope } from '@alter-vault/sdk';
import type { Caller } from '../auth/caller';
import type { Grant } from '../grants/grant';
import { fail, ok, Result } from '../result';

export type GrantAction = 'proxy' | 'retrieve_token';

export interface AuthorizationRequest {
  caller: Caller;
  grant: Grant;
  action: GrantAction;
}

export interface Authorizer {
  authorize(request: AuthorizationRequest): Promise<Result<void>>;
}

const scopeOf: Record<GrantAction, Scope> = { proxy: 'proxy:execute', retrieve_token: 'tokens:retrieve' };

export const scopeAuthorizer: Authorizer = {
  async authorize({ caller, action }) {
    const scope = scopeOf[action];
    return caller.scopes.has(scope) ? ok(undefined) : fail('missing_scope', `this key lacks the ${scope} scope`);
  },
};
