import { type GrantInfo, listGrantsQuery, resourcePath } from '@alter-vault/sdk';
import type { Caller } from '../auth/caller';
import { getGrantInfo, listGrantInfos } from '../grants/grant.service';
import { revokeGrant } from '../oauth/revoke';
import { fail, ok } from '../result';
import { route, RouteSpec } from './route';
import { auditChange, Services } from './services';

/** A caller acting for an end user sees only that user's grants (another user's answer grant_not_found). */
function ownedByEndUser(caller: Caller, grant: GrantInfo): boolean {
  return !caller.principal || grant.principalId === caller.principal.externalId;
}

export function grantRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/grants',
      summary: 'List grants (metadata only), newest first',
      scope: 'grants:read',
      query: listGrantsQuery,
      responses: { 200: '{ grants, nextCursor }' },
      async handler({ caller, query }) {
        // A caller acting for an end user lists that user's grants only.
        const user = caller.principal?.externalId;
        if (user !== undefined && query.principal !== undefined && query.principal !== user) return ok({ grants: [], nextCursor: null });
        return listGrantInfos(services.db, caller.tenantId, user === undefined ? query : { ...query, principal: user });
      },
    }),
    route({
      method: 'get',
      path: '/v1/grants/:id',
      params: resourcePath,
      summary: 'Read a grant’s metadata',
      scope: 'grants:read',
      responses: { 200: 'the grant’s metadata' },
      async handler({ caller, params }) {
        const grant = await getGrantInfo(services.db, caller.tenantId, params.id);
        return grant && ownedByEndUser(caller, grant) ? ok(grant) : fail('grant_not_found', 'no such grant');
      },
    }),
    route({
      method: 'delete',
      path: '/v1/grants/:id',
      params: resourcePath,
      summary: 'Revoke an OAuth grant: at the provider where it can be, and its ciphertext deleted',
      scope: 'grants:write',
      responses: { 200: 'the revoked grant’s metadata; providerRevocation says what the provider did' },
      async handler({ caller, params, requestId }) {
        if (caller.principal) {
          const grant = await getGrantInfo(services.db, caller.tenantId, params.id);
          if (!grant || !ownedByEndUser(caller, grant)) return fail('grant_not_found', 'no such grant');
        }
        const revoked = await revokeGrant(services, caller.tenantId, params.id, services.now());
        if (!revoked.ok) return revoked;
        const { provider, principalId, providerRevocation } = revoked.value;
        if (providerRevocation !== 'already_revoked')
          await auditChange(services, caller, requestId, 'grant.revoke', { grantId: params.id, provider, ...(principalId ? { principalId } : {}), context: { providerRevocation } });
        return ok({ ...(await getGrantInfo(services.db, caller.tenantId, params.id))!, providerRevocation });
      },
    }),
  ];
}
