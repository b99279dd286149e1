// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// A key's lifecycle: active → deprecated (still works, every answer says so) → revoked.
import { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('deprecated_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('deprecated_at').execute();
}
