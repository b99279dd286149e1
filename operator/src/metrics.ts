// Operator metrics (Prometheus): reconciles by kind and result, their duration, the queue's depth.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({ name: 'alter_operator_reconciles_total', help: 'Reconciles by kind and result (ok, not_ready, error)', labelNames: ['kind', 'result'], registers }),
    duration: new Histogram({ name: 'alter_operator_reconcile_duration_seconds', help: 'Reconcile duration by kind', labelNames: ['kind'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    depth: new Gauge({ name: 'alter_operator_queue_depth', help: 'Keys waiting for a reconcile', registers }),
    leader: new Gauge({ name: 'alter_operator_leader', help: '1 while this replica holds the lease', registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** /metrics and /healthz on the port (0: no server). */
export async function serveMetrics(metrics: Metrics, port: number): Promise<Server | undefined> {
  if (port === 0) return undefined;
  const server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return server;
}
