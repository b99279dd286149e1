// The authorization seam of the hot path (DESIGN request flow, step 3): every use of a grant
// is decided by the Cerbos policy decision point (policies/resources/grant.yaml). It fails
// closed: no answer in time, a transport error or an answer without a decision is
// `policy_unavailable`, never an allow.
import { type OutputResult, ServiceStatus, type Value } from '@cerbos/core';
import { GRPC } from '@cerbos/grpc';
import type { Scope } from '@alter-vault/sdk';
import type { Caller } from '../auth/caller';
import type { Grant } from '../grants/grant';
import { fail, ok, Result } from '../result';
import { ruleDenial, type RuleInputs } from './rule.inputs';

export type GrantAction = 'proxy' | 'retrieve_token';

export interface AuthorizationRequest {
  caller: Caller;
  grant: Grant;
  action: GrantAction;
  /** The operator's rules that apply to this use and the inputs they read (rule.inputs.ts): part of the input, so of the cache key. */
  rules?: RuleInputs | undefined;
}

export interface Authorizer {
  authorize(request: AuthorizationRequest): Promise<Result<void>>;
}

export interface PolicyMetrics {
  checks: { inc(labels: { decision: 'allow' | 'deny' | 'unavailable'; cache: 'hit' | 'miss' }): void };
}

// Only to explain a denial: the policy decides.
const scopeOf: Record<GrantAction, Scope> = { proxy: 'proxy:execute', retrieve_token: 'tokens:retrieve' };
const MAX_CACHED = 10_000;

/**
 * Allows are cached by the complete input of the check. The policies read nothing but that
 * input (no `now()`, no address, no counter: a rule that needs one gets it as an attribute,
 * and so as part of the key; rule.inputs.ts says how the operator's rules keep allows
 * cacheable), so a decision holds until the policies themselves change; the
 * cache's lifetime bounds how long a changed policy, or a PDP that went away, goes unseen.
 * Denials and failures are never cached.
 */
export class CerbosAuthorizer implements Authorizer {
  private readonly client: GRPC;
  private readonly allowed = new Map<string, number>();

  constructor(
    address: string,
    private readonly options: { timeoutMs: number; cacheMs: number; metrics?: PolicyMetrics },
  ) {
    // A PDP that restarts is found again within a second, not after gRPC's default backoff of up to two minutes.
    this.client = new GRPC(address, { tls: false, channelOptions: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 1_000 } });
  }

  async authorize({ caller, grant, action, rules }: AuthorizationRequest): Promise<Result<void>> {
    // An agent's entitlements (its providers and grants) are inputs: the policy decides what it may use.
    const agent: Record<string, string[]> = caller.agent ? { providers: [...caller.agent.providers].sort(), grants: [...caller.agent.grants].sort() } : {};
    // A key acting for an end user (X-Alter-User-Token) may use only that user's grants.
    const onBehalfOf: Record<string, string> = caller.principal ? { onBehalfOf: caller.principal.externalId } : {};
    const principal = { id: caller.actor.id, roles: [caller.actor.type], attr: { tenantId: caller.tenantId, scopes: [...caller.scopes].sort(), ...agent, ...onBehalfOf, ...rules?.principal } };
    // delegatedTo: the agents the grant is delegated to (sorted), which the entitled_agent role reads.
    const resource = {
      kind: 'grant',
      id: grant.id,
      attr: { tenantId: grant.tenantId, provider: grant.provider, kind: grant.kind, status: grant.status, principalId: grant.principalId ?? '', delegatedTo: grant.delegatedTo, ...rules?.resource },
    };
    const key = JSON.stringify([principal, resource, action]);
    const until = this.allowed.get(key);
    if (until !== undefined && until > Date.now()) {
      this.options.metrics?.checks.inc({ decision: 'allow', cache: 'hit' });
      return ok(undefined);
    }
    if (until !== undefined) this.allowed.delete(key);

    const decision = await this.check(principal, resource, action);
    const allowed = decision?.allowed;
    this.options.metrics?.checks.inc({ decision: allowed === undefined ? 'unavailable' : allowed ? 'allow' : 'deny', cache: 'miss' });
    if (allowed === undefined) return fail('policy_unavailable', 'the policy decision point did not decide; the use is denied');
    if (allowed) {
      if (this.options.cacheMs > 0) {
        if (this.allowed.size >= MAX_CACHED) this.allowed.delete(this.allowed.keys().next().value!);
        this.allowed.set(key, Date.now() + this.options.cacheMs);
      }
      return ok(undefined);
    }
    const scope = scopeOf[action];
    if (!caller.scopes.has(scope)) return fail('missing_scope', `this key lacks the ${scope} scope`);
    // An operator rule names itself in the policy's outputs: 403 policy_denied naming its type, or 429 rate_limited.
    const byRule = rules && ruleDenial(decision!.outputs, rules);
    return byRule ? { ok: false, error: byRule } : fail('policy_denied', 'the policy denies this use');
  }

  private async check(principal: { id: string; roles: string[]; attr: Record<string, Value> }, resource: { kind: string; id: string; attr: Record<string, Value> }, action: string): Promise<{ allowed: boolean; outputs: OutputResult[] } | undefined> {
    // Our own timer, cleared on the answer: AbortSignal.timeout() would still fire (and build
    // an abort error) long after every call that had finished.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    try {
      const decision = await this.client.checkResource({ principal, resource, actions: [action] }, { signal: deadline.signal });
      const allowed = decision.isAllowed(action);
      return allowed === undefined ? undefined : { allowed, outputs: decision.outputs };
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** For /readyz: the PDP answers its health check. */
  async ping(): Promise<void> {
    const { status } = await this.client.checkHealth(undefined, { signal: AbortSignal.timeout(this.options.timeoutMs) });
    if (status !== ServiceStatus.SERVING) throw new TypeError(`the policy decision point is ${status}`);
  }

  close(): void {
    this.client.close();
  }
}
