import { delegationPath, resourcePath } from '@alter-vault/sdk';
import { listDelegations, revokeDelegation } from '../grants/delegation.service';
import { ok } from '../result';
import { route, RouteSpec } from './route';
import type { Services } from './services';

// A grant's delegations to agents (made by connect sessions started with an agentId).
export function delegationRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/grants/:id/delegations',
      params: resourcePath,
      summary: 'List the agents a grant is delegated to (live and revoked delegations, newest first)',
      scope: 'grants:read',
      responses: { 200: '{ delegations }' },
      async handler({ caller, params }) {
        return listDelegations(services.db, caller.tenantId, params.id, caller.principal?.externalId);
      },
    }),
    route({
      method: 'delete',
      path: '/v1/grants/:id/delegations/:agentId',
      params: delegationPath,
      summary: 'Revoke a grant’s delegation to one agent; the grant and other agents’ delegations stay',
      scope: 'grants:write',
      responses: { 200: 'the revoked delegation' },
      async handler({ caller, params, requestId }) {
        const revoked = await revokeDelegation(services.db, caller.tenantId, params.id, params.agentId, services.now(), caller.principal?.externalId);
        if (!revoked.ok) return revoked;
        const { delegation, principalId, provider, revoked: changed } = revoked.value;
        if (changed) await services.audit.write({ tenantId: caller.tenantId, requestId, actor: caller.actor, agentId: params.agentId, grantId: params.id, provider, ...(principalId ? { principalId } : {}), action: 'grant.delegation.revoke', decision: 'allow', outcome: 'ok' });
        return ok(delegation);
      },
    }),
  ];
}
