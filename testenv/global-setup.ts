// jest globalSetup of the `integration` project: starts (or reuses) the real services once
// per run and writes their addresses to .test-env/env.json for every test worker. A missing
// component fails the run with a message saying how to fix it; nothing is skipped.
import { renameSync, writeFileSync } from 'node:fs';
import { TEST_ENV_FILE, TestEnv } from './env';
import { ensureMoto } from './moto';
import { ensurePostgres } from './postgres';
import { checkTls } from './tls';
import { addLease, withLock } from './util';
import { releaseServices } from './global-teardown';

export default async function globalSetup(): Promise<void> {
  const tls = checkTls(); // before starting anything: it is the cheapest check
  const started = Date.now();
  await withLock(async () => {
    // The lease goes first, so a run finishing meanwhile does not stop what we are reusing.
    addLease();
    try {
      // allSettled: on a failure, the other start must finish before we undo it.
      const [pgResult, motoResult] = await Promise.allSettled([ensurePostgres(), ensureMoto()]);
      if (pgResult.status === 'rejected') throw pgResult.reason;
      if (motoResult.status === 'rejected') throw motoResult.reason;
      const [pg, moto] = [pgResult.value, motoResult.value];
      const env: TestEnv = { postgresUrl: pg.url, kmsEndpoint: moto.endpoint, ...tls };
      // Written whole then renamed: an overlapping run never reads half a file.
      const tmp = `${TEST_ENV_FILE}.${process.pid}`;
      writeFileSync(tmp, JSON.stringify(env, null, 2));
      renameSync(tmp, TEST_ENV_FILE);
      const what = [pg.started ? 'started Postgres' : 'reused Postgres', moto.started ? 'started moto' : 'reused moto'];
      process.stdout.write(`\n[testenv] ${what.join(', ')} in ${Date.now() - started} ms\n`);
    } catch (err) {
      // jest runs no globalTeardown after a failed globalSetup: undo our part here.
      await releaseServices();
      throw err;
    }
  });
}
