import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';

/** What a repository function runs on: the pool or the caller's transaction (STYLE 20). */
export type Executor = Kysely<Database> | Transaction<Database>;
