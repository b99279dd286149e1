// Tenants isolate everything: keys, grants, data keys and audit chains. Later issues map a
// Kubernetes namespace (and cluster) to one; the bootstrap key lives in `default`.
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
