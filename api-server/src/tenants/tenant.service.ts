// Tenants isolate everything: keys, grants, data keys and audit chains. A Kubernetes
// namespace of a cluster is a tenant; the bootstrap key lives in `default`.
import type { Executor } from '../store/executor';
import { insertTenant } from './tenant.repository';

export interface Tenant {
  id: string;
  name: string;
}

export const DEFAULT_TENANT = 'default';

/** Idempotent: returns the tenant with that name, creating it on first use. */
export async function ensureTenant(db: Executor, name: string): Promise<Tenant> {
  return insertTenant(db, name);
}

/**
 * The tenant of a Kubernetes namespace: several clusters may trust one vault. The `default`
 * namespace of the `default` cluster is the `default` tenant, where the bootstrap key lives, so
 * the embedded mode's resources (namespace `default` unless they say otherwise) serve its key.
 */
export function namespaceTenantName(cluster: string, namespace: string): string {
  return cluster === 'default' && namespace === 'default' ? DEFAULT_TENANT : `k8s:${cluster}:${namespace}`;
}
