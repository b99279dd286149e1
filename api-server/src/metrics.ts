// Prometheus metrics, one registry per app instance (tests run several apps in a process).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'alter_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: 'alter_http_requests_total', help: 'HTTP requests by route and outcome', labelNames: ['method', 'route', 'status', 'outcome'], registers }),
    httpDuration: new Histogram({
      name: 'alter_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    auditWriteDuration: new Histogram({
      name: 'alter_audit_write_duration_seconds',
      help: 'Time from an audit write request to its durable commit',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    auditBatchSize: new Histogram({ name: 'alter_audit_batch_size', help: 'Audit rows committed per group commit', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers }),
    kmsCalls: new Counter({ name: 'alter_kms_calls_total', help: 'Key-provider calls by operation and outcome', labelNames: ['op', 'outcome'], registers }),
    policyChecks: new Counter({ name: 'alter_policy_checks_total', help: 'Policy checks by decision and whether the decision cache answered', labelNames: ['decision', 'cache'], registers }),
    providerTokenRequests: new Counter({
      name: 'alter_provider_token_requests_total',
      help: 'Requests to providers’ token endpoints by provider, grant type and outcome',
      labelNames: ['provider', 'grant_type', 'outcome'],
      registers,
    }),
    refreshes: new Counter({ name: 'alter_grant_refreshes_total', help: 'Grant refreshes by trigger and outcome', labelNames: ['trigger', 'outcome'], registers }),
    dekCache: new Counter({ name: 'alter_dek_cache_total', help: 'Data-key cache lookups by result', labelNames: ['result'], registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
