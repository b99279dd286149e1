#!/usr/bin/env node
// alter-vault-server [serve | rotate-key | openapi]
//   serve       run the API server (default)
//   rotate-key  re-wrap every data key under the current key-encryption key, then exit
//   openapi     print the OpenAPI document (make generate writes docs/openapi.json)
import { createApp, VERSION } from './app';
import { openApiDocument } from './http/openapi';
import { allRouteSpecs, plainRoutes } from './http/routes';
import type { Services } from './http/services';
import { ConfigError, configFromEnv } from './config';
import { createKeyProvider } from './crypto/key-provider.factory';
import { rotateDataKeys } from './crypto/rotate-key';
import { createLogger, serializeError } from './logger';
import { createMetrics } from './metrics';
import { openStore } from './store/db';
import { migrateToLatest } from './store/migrator';
import path from 'node:path';

async function serve(): Promise<void> {
  const app = createApp(configFromEnv());
  const stop = (signal: string) => {
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await app.start();
}

async function rotateKey(): Promise<void> {
  const config = configFromEnv();
  const logger = createLogger(config.logLevel);
  const keyProvider = await createKeyProvider(config, logger, createMetrics());
  const db = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite'), poolSize: 2, preparedStatements: config.dbPreparedStatements });
  try {
    await migrateToLatest(db);
    const { rewrapped } = await rotateDataKeys(db, keyProvider, logger);
    logger.info({ rewrapped, kekId: keyProvider.currentKekId() }, 'data keys re-wrapped');
  } finally {
    await db.destroy();
    await keyProvider.close();
  }
}

async function openapi(): Promise<void> {
  // Describing routes calls no handler, so no service is wired.
  const unwired = new Proxy({} as Services, { get: () => { throw new TypeError('openapi needs no services'); } });
  process.stdout.write(`${JSON.stringify(openApiDocument(allRouteSpecs(unwired), plainRoutes, VERSION), null, 2)}\n`);
}

const commands: Record<string, () => Promise<void>> = { serve, 'rotate-key': rotateKey, openapi };
const command = commands[process.argv[2] ?? 'serve'];

if (!command) {
  process.stderr.write(`unknown command ${process.argv[2]}; use one of: ${Object.keys(commands).join(', ')}\n`);
  process.exit(2);
} else {
  command().catch((err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'start failed', err: serializeError(err) })}\n`);
    process.exit(1);
  });
}
