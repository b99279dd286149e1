// jest globalTeardown of the `integration` project. Services a test run started are stopped
// by the last run still using them; services that were already running (a developer's, or
// CI's) are never stopped. ALTER_TEST_KEEP_SERVICES=1 leaves them running for the next run.
import * as moto from './moto';
import * as postgres from './postgres';
import { otherLiveLeases, removeLease, withLock } from './util';

/** Drops this run's lease; stops the test-started services once no other run uses them. Call under the lock. */
export async function releaseServices(): Promise<void> {
  removeLease();
  if (process.env.ALTER_TEST_KEEP_SERVICES === '1') return; // faster reruns while developing
  const others = otherLiveLeases();
  if (others.length) {
    process.stdout.write(`[testenv] leaving services running for jest run(s) ${others.join(', ')}\n`);
    return;
  }
  const results = await Promise.allSettled([
    postgres.startedByTests() ? postgres.stopPostgres() : undefined,
    moto.startedByTests() ? moto.stopMoto() : undefined,
  ]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length) throw new AggregateError(failed.map((r) => r.reason), '[testenv] could not stop the test services');
}

export default async function globalTeardown(): Promise<void> {
  await withLock(releaseServices);
}
