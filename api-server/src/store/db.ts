// Opens the store: Postgres when a URL is configured, otherwise PGlite in the data directory.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect';
import { withPreparedStatements } from './prepared-statements';
import type { Database } from './schema';

export type Db = Kysely<Database>;

const INT8_OID = 20;

export interface StoreOptions {
  databaseUrl?: string | undefined;
  pgliteDir: string;
  poolSize: number;
  /** Postgres only: name hot statements so the server plans them once per connection. */
  preparedStatements: boolean;
}

export async function openStore(options: StoreOptions): Promise<Db> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize,
      connectionTimeoutMillis: 5_000,
      // Counts and sequence numbers fit in a JS number; parse them as one on both drivers.
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
    });
    // A client losing its server (restart, failover, network cut) must not crash the process,
    // whether it sits idle in the pool or is checked out between two queries of a transaction:
    // the query in flight or the next one reports the failure, and the pool reconnects.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: options.preparedStatements ? withPreparedStatements(pool) : pool }) });
  }
  const embedded = await PGlite.create(options.pgliteDir, { parsers: { [INT8_OID]: Number } });
  return new Kysely<Database>({ dialect: new PGliteDialect(embedded) });
}
