// What the operator's rules send to the policy for one use, and how a denial the policy
// explains (its outputs) becomes an answer. The server only measures (the clock in each
// zone, the caller's address, the grant's age, the call, the rate counters); the policy
// (policies/variables/operator_rules.yaml) decides.
//
// Cacheability (the authorizer caches allows by their complete input for
// ALTER_CERBOS_DECISION_CACHE_MS): an input is sent only when a rule that reads it applies,
// so a use without rules keeps its old key. Time goes in to the minute (the clock per zone;
// `now` rounded up, so a grant_ttl ends up to a minute early, never late), the address and
// the call as they are, and a rate limit as a boolean `overLimit` counted by the server on
// every use *before* the cache is asked: the count itself never enters the key, an allow
// under the limit stays cacheable, and a use over it is a denial, which is never cached.
import type { OutputResult, Value } from '@cerbos/core';
import ipaddr from 'ipaddr.js';
import type { PolicyRuleSpec } from '@alter-vault/sdk';
import type { Caller } from '../auth/caller';
import type { Grant } from '../grants/grant';
import type { DomainError } from '../result';
import type { GrantAction } from './authorizer';
import type { RateLimiter } from './rate-limiter';
import { globToRegex, localMinuteOfWeek, StoredRule, windowSpans } from './rule';

/** What the request of one use tells the rules (proxy mode has a call; token mode has none). */
export interface UseContext {
  ip?: string | undefined;
  method?: string | undefined;
  /** The normalised path of the proxied URL; '' when the URL does not parse. */
  path?: string | undefined;
}

/** A rule as loaded once per tenant: its static policy form is built then, not per use. */
export interface LoadedRule extends StoredRule {
  policyForm: Record<string, Value>;
}

export interface RuleInputs {
  /** Merged into the principal's and the resource's attributes of the check. */
  principal: Record<string, Value>;
  resource: Record<string, Value>;
  /** Server-side only (never sent): each applicable rule's spec, and Retry-After per rate rule over its limit. */
  specs: Map<string, PolicyRuleSpec>;
  retryAfterSeconds: Map<string, number>;
}

/** The caller as a rule target and rate-limit key: its agent, or the API key acting as one. */
export function agentKeyOf(caller: Caller): string {
  return caller.agent?.id ?? caller.actor.id;
}

export function loadRule(rule: StoredRule): LoadedRule {
  return { ...rule, policyForm: policyFormOf(rule) };
}

function policyFormOf({ id, spec }: StoredRule): Record<string, Value> {
  switch (spec.type) {
    case 'time_window':
      return { id, type: spec.type, zone: spec.zone, spans: windowSpans(spec.windows) };
    case 'ip_allowlist':
      return { id, type: spec.type, cidrs: spec.cidrs };
    case 'grant_ttl':
      return { id, type: spec.type, seconds: spec.seconds };
    case 'http':
      return { id, type: spec.type, methods: spec.methods ?? [], paths: (spec.paths ?? []).map(globToRegex) };
    case 'token_mode':
      return { id, type: spec.type, allowed: spec.allowed };
    case 'rate_limit':
      // overLimit is per use: set in ruleInputs.
      return { id, type: spec.type };
  }
}

/** The caller's address as the policy's inIPAddrRange reads it (IPv4-mapped IPv6 as IPv4); undefined when unusable. */
export function normaliseIp(ip: string | undefined): string | undefined {
  if (!ip || !ipaddr.isValid(ip)) return undefined;
  return ipaddr.process(ip).toString();
}

/**
 * The inputs of one use for the rules that apply to it, sorted by id so that the same rules
 * make the same key. Counts the use against every rate_limit rule among them.
 */
export function ruleInputs(
  rules: readonly LoadedRule[],
  use: { caller: Caller; grant: Grant; action: GrantAction; context: UseContext; now: Date; limiter: RateLimiter },
): RuleInputs {
  const sorted = [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const principal: Record<string, Value> = {};
  const resource: Record<string, Value> = {};
  const specs = new Map<string, PolicyRuleSpec>();
  const retryAfterSeconds = new Map<string, number>();
  const clock: Record<string, number> = {};
  const forms: Value[] = [];
  const nowMs = use.now.getTime();
  for (const rule of sorted) {
    const { spec } = rule;
    specs.set(rule.id, spec);
    let form = rule.policyForm;
    switch (spec.type) {
      case 'time_window':
        clock[spec.zone] ??= localMinuteOfWeek(spec.zone, use.now);
        break;
      case 'ip_allowlist': {
        // Left out when unusable: the policy then fails to evaluate the rule, which denies.
        const ip = normaliseIp(use.context.ip);
        if (ip) principal.ip = ip;
        break;
      }
      case 'grant_ttl':
        resource.now = Math.ceil(nowMs / 60_000) * 60;
        resource.createdAt = Math.floor(use.grant.createdAt.getTime() / 1000);
        break;
      case 'http':
        if (use.action === 'proxy') resource.call = { method: use.context.method ?? '', path: use.context.path ?? '' };
        break;
      case 'token_mode':
        break;
      case 'rate_limit': {
        const key = spec.per === 'agent' ? `${rule.id}|agent|${agentKeyOf(use.caller)}` : `${rule.id}|grant|${use.grant.id}`;
        const count = use.limiter.hit(key, spec, nowMs);
        if (count.over) retryAfterSeconds.set(rule.id, count.retryAfterSeconds);
        form = { ...form, overLimit: count.over };
        break;
      }
    }
    forms.push(form);
  }
  if (Object.keys(clock).length > 0) resource.clock = clock;
  resource.rules = forms;
  return { principal, resource, specs, retryAfterSeconds };
}

/**
 * The answer to a use the policy denied, from the outputs of its deny rules (grant.yaml):
 * a rule that retrying cannot satisfy wins over a rate limit. Undefined when no rule named
 * itself (the denial is then the policy's own, explained by the caller).
 */
export function ruleDenial(outputs: readonly OutputResult[], inputs: RuleInputs): DomainError | undefined {
  const named: { rule: string; id: string }[] = [];
  for (const output of outputs) {
    const value = output.value;
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.rule === 'string' && typeof value.id === 'string') {
      named.push({ rule: value.rule, id: value.id });
    }
  }
  const denial = named.find((n) => n.rule !== 'rate_limit') ?? named[0];
  if (!denial) return undefined;
  const spec = inputs.specs.get(denial.id);
  const details = { rule: denial.rule, ruleId: denial.id };
  if (spec?.type === 'rate_limit') {
    const retryAfterSeconds = inputs.retryAfterSeconds.get(denial.id) ?? 1;
    return {
      code: 'rate_limited',
      message: `a rate_limit rule allows ${spec.requests} uses per ${spec.perSeconds} s per ${spec.per}; retry after ${retryAfterSeconds} s`,
      details: { ...details, retryAfterSeconds },
    };
  }
  return { code: 'policy_denied', message: denialMessage(spec, denial.rule), details };
}

function denialMessage(spec: PolicyRuleSpec | undefined, rule: string): string {
  switch (spec?.type) {
    case 'time_window':
      return `a time_window rule allows uses only inside its hours (${spec.zone})`;
    case 'ip_allowlist':
      return 'an ip_allowlist rule does not allow uses from this address';
    case 'grant_ttl':
      return `a grant_ttl rule: this grant is older than its time-to-live of ${spec.seconds} s`;
    case 'http':
      return 'an http rule does not allow this call (its method or path); it also rules out token mode';
    case 'token_mode':
      return 'a token_mode rule does not allow token mode here; use proxy mode';
    default:
      return `a ${rule} rule denies this use`;
  }
}
