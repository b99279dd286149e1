// Where the test services started by global-setup.ts listen. Written to
// .test-env/env.json by the global setup and read by every test worker.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const TEST_ENV_DIR = path.resolve(__dirname, '..', '.test-env');
export const TEST_ENV_FILE = path.join(TEST_ENV_DIR, 'env.json');

export interface TestEnv {
  /** Admin URL of the test Postgres 15 (tests create their own databases on it). */
  postgresUrl: string;
  /** moto's KMS-compatible endpoint on 127.0.0.1. */
  kmsEndpoint: string;
  /** A test CA trusted by every test process through NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** A server certificate for 127.0.0.1 and localhost signed by that CA. */
  serverCertFile: string;
  serverKeyFile: string;
}

export function testEnv(): TestEnv {
  return JSON.parse(readFileSync(TEST_ENV_FILE, 'utf8')) as TestEnv;
}
