// Runs the migrations in order with kysely's Migrator (no unordered migrations).
import { Kysely, Migration, MigrationResultSet, Migrator } from 'kysely';
import * as createCoreTables from './migrations/2026_11_28_1800_create_core_tables';
import * as addApiKeysDeprecatedAt from './migrations/2026_11_29_0320_add_api_keys_deprecated_at';
import * as addOauth from './migrations/2026_11_29_0600_add_oauth';
import * as addAgents from './migrations/2026_11_29_0800_add_agents';
import * as addPolicyRules from './migrations/2026_11_29_0900_add_policy_rules';
import * as addPrincipalsDelegations from './migrations/2026_11_29_1000_add_principals_delegations';
import * as addWallet from './migrations/2026_11_29_1100_add_wallet';
import * as addApiKeysAgentId from './migrations/2026_11_29_1200_add_api_keys_agent_id';
import * as dropGrantsAgentId from './migrations/2026_11_29_1300_drop_grants_agent_id';

// Listed explicitly so the compiled server needs no directory scan.
const migrations: Record<string, Migration> = {
  '2026_11_28_1800_create_core_tables': createCoreTables,
  '2026_11_29_0320_add_api_keys_deprecated_at': addApiKeysDeprecatedAt,
  '2026_11_29_0600_add_oauth': addOauth,
  '2026_11_29_0800_add_agents': addAgents,
  '2026_11_29_0900_add_policy_rules': addPolicyRules,
  '2026_11_29_1000_add_principals_delegations': addPrincipalsDelegations,
  '2026_11_29_1100_add_wallet': addWallet,
  '2026_11_29_1200_add_api_keys_agent_id': addApiKeysAgentId,
  '2026_11_29_1300_drop_grants_agent_id': dropGrantsAgentId,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

export class MigrationError extends Error {
  readonly code = 'migration_failed';
  constructor(readonly results: MigrationResultSet['results'], options: { cause: unknown }) {
    super(`migration failed: ${results?.filter((r) => r.status === 'Error').map((r) => r.migrationName).join(', ') || 'unknown'}`, options);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<NonNullable<MigrationResultSet['results']>> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error) throw new MigrationError(results, { cause: error });
  return results ?? [];
}
