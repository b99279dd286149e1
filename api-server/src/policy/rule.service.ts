// Operator rules: their lifecycle (POST/GET/DELETE /v1/policies/rules) and, on the hot path,
// the rules of a use with the inputs they read (rule.inputs.ts), loaded per tenant and kept
// for a moment. A change made here is seen at once by this process (its cache is dropped) and
// by other replicas within RULE_CACHE_MS.
import { randomUUID } from 'node:crypto';
import type { CreatePolicyRuleRequest, ListPolicyRulesQuery, PolicyRule, PolicyRuleSpec, PolicyRuleTarget } from '@alter-vault/sdk';
import { normaliseCidrs } from '../auth/api-key';
import type { Caller } from '../auth/caller';
import type { Grant } from '../grants/grant';
import { findGrant } from '../grants/grant.repository';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import type { GrantAction } from './authorizer';
import { RateLimiter } from './rate-limiter';
import { canonicalZone, ruleApplies, StoredRule } from './rule';
import { agentKeyOf, LoadedRule, loadRule, ruleInputs, RuleInputs, UseContext } from './rule.inputs';
import { deleteRuleRow, findRule, insertRule, listRuleRows } from './rule.repository';

type RuleRow = Awaited<ReturnType<typeof findRule>> & object;

function toStored(row: RuleRow): StoredRule {
  const target = (row.target_type === 'tenant' ? { type: 'tenant' } : { type: row.target_type, id: row.target_id }) as PolicyRuleTarget;
  return { id: row.id, tenantId: row.tenant_id, target, spec: { ...row.params, type: row.type } as PolicyRuleSpec, createdAt: row.created_at };
}

export function toPolicyRule(rule: StoredRule): PolicyRule {
  return { id: rule.id, target: rule.target, ...rule.spec, createdAt: rule.createdAt.toISOString() } as PolicyRule;
}

/** The request as stored: CIDRs canonical, the zone by its canonical name; fails on a CIDR that does not parse. */
export function normalise(spec: PolicyRuleSpec): Result<PolicyRuleSpec> {
  if (spec.type === 'ip_allowlist') {
    const cidrs = normaliseCidrs(spec.cidrs);
    if (!cidrs.ok) return fail('invalid_request', `${cidrs.invalid} is not a valid CIDR`, [{ path: 'cidrs', code: 'invalid_format', message: 'expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32' }]);
    return ok({ ...spec, cidrs: [...new Set(cidrs.cidrs)] });
  }
  if (spec.type === 'time_window') return ok({ ...spec, zone: canonicalZone(spec.zone) });
  return ok(spec);
}

export async function createRule(db: Executor, tenantId: string, request: CreatePolicyRuleRequest, createdBy: string, at: Date): Promise<Result<StoredRule>> {
  const { target, ...rest } = request;
  const spec = normalise(rest as PolicyRuleSpec);
  if (!spec.ok) return spec;
  // A grant rule names a grant of this tenant (the same 404 as any unknown grant).
  if (target.type === 'grant' && !(await findGrant(db, tenantId, target.id))) return fail('grant_not_found', 'no such grant');
  const { type, ...params } = spec.value;
  const row = await insertRule(db, { id: randomUUID(), tenantId, targetType: target.type, targetId: target.type === 'tenant' ? null : target.id, type, params, createdBy, createdAt: at });
  return ok(toStored(row));
}

export async function listRules(db: Executor, tenantId: string, query: ListPolicyRulesQuery): Promise<StoredRule[]> {
  return (await listRuleRows(db, tenantId, query)).map(toStored);
}

export async function getRule(db: Executor, tenantId: string, id: string): Promise<Result<StoredRule>> {
  const row = await findRule(db, tenantId, id);
  return row ? ok(toStored(row)) : fail('rule_not_found', 'no such policy rule');
}

export async function deleteRule(db: Executor, tenantId: string, id: string): Promise<Result<StoredRule>> {
  const row = await deleteRuleRow(db, tenantId, id);
  return row ? ok(toStored(row)) : fail('rule_not_found', 'no such policy rule');
}

export const RULE_CACHE_MS = 1_000;

/** The hot path's view of the rules: per tenant, loaded at most once per RULE_CACHE_MS, plus the rate counters. */
export class PolicyRules {
  private readonly cache = new Map<string, { until: number; rules: Promise<LoadedRule[]> }>();
  private readonly limiter = new RateLimiter();

  constructor(private readonly deps: { db: Executor; now: () => Date; cacheMs?: number }) {}

  /** Rules that apply to this use and the inputs they read; undefined when none applies. Fails closed. */
  async forUse(caller: Caller, grant: Grant, action: GrantAction, context: UseContext): Promise<Result<RuleInputs | undefined>> {
    let rules: LoadedRule[];
    try {
      rules = await this.forTenant(caller.tenantId);
    } catch {
      return fail('policy_unavailable', 'the policy rules could not be loaded; the use is denied');
    }
    const target = { provider: grant.provider, agentKey: agentKeyOf(caller), grantId: grant.id };
    const applicable = rules.filter((rule) => ruleApplies(rule.target, target));
    if (applicable.length === 0) return ok(undefined);
    return ok(ruleInputs(applicable, { caller, grant, action, context, now: this.deps.now(), limiter: this.limiter }));
  }

  /** Drops a tenant's cached rules (after a change made through this process). */
  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  private forTenant(tenantId: string): Promise<LoadedRule[]> {
    const now = Date.now();
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > now) return cached.rules;
    const rules = listRuleRows(this.deps.db, tenantId).then((rows) => rows.map((row) => loadRule(toStored(row))));
    const entry = { until: now + (this.deps.cacheMs ?? RULE_CACHE_MS), rules };
    this.cache.set(tenantId, entry);
    // A failed load is not kept: the next use tries again.
    rules.catch(() => {
      if (this.cache.get(tenantId) === entry) this.cache.delete(tenantId);
    });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return rules;
  }
}
