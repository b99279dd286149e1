#!/usr/bin/env node
// The operator: reconciles Provider, Agent and ManagedSecret resources into the vault through
// its admin API. Only the replica holding the Lease acts; a replica that loses it exits, to be
// restarted as a follower. With ALTER_RESOURCES_DIR it reads them from a folder of YAML instead
// (the embedded mode of `make up`).
import { Vault } from '@alter-vault/sdk';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject, makeInformer, type V1Secret } from '@kubernetes/client-node';
import { watch } from 'node:fs';
import { configFromEnv, type OperatorConfig } from './config';
import { Controller, keepRunning, newHashKey } from './controller';
import { reconcileFolder } from './file-source';
import { LeaderElector } from './leader';
import { createLogger, type Logger } from './logger';
import { createMetrics, serveMetrics } from './metrics';
import { WorkQueue } from './queue';
import { agentReconciler } from './reconcilers/agent';
import { managedSecretReconciler } from './reconcilers/managed-secret';
import { providerReconciler } from './reconcilers/provider';
import type { CustomObject } from './reconcilers/reconciler';

/** The embedded mode: applies the folder now and whenever a file in it changes. */
async function watchFolder(config: OperatorConfig, logger: Logger): Promise<void> {
  const dir = config.resourcesDir!;
  const vault = new Vault({ baseUrl: config.vaultUrl, apiKey: config.apiKey, retries: 5 });
  const apply = async () => {
    try {
      for (const r of await reconcileFolder(dir, vault, config.cluster)) {
        const fields = { kind: r.kind, namespace: r.namespace, name: r.name, ready: r.state.ready, reason: r.state.reason, ...r.fields };
        if (r.state.ready) logger.info(fields, 'applied');
        else logger.warn({ ...fields, message: r.state.message }, 'not ready');
      }
    } catch (err) {
      logger.error({ dir, err: err instanceof Error ? err : new Error(String(err)) }, 'could not apply the resources folder');
    }
  };
  await apply();
  let pending: NodeJS.Timeout | undefined;
  watch(dir, () => {
    clearTimeout(pending);
    pending = setTimeout(() => void apply(), 300);
  });
  logger.info({ dir }, 'watching the resources folder');
}

async function main(): Promise<void> {
  const logger = createLogger();
  const config = configFromEnv();
  if (config.resourcesDir) return watchFolder(config, logger);
  const metrics = createMetrics();
  const metricsServer = await serveMetrics(metrics, config.metricsPort);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const elector = new LeaderElector({ api: kc.makeApiClient(CoordinationV1Api), namespace: config.namespace, name: config.leaseName, identity: config.identity, leaseSeconds: config.leaseSeconds, logger });
  logger.info({ identity: config.identity, lease: `${config.namespace}/${config.leaseName}` }, 'waiting for the lease');
  await elector.acquire(() => process.exit(1));
  metrics.leader.set(1);

  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const vault = new Vault({ baseUrl: config.vaultUrl, apiKey: config.apiKey });
  const secrets = makeInformer<V1Secret>(kc, '/api/v1/secrets', () => core.listSecretForAllNamespaces());
  keepRunning(secrets as never, logger, 'secrets');
  const controllers: Controller<CustomObject, unknown>[] = [];
  const queue = new WorkQueue(
    config.concurrency,
    async (key) => {
      const controller = controllers.find((c) => c.owns(key));
      return controller ? controller.reconcile(key) : 'done';
    },
    metrics,
  );
  const deps = { kc, custom, core, vault, cluster: config.cluster, secrets, queue, metrics, logger, hashKey: newHashKey() };
  for (const reconciler of [managedSecretReconciler, providerReconciler, agentReconciler]) {
    controllers.push(new Controller(reconciler as never, deps) as unknown as Controller<CustomObject, unknown>);
  }
  const onSecret = (secret: KubernetesObject) => {
    for (const c of controllers) c.enqueueReaders(secret.metadata!.namespace!, secret.metadata!.name!);
  };
  for (const verb of ['add', 'update', 'delete'] as const) secrets.on(verb, onSecret);

  // The Secrets' cache first: the first reconciles read it.
  await secrets.start();
  await Promise.all(controllers.map((c) => c.informer.start()));
  // Periodic relist: whatever an event missed is reconciled within a resync period.
  const resync = setInterval(() => controllers.forEach((c) => c.enqueueAll()), config.resyncMs);
  logger.info({ concurrency: config.concurrency, cluster: config.cluster }, 'alter-vault operator running');

  const shutdown = async () => {
    clearInterval(resync);
    await Promise.all([secrets.stop(), ...controllers.map((c) => c.informer.stop())]);
    await queue.stop();
    await elector.release();
    metricsServer?.close();
    logger.info({}, 'alter-vault operator stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
