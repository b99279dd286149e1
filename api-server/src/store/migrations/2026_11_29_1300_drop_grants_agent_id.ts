// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// grants.agent_id (the agent the last connect session named) is derivable from delegations,
// which 2026_11_29_1000 copied it into: delegations are the one record of who may use a grant.
import { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('grants').dropColumn('agent_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('grants').addColumn('agent_id', 'text').execute();
}
