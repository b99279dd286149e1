import { identityProviderPath, putIdentityProviderRequest } from '@alter-vault/sdk';
import { getIdentityProviderInfo, listIdentityProviderInfos, putIdentityProvider } from '../auth/identity-provider.service';
import { fail, ok } from '../result';
import { route, RouteSpec } from './route';
import { auditChange, Services } from './services';

// The tenant's identity providers: whose tokens identify its end users (X-Alter-User-Token).
export function identityProviderRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'put',
      path: '/v1/identity-providers/:name',
      params: identityProviderPath,
      summary: 'Configure an OIDC identity provider whose tokens (X-Alter-User-Token) identify this tenant’s end users',
      scope: 'providers:write',
      body: putIdentityProviderRequest,
      responses: { 200: 'the identity provider (never its client secret)' },
      async handler({ caller, params, body, requestId }) {
        const put = await putIdentityProvider(services, caller.tenantId, params.name, body, services.now());
        if (!put.ok) return put;
        const { info, created } = put.value;
        await auditChange(services, caller, requestId, created ? 'identity_provider.create' : 'identity_provider.update', { context: { identityProvider: params.name, issuer: info.issuer } });
        return ok(info);
      },
    }),
    route({
      method: 'get',
      path: '/v1/identity-providers',
      summary: 'List this tenant’s identity providers',
      scope: 'providers:read',
      responses: { 200: '{ identityProviders }' },
      async handler({ caller }) {
        return ok({ identityProviders: await listIdentityProviderInfos(services.db, caller.tenantId) });
      },
    }),
    route({
      method: 'get',
      path: '/v1/identity-providers/:name',
      params: identityProviderPath,
      summary: 'Read an identity provider',
      scope: 'providers:read',
      responses: { 200: 'the identity provider' },
      async handler({ caller, params }) {
        const info = await getIdentityProviderInfo(services.db, caller.tenantId, params.name);
        return info ? ok(info) : fail('provider_not_found', `no identity provider "${params.name}" is configured`);
      },
    }),
  ];
}
