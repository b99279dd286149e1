import { createPolicyRuleRequest, listPolicyRulesQuery, resourcePath } from '@alter-vault/sdk';
import type { StoredRule } from '../policy/rule';
import { createRule, deleteRule, getRule, listRules, toPolicyRule } from '../policy/rule.service';
import { ok } from '../result';
import { route, RouteSpec } from './route';
import { auditChange, Services } from './services';

/** What an audit row says about a rule change: its target in the row's own columns where one fits. */
function auditTarget(rule: StoredRule) {
  const { target } = rule;
  return {
    ...(target.type === 'grant' ? { grantId: target.id } : {}),
    ...(target.type === 'provider' ? { provider: target.id } : {}),
    context: { ruleId: rule.id, ruleType: rule.spec.type, targetType: target.type, ...(target.type === 'tenant' ? {} : { targetId: target.id }) },
  };
}

export function ruleRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/v1/policies/rules',
      summary: 'Set a rule on the uses of grants (tenant, provider, agent or grant): time windows, IP allow-list, grant TTL, HTTP methods and paths, token mode, rate limit. Rules only restrict.',
      scope: 'policies:write',
      body: createPolicyRuleRequest,
      successStatus: 201,
      responses: { 201: 'the rule as stored, with its id' },
      async handler({ caller, body, requestId }) {
        const created = await createRule(services.db, caller.tenantId, body, caller.actor.id, services.now());
        if (!created.ok) return created;
        services.rules.invalidate(caller.tenantId);
        await auditChange(services, caller, requestId, 'policy.rule.create', auditTarget(created.value));
        return ok(toPolicyRule(created.value));
      },
    }),
    route({
      method: 'get',
      path: '/v1/policies/rules',
      summary: 'List the rules, optionally of one target (targetType, targetId) or type',
      scope: 'policies:read',
      query: listPolicyRulesQuery,
      responses: { 200: '{ rules }' },
      async handler({ caller, query }) {
        return ok({ rules: (await listRules(services.db, caller.tenantId, query)).map(toPolicyRule) });
      },
    }),
    route({
      method: 'get',
      path: '/v1/policies/rules/:id',
      params: resourcePath,
      summary: 'Read a rule',
      scope: 'policies:read',
      responses: { 200: 'the rule' },
      async handler({ caller, params }) {
        const rule = await getRule(services.db, caller.tenantId, params.id);
        return rule.ok ? ok(toPolicyRule(rule.value)) : rule;
      },
    }),
    route({
      method: 'delete',
      path: '/v1/policies/rules/:id',
      params: resourcePath,
      summary: 'Delete a rule; the uses it restricted are decided without it from the next one on',
      scope: 'policies:write',
      successStatus: 204,
      responses: { 204: 'deleted' },
      async handler({ caller, params, requestId }) {
        const deleted = await deleteRule(services.db, caller.tenantId, params.id);
        if (!deleted.ok) return deleted;
        services.rules.invalidate(caller.tenantId);
        await auditChange(services, caller, requestId, 'policy.rule.delete', auditTarget(deleted.value));
        return ok(undefined);
      },
    }),
  ];
}
