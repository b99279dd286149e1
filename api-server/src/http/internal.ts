// Probes, metrics and self-description: no authentication, nothing tenant-specific.
import { Router } from 'express';
import type { KeyProvider } from '../crypto/key-provider';
import type { Metrics } from '../metrics';
import type { Db } from '../store/db';
import { sql } from 'kysely';
import type { PlainRoute } from './openapi';

export const internalRoutes: PlainRoute[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness: the process serves HTTP' },
  { method: 'get', path: '/readyz', summary: 'Readiness: the store, the key provider and the policy decision point answer' },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics' },
  { method: 'get', path: '/v1/openapi.json', summary: 'This document' },
];

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);

export function internalRouter(deps: { db: Db; keyProvider: KeyProvider; policy: { ping(): Promise<void> }; metrics: Metrics; openapi: () => unknown; isShuttingDown: () => boolean }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const check = async (fn: () => Promise<unknown>) => withTimeout(fn(), 2_000).then(() => 'ok' as const, () => 'unavailable' as const);
    const [store, keyProvider, policy] = await Promise.all([check(() => sql`select 1`.execute(deps.db)), check(() => deps.keyProvider.ping()), check(() => deps.policy.ping())]);
    const ready = store === 'ok' && keyProvider === 'ok' && policy === 'ok' && !deps.isShuttingDown();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { store, keyProvider, policy, shuttingDown: deps.isShuttingDown() } });
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  router.get('/v1/openapi.json', (_req, res) => {
    res.json(deps.openapi());
  });
  return router;
}
