// The migration that adds principals and delegations turns the grants delegated at connect
// time so far (grants.agent_id) into delegations, on Postgres and on embedded PGlite.
import { sql } from 'kysely';
import { findGrant } from '../grants/grant.repository';
import { createTestDatabase } from '../testing/database';
import { type Db, openStore } from './db';
import { createMigrator } from './migrator';

async function backfill(db: Db) {
  const migrator = createMigrator(db);
  const before = await migrator.migrateTo('2026_11_29_0900_add_policy_rules');
  expect(before.error).toBeUndefined();
  const { rows } = await sql<{ id: string }>`insert into tenants (name) values ('t') returning id`.execute(db);
  const tenantId = rows[0]!.id;
  const grant = (id: string, status: string, agentId: string | null) =>
    sql`insert into grants (id, tenant_id, kind, provider, status, injection, allowed_hosts, principal_id, agent_id) values (${id}, ${tenantId}, 'oauth', 'google', ${status}, '{}', '[]', 'alice', ${agentId})`.execute(db);
  await grant('00000000-0000-4000-8000-000000000001', 'active', 'agent-1');
  await grant('00000000-0000-4000-8000-000000000002', 'active', null);
  await grant('00000000-0000-4000-8000-000000000003', 'revoked', 'agent-1');
  const after = await migrator.migrateTo('2026_11_29_1000_add_principals_delegations');
  expect(after.error).toBeUndefined();
  const delegations = await sql<{ grant_id: string; agent_id: string; tenant_id: string; revoked_at: Date | null }>`select grant_id, agent_id, tenant_id, revoked_at from delegations`.execute(db);
  expect(delegations.rows).toEqual([{ grant_id: '00000000-0000-4000-8000-000000000001', agent_id: 'agent-1', tenant_id: tenantId, revoked_at: null }]);
  // A grant reads its live delegations as a sorted array, whichever the driver (on the latest schema).
  expect((await migrator.migrateToLatest()).error).toBeUndefined();
  expect((await findGrant(db, tenantId, '00000000-0000-4000-8000-000000000001'))?.delegated_to).toEqual(['agent-1']);
  expect((await findGrant(db, tenantId, '00000000-0000-4000-8000-000000000002'))?.delegated_to).toEqual([]);
  // One live delegation per grant and agent; a revoked one may be followed by a new one.
  const insert = (revokedAt: Date | null) =>
    sql`insert into delegations (id, tenant_id, grant_id, agent_id, revoked_at) values (gen_random_uuid(), ${tenantId}, '00000000-0000-4000-8000-000000000001', 'agent-1', ${revokedAt})`.execute(db);
  await expect(insert(null)).rejects.toThrow(/delegations_live_key|unique/);
  await insert(new Date());
}

describe('2026_11_29_1000_add_principals_delegations', () => {
  it('backfills delegations from grants.agent_id on Postgres 15', async () => {
    const t = await createTestDatabase({ migrate: false });
    try {
      await backfill(t.db);
    } finally {
      await t.drop();
    }
  });

  it('backfills delegations from grants.agent_id on embedded PGlite', async () => {
    const db = await openStore({ pgliteDir: 'memory://', poolSize: 1, preparedStatements: false });
    try {
      await backfill(db);
    } finally {
      await db.destroy();
    }
  });
});
