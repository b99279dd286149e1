import { providerPath, putProviderRequest } from '@alter-vault/sdk';
import { catalogInfos, getProviderInfo, listProviderInfos, putProvider } from '../oauth/provider.service';
import { fail, ok } from '../result';
import { route, RouteSpec } from './route';
import { auditChange, Services } from './services';

export function providerRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'put',
      path: '/v1/providers/:name',
      params: providerPath,
      summary: 'Configure an OAuth provider for this tenant (from a catalog template or explicit endpoints)',
      scope: 'providers:write',
      body: putProviderRequest,
      responses: { 200: 'the provider’s configuration (never its client secret)' },
      async handler({ caller, params, body, requestId }) {
        const put = await putProvider(services, caller.tenantId, params.name, body, services.now());
        if (!put.ok) return put;
        const { info, created, flagged } = put.value;
        await auditChange(services, caller, requestId, created ? 'provider.create' : 'provider.update', { provider: params.name, context: { grantsMissingScopes: flagged } });
        return ok(info);
      },
    }),
    route({
      method: 'get',
      path: '/v1/providers',
      summary: 'List this tenant’s configured providers and the catalog',
      scope: 'providers:read',
      responses: { 200: '{ providers, catalog }' },
      async handler({ caller }) {
        return ok({ providers: await listProviderInfos(services, caller.tenantId), catalog: catalogInfos(services.catalog) });
      },
    }),
    route({
      method: 'get',
      path: '/v1/providers/:name',
      params: providerPath,
      summary: 'Read a configured provider',
      scope: 'providers:read',
      responses: { 200: 'the provider’s configuration' },
      async handler({ caller, params }) {
        const info = await getProviderInfo(services, caller.tenantId, params.name);
        return info ? ok(info) : fail('provider_not_found', `no provider "${params.name}" is configured`);
      },
    }),
  ];
}
