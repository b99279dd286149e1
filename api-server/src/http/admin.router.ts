// Reconciliation from Kubernetes resources (the operator's API): idempotent upserts and
// deletes of Agents, Providers and ManagedSecrets, each in the tenant of its namespace.
import { adminPath, adminQuery, createSecretRequest, putAgentRequest, putProviderRequest } from '@alter-vault/sdk';
import { z } from 'zod';
import { deleteAgent, putAgent } from '../agents/agent.service';
import type { Caller } from '../auth/caller';
import { deleteProviderRow } from '../oauth/provider.repository';
import { putProvider } from '../oauth/provider.service';
import { fail, ok } from '../result';
import { deleteSecret, upsertSecretBySlug } from '../secrets/secret.service';
import { findSecretBySlug } from '../secrets/secret.repository';
import { ensureTenant, namespaceTenantName } from '../tenants/tenant.service';
import { route, RouteSpec } from './route';
import type { Services } from './services';

type AdminParams = z.infer<typeof adminPath>;

type AdminQuery = z.infer<typeof adminQuery>;

export function adminRoutes(services: Services): RouteSpec[] {
  const tenantOf = async (params: AdminParams, query: AdminQuery) => (await ensureTenant(services.db, namespaceTenantName(query.cluster ?? 'default', params.namespace))).id;
  // Audited in the namespace's tenant, naming the operator's key as the actor.
  const audit = (caller: Caller, tenantId: string, requestId: string, action: string, target: { provider?: string; grantId?: string; context?: Record<string, unknown> }) =>
    services.audit.write({ tenantId, requestId, actor: caller.actor, action, decision: 'allow', outcome: 'ok', ...target });
  const common = { scope: 'admin:reconcile' as const, params: adminPath, query: adminQuery };
  return [
    route({
      ...common,
      method: 'put',
      path: '/v1/admin/agents/:namespace/:name',
      summary: 'Upsert an Agent: binds a service account of the namespace to an agent identity',
      body: putAgentRequest,
      responses: { 200: 'the agent' },
      async handler({ caller, params, query, body, requestId }) {
        const tenantId = await tenantOf(params, query);
        const put = await services.db.transaction().execute((trx) => putAgent(trx, tenantId, params.namespace, params.name, body, services.now()));
        if (!put.ok) return put;
        services.rules.invalidate(tenantId);
        const { info, created } = put.value;
        await audit(caller, tenantId, requestId, created ? 'agent.create' : 'agent.update', { context: { agent: params.name, serviceAccount: body.serviceAccountName, rules: body.rules.length } });
        return ok(info);
      },
    }),
    route({
      ...common,
      method: 'delete',
      path: '/v1/admin/agents/:namespace/:name',
      summary: 'Delete an Agent: its service account no longer authenticates',
      successStatus: 204,
      responses: { 204: 'deleted (or already gone)' },
      async handler({ caller, params, query, requestId }) {
        const tenantId = await tenantOf(params, query);
        const deleted = await services.db.transaction().execute((trx) => deleteAgent(trx, tenantId, params.name));
        services.rules.invalidate(tenantId);
        if (deleted) await audit(caller, tenantId, requestId, 'agent.delete', { context: { agent: params.name } });
        return ok(undefined);
      },
    }),
    route({
      ...common,
      method: 'put',
      path: '/v1/admin/providers/:namespace/:name',
      summary: 'Upsert a Provider: the namespace’s OAuth client at a provider',
      body: putProviderRequest,
      responses: { 200: 'the provider’s configuration' },
      async handler({ caller, params, query, body, requestId }) {
        const tenantId = await tenantOf(params, query);
        const put = await putProvider(services, tenantId, params.name, body, services.now());
        if (!put.ok) return put;
        await audit(caller, tenantId, requestId, put.value.created ? 'provider.create' : 'provider.update', { provider: params.name, context: { grantsMissingScopes: put.value.flagged } });
        return ok(put.value.info);
      },
    }),
    route({
      ...common,
      method: 'delete',
      path: '/v1/admin/providers/:namespace/:name',
      summary: 'Delete a Provider’s configuration (its grants can no longer refresh or connect)',
      successStatus: 204,
      responses: { 204: 'deleted (or already gone)' },
      async handler({ caller, params, query, requestId }) {
        const tenantId = await tenantOf(params, query);
        if (await deleteProviderRow(services.db, tenantId, params.name)) await audit(caller, tenantId, requestId, 'provider.delete', { provider: params.name });
        return ok(undefined);
      },
    }),
    route({
      ...common,
      method: 'put',
      path: '/v1/admin/secrets/:namespace/:name',
      summary: 'Upsert a ManagedSecret: creates it, or replaces its value in place (its grantId stays)',
      body: createSecretRequest,
      responses: { 200: 'the secret’s metadata, with its grantId' },
      async handler({ caller, params, query, body, requestId }) {
        if (body.slug !== undefined && body.slug !== params.name) return fail('invalid_request', 'slug must be left out or equal the resource name');
        const tenantId = await tenantOf(params, query);
        const put = await upsertSecretBySlug(services, tenantId, { ...body, slug: params.name }, services.now());
        if (!put.ok) return put;
        await audit(caller, tenantId, requestId, put.value.created ? 'secret.create' : 'secret.rotate', { grantId: put.value.info.grantId, provider: params.name });
        return ok(put.value.info);
      },
    }),
    route({
      ...common,
      method: 'delete',
      path: '/v1/admin/secrets/:namespace/:name',
      summary: 'Delete a ManagedSecret and its ciphertext; its grant is revoked',
      successStatus: 204,
      responses: { 204: 'deleted (or already gone)' },
      async handler({ caller, params, query, requestId }) {
        const tenantId = await tenantOf(params, query);
        const secret = await findSecretBySlug(services.db, tenantId, params.name);
        if (!secret) return ok(undefined);
        const deleted = await deleteSecret(services.db, tenantId, secret.id, services.now());
        if (deleted.ok) await audit(caller, tenantId, requestId, 'secret.delete', { grantId: deleted.value.grantId, provider: params.name });
        return deleted.ok || deleted.error.code === 'secret_not_found' ? ok(undefined) : deleted;
      },
    }),
  ];
}
