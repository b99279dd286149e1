import { createKeyRequest, resourcePath } from '@alter-vault/sdk';
import { createApiKey, deprecateKey, listKeys, revokeKey, rotateKey } from '../auth/api-key.service';
import { ok } from '../result';
import { route, RouteSpec } from './route';
import { auditChange, Services } from './services';

export function keyRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/v1/keys',
      summary: 'Mint an API key for this tenant; the key is shown once',
      scope: 'keys:admin',
      body: createKeyRequest,
      successStatus: 201,
      responses: { 201: 'the key, its id and prefix' },
      async handler({ caller, body, requestId }) {
        const created = await createApiKey(services.db, caller.tenantId, body, services.now());
        if (created.ok) await auditChange(services, caller, requestId, 'key.create', { provider: created.value.prefix });
        return created;
      },
    }),
    route({
      method: 'get',
      path: '/v1/keys',
      summary: 'List this tenant’s API keys (prefixes and metadata, never the keys)',
      scope: 'keys:admin',
      responses: { 200: '{ keys }' },
      async handler({ caller }) {
        return ok({ keys: await listKeys(services.db, caller.tenantId) });
      },
    }),
    route({
      method: 'post',
      path: '/v1/keys/:id/deprecate',
      params: resourcePath,
      summary: 'Deprecate an API key: it keeps working, and every answer to it carries a Deprecation header',
      scope: 'keys:admin',
      responses: { 200: 'the key’s metadata' },
      async handler({ caller, params, requestId }) {
        const deprecated = await deprecateKey(services.db, caller.tenantId, params.id, services.now());
        if (deprecated.ok) await auditChange(services, caller, requestId, 'key.deprecate', { provider: deprecated.value.prefix });
        return deprecated;
      },
    }),
    route({
      method: 'post',
      path: '/v1/keys/:id/rotate',
      params: resourcePath,
      summary: 'Rotate an API key without downtime: a new key like it (shown once), and the old one deprecated',
      scope: 'keys:admin',
      successStatus: 201,
      responses: { 201: 'the new key, its id and prefix, and the id it replaces' },
      async handler({ caller, params, requestId }) {
        const rotated = await rotateKey(services.db, caller.tenantId, params.id, services.now());
        if (rotated.ok) await auditChange(services, caller, requestId, 'key.rotate', { provider: rotated.value.prefix });
        return rotated;
      },
    }),
    route({
      method: 'delete',
      path: '/v1/keys/:id',
      params: resourcePath,
      summary: 'Revoke an API key; effective on its next call',
      scope: 'keys:admin',
      successStatus: 204,
      responses: { 204: 'revoked' },
      async handler({ caller, params, requestId }) {
        const revoked = await revokeKey(services.db, caller.tenantId, params.id, services.now());
        if (revoked.ok) await auditChange(services, caller, requestId, 'key.revoke', {});
        return revoked;
      },
    }),
  ];
}
