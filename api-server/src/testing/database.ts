// A fresh, migrated database per test file on the test Postgres, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testEnv } from '../../../testenv/env';
import { Db, openStore } from '../store/db';
import { migrateToLatest } from '../store/migrator';

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = testEnv().postgresUrl;
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openStore({ databaseUrl: url.toString(), pgliteDir: '', poolSize: 5, preparedStatements: true });
  if (options.migrate !== false) await migrateToLatest(db);
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.destroy();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
