// PUT/GET /v1/tenant/branding: how the tenant's end-user pages (connect, wallet) look.
import { putBrandingRequest } from '@alter-vault/sdk';
import { ok } from '../result';
import { route, RouteSpec } from './route';
import { auditChange, Services } from './services';

export function brandingRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'put',
      path: '/v1/tenant/branding',
      summary: 'Set the display name, logo and colour of the tenant’s connect pages and wallet',
      scope: 'providers:write',
      body: putBrandingRequest,
      responses: { 200: 'the branding' },
      async handler({ caller, body, requestId }) {
        const branding = await services.branding.put(caller.tenantId, body, services.now());
        await auditChange(services, caller, requestId, 'tenant.branding.update', { context: { displayName: body.displayName, logo: body.logoUrl ? 'set' : 'none', color: body.color ?? 'default' } });
        return ok(branding);
      },
    }),
    route({
      method: 'get',
      path: '/v1/tenant/branding',
      summary: 'Read the tenant’s branding (the defaults until it sets one)',
      scope: 'providers:read',
      responses: { 200: 'the branding' },
      async handler({ caller }) {
        return ok(await services.branding.get(caller.tenantId));
      },
    }),
  ];
}
