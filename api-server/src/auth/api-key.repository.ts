import type { Executor } from '../store/executor';

const columns = ['id', 'tenant_id', 'name', 'prefix', 'scopes', 'cidrs', 'expires_at', 'created_at', 'revoked_at', 'deprecated_at', 'agent_id'] as const;

export async function insertApiKey(
  db: Executor,
  row: { id: string; tenantId: string; name: string; prefix: string; hash: Buffer; scopes: string[]; cidrs: string[] | null; expiresAt: Date | null; agentId: string | null },
) {
  return db
    .insertInto('api_keys')
    .values({
      id: row.id,
      tenant_id: row.tenantId,
      name: row.name,
      prefix: row.prefix,
      hash: row.hash,
      scopes: JSON.stringify(row.scopes),
      cidrs: row.cidrs ? JSON.stringify(row.cidrs) : null,
      expires_at: row.expiresAt,
      agent_id: row.agentId,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function findApiKeyByHash(db: Executor, hash: Buffer) {
  return db.selectFrom('api_keys').select(columns).where('hash', '=', hash).executeTakeFirst();
}

export async function listApiKeys(db: Executor, tenantId: string) {
  return db.selectFrom('api_keys').select(columns).where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').execute();
}

/** Revokes a live key of the tenant; returns whether one was found (already revoked counts). */
export async function revokeApiKey(db: Executor, tenantId: string, id: string, at: Date) {
  const key = await db.selectFrom('api_keys').select(['id', 'revoked_at']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!key) return false;
  if (!key.revoked_at) await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).execute();
  return true;
}

/** The tenant's key, locked for a lifecycle change in the caller's transaction. */
export async function lockApiKey(db: Executor, tenantId: string, id: string) {
  return db.selectFrom('api_keys').select(columns).where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function markApiKeyDeprecated(db: Executor, id: string, at: Date) {
  return db.updateTable('api_keys').set({ deprecated_at: at }).where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
}
