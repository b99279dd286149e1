// The operator's configuration: every variable validated at start, all problems reported at
// once (as the api-server does). Only this file reads process.env.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

const IN_CLUSTER_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const env = z
  .object({
    ALTER_VAULT_URL: z.url({ protocol: /^https?$/ }),
    ALTER_VAULT_API_KEY: z.string().min(1).optional(),
    ALTER_VAULT_API_KEY_FILE: z.string().min(1).optional(),
    ALTER_CLUSTER_NAME: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('default'),
    ALTER_OPERATOR_NAMESPACE: z.string().min(1).optional(),
    ALTER_OPERATOR_LEASE_NAME: z.string().min(1).default('alter-vault-operator'),
    ALTER_OPERATOR_IDENTITY: z.string().min(1).optional(),
    ALTER_OPERATOR_CONCURRENCY: z.coerce.number().int().positive().default(4),
    ALTER_OPERATOR_RESYNC_SECONDS: z.coerce.number().int().positive().default(300),
    ALTER_OPERATOR_LEASE_SECONDS: z.coerce.number().int().min(3).default(15),
    ALTER_OPERATOR_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
    ALTER_RESOURCES_DIR: z.string().min(1).optional(),
  })
  .superRefine((e, ctx) => {
    if (!e.ALTER_VAULT_API_KEY === !e.ALTER_VAULT_API_KEY_FILE) ctx.addIssue({ code: 'custom', path: ['ALTER_VAULT_API_KEY'], message: 'set ALTER_VAULT_API_KEY or ALTER_VAULT_API_KEY_FILE (a key with the admin:reconcile scope)' });
  });

export interface OperatorConfig {
  vaultUrl: string;
  apiKey: string;
  cluster: string;
  /** Where the leader-election Lease lives. */
  namespace: string;
  leaseName: string;
  identity: string;
  leaseSeconds: number;
  concurrency: number;
  resyncMs: number;
  metricsPort: number;
  /** The embedded mode: resources read from this folder of YAML instead of the Kubernetes API. */
  resourcesDir: string | undefined;
}

export function parseConfig(source: Record<string, string | undefined>): OperatorConfig {
  const present = Object.fromEntries(Object.entries(source).filter(([k, v]) => k.startsWith('ALTER_') && v !== ''));
  const parsed = env.safeParse(present);
  if (!parsed.success) throw new Error(`invalid configuration:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const e = parsed.data;
  return {
    vaultUrl: e.ALTER_VAULT_URL.replace(/\/+$/, ''),
    apiKey: e.ALTER_VAULT_API_KEY ?? readFileSync(e.ALTER_VAULT_API_KEY_FILE!, 'utf8').trim(),
    cluster: e.ALTER_CLUSTER_NAME,
    namespace: e.ALTER_OPERATOR_NAMESPACE ?? inClusterNamespace() ?? 'default',
    leaseName: e.ALTER_OPERATOR_LEASE_NAME,
    identity: e.ALTER_OPERATOR_IDENTITY ?? `${os.hostname()}-${process.pid}`,
    leaseSeconds: e.ALTER_OPERATOR_LEASE_SECONDS,
    concurrency: e.ALTER_OPERATOR_CONCURRENCY,
    resyncMs: e.ALTER_OPERATOR_RESYNC_SECONDS * 1000,
    metricsPort: e.ALTER_OPERATOR_METRICS_PORT,
    resourcesDir: e.ALTER_RESOURCES_DIR,
  };
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function configFromEnv(): OperatorConfig {
  return parseConfig(process.env);
}
