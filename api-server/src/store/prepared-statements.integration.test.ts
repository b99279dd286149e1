import { sql } from 'kysely';
import { createTestDatabase, TestDatabase } from '../testing/database';
import { Db, openStore } from './db';

// pg_prepared_statements lists the statements of the asking session: one pooled connection.
const prepared = async (db: Db) =>
  (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(db)).rows.filter((r) => !r.statement.includes('pg_prepared_statements'));

describe('prepared statements', () => {
  let t: TestDatabase;
  let db: Db | undefined;
  beforeEach(async () => {
    t = await createTestDatabase();
  });
  afterEach(async () => {
    await db?.destroy();
    await t.drop();
  });

  it('names a repeated lookup once per connection, and still plans right after a migration adds a column', async () => {
    db = await openStore({ databaseUrl: t.url, pgliteDir: '', poolSize: 1, preparedStatements: true });
    const lookup = (name: string) => db!.selectFrom('tenants').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
    await db.insertInto('tenants').values({ name: 'acme' }).execute();
    await lookup('acme');
    await lookup('globex');
    const named = await prepared(db);
    expect(named.filter((r) => r.statement.startsWith('select "id", "name" from "tenants"'))).toHaveLength(1);
    expect(named.every((r) => r.name.startsWith('alter_'))).toBe(true);

    await sql`alter table tenants add column note text`.execute(db);
    expect(await lookup('acme')).toMatchObject({ name: 'acme' });
  });

  it('leaves select * and many-parameter statements unnamed, and names nothing when turned off', async () => {
    db = await openStore({ databaseUrl: t.url, pgliteDir: '', poolSize: 1, preparedStatements: true });
    await db.selectFrom('tenants').selectAll().execute();
    await db.insertInto('tenants').values(Array.from({ length: 40 }, (_, i) => ({ name: `t${i}` }))).execute();
    expect(await prepared(db)).toEqual([]);
    await db.destroy();

    db = await openStore({ databaseUrl: t.url, pgliteDir: '', poolSize: 1, preparedStatements: false });
    await db.selectFrom('tenants').select('id').where('name', '=', 't1').execute();
    expect(await prepared(db)).toEqual([]);
  });
});
