// Named (server-side prepared) statements for the pg pool behind kysely: Postgres parses and
// plans a hot statement once per connection instead of on every call, as `pgbench -M prepared`
// does. Only DML with few parameters and no `*` is named: a `select *` plan fails once a
// migration adds a column ("cached plan must not change result type"), and a multi-row insert
// whose text varies with its row count would waste names. Names are capped per process, so
// the server's memory per connection stays bounded. Poolers that drop prepared statements
// between transactions (PgBouncer before 1.21 in transaction mode) need
// ALTER_DB_PREPARED_STATEMENTS=false.
import type { PostgresCursor, PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

const MAX_NAMES = 256;
const MAX_PARAMETERS = 32;
const DML = /^\s*(select|insert|update|delete|with)\b/i;

export function withPreparedStatements(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string, parameters: number): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMES && parameters <= MAX_PARAMETERS && DML.test(text) && !text.includes('*')) {
      name = `alter_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      const query = (sqlOrCursor: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>) => {
        if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as unknown as pg.Submittable);
        const values = [...(parameters ?? [])];
        const name = nameOf(sqlOrCursor, values.length);
        return client.query(name ? { name, text: sqlOrCursor, values } : { text: sqlOrCursor, values });
      };
      return { query, release: (destroy?: boolean) => client.release(destroy) } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
