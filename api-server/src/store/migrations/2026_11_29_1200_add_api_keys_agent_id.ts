// Frozen in time (STYLE 19): never edit after merge; add a new migration instead.
// An API key may belong to an agent: it then authenticates as that agent (a workload outside
// Kubernetes, or one moving over), with the keys' lifecycle; deleting the agent deletes its keys.
import { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('agent_id', 'uuid', (c) => c.references('agents.id').onDelete('cascade')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('agent_id').execute();
}
