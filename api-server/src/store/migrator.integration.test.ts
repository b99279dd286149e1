import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createTestDatabase } from '../testing/database';
import { Db, openStore } from './db';
import { createMigrator, migrateToLatest } from './migrator';

async function tables(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(db);
  return rows.map((r) => r.name);
}

async function upDownUp(db: Db) {
  await migrateToLatest(db);
  const afterUp = await tables(db);
  const migrator = createMigrator(db);
  for (;;) {
    const { error, results } = await migrator.migrateDown();
    if (error) throw error;
    if (!results?.length) break;
  }
  const afterDown = await tables(db);
  await migrateToLatest(db);
  return { afterUp, afterDown, again: await tables(db) };
}

describe('migrations', () => {
  it('go up, all the way down and up again on Postgres 15', async () => {
    const t = await createTestDatabase({ migrate: false });
    try {
      const { afterUp, afterDown, again } = await upDownUp(t.db);
      expect(afterUp).toEqual(expect.arrayContaining(['api_keys', 'audit_events', 'audit_heads', 'data_keys', 'grants', 'managed_secrets', 'tenants']));
      expect(afterDown).toEqual([]);
      expect(again).toEqual(afterUp);
    } finally {
      await t.drop();
    }
  });

  it('go up, down and up again on embedded PGlite, and its data survives a reopen', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'alter-pglite-'));
    try {
      let db = await openStore({ pgliteDir: dir, poolSize: 1, preparedStatements: false });
      const { afterUp, afterDown, again } = await upDownUp(db);
      expect(afterDown).toEqual([]);
      expect(again).toEqual(afterUp);
      await db.insertInto('tenants').values({ name: 'kept' }).execute();
      await db.destroy();
      db = await openStore({ pgliteDir: dir, poolSize: 1, preparedStatements: false });
      expect(await db.selectFrom('tenants').select('name').execute()).toEqual([{ name: 'kept' }]);
      await db.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serialises concurrent transactions on PGlite instead of interleaving them', async () => {
    const db = await openStore({ pgliteDir: 'memory://', poolSize: 1, preparedStatements: false });
    try {
      await migrateToLatest(db);
      const order: string[] = [];
      const txn = (name: string) =>
        db.transaction().execute(async (trx) => {
          order.push(`${name}:begin`);
          await trx.insertInto('tenants').values({ name }).execute();
          await new Promise((r) => setTimeout(r, 20));
          order.push(`${name}:end`);
        });
      const failing = db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values({ name: 'rolled-back' }).execute();
        throw new Error('abort');
      });
      await Promise.all([txn('a'), txn('b'), expect(failing).rejects.toThrow('abort')]);
      expect(order).toEqual(['a:begin', 'a:end', 'b:begin', 'b:end']);
      expect((await db.selectFrom('tenants').select('name').orderBy('name').execute()).map((r) => r.name)).toEqual(['a', 'b']);
    } finally {
      await db.destroy();
    }
  });
});
