import { createSecretRequest, resourcePath, rotateSecretRequest } from '@alter-vault/sdk';
import { fail, ok } from '../result';
import { createSecret, deleteSecret, getSecret, listSecretInfos, rotateSecret } from '../secrets/secret.service';
import { route, RouteSpec } from './route';
import { auditChange, Services } from './services';

export function secretRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/v1/secrets',
      summary: 'Store a managed secret (write-only); answers its grantId',
      scope: 'secrets:write',
      body: createSecretRequest,
      successStatus: 201,
      responses: { 201: 'the secret’s metadata: id, grantId, slug' },
      async handler({ caller, body, requestId }) {
        const created = await createSecret(services, caller.tenantId, body, services.now());
        if (created.ok) await auditChange(services, caller, requestId, 'secret.create', { grantId: created.value.grantId, provider: created.value.slug });
        return created;
      },
    }),
    route({
      method: 'get',
      path: '/v1/secrets',
      summary: 'List managed secrets (metadata only)',
      scope: 'secrets:read',
      responses: { 200: '{ secrets }' },
      async handler({ caller }) {
        return ok({ secrets: await listSecretInfos(services.db, caller.tenantId) });
      },
    }),
    route({
      method: 'get',
      path: '/v1/secrets/:id',
      params: resourcePath,
      summary: 'Read a managed secret’s metadata',
      scope: 'secrets:read',
      responses: { 200: 'the secret’s metadata' },
      async handler({ caller, params }) {
        const secret = await getSecret(services.db, caller.tenantId, params.id);
        return secret ? ok(secret) : fail('secret_not_found', 'no such secret');
      },
    }),
    route({
      method: 'put',
      path: '/v1/secrets/:id/value',
      params: resourcePath,
      summary: 'Rotate a managed secret’s value; its grantId stays',
      scope: 'secrets:write',
      body: rotateSecretRequest,
      responses: { 200: 'the secret’s metadata' },
      async handler({ caller, params, body, requestId }) {
        const rotated = await rotateSecret(services, caller.tenantId, params.id, body.value, services.now());
        if (rotated.ok) await auditChange(services, caller, requestId, 'secret.rotate', { grantId: rotated.value.grantId, provider: rotated.value.slug });
        return rotated;
      },
    }),
    route({
      method: 'delete',
      path: '/v1/secrets/:id',
      params: resourcePath,
      summary: 'Delete a managed secret and its ciphertext',
      scope: 'secrets:write',
      successStatus: 204,
      responses: { 204: 'deleted' },
      async handler({ caller, params, requestId }) {
        const deleted = await deleteSecret(services.db, caller.tenantId, params.id, services.now());
        if (!deleted.ok) return deleted;
        await auditChange(services, caller, requestId, 'secret.delete', { grantId: deleted.value.grantId, provider: deleted.value.slug });
        return ok(undefined);
      },
    }),
  ];
}
