import type { Executor } from '../store/executor';
import type { AuditRow } from './audit';
import { GENESIS_HASH } from './audit';

/**
 * Locks the chain heads of these tenants (creating missing ones), in a fixed order so
 * writers on several replicas never deadlock. Returns each tenant's last seq and hash.
 */
export async function lockAuditHeads(db: Executor, tenantIds: string[]): Promise<Map<string, { seq: number; hash: string }>> {
  const sorted = [...new Set(tenantIds)].sort();
  await db
    .insertInto('audit_heads')
    .values(sorted.map((tenant_id) => ({ tenant_id, seq: 0, hash: GENESIS_HASH })))
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const heads = await db.selectFrom('audit_heads').select(['tenant_id', 'seq', 'hash']).where('tenant_id', 'in', sorted).orderBy('tenant_id').forUpdate().execute();
  return new Map(heads.map((h) => [h.tenant_id, { seq: h.seq, hash: h.hash }]));
}

export async function insertAuditRows(db: Executor, rows: AuditRow[]): Promise<void> {
  await db
    .insertInto('audit_events')
    .values(rows.map((r) => ({ ...r, context: r.context ? JSON.stringify(r.context) : null })))
    .execute();
}

export async function updateAuditHead(db: Executor, tenantId: string, head: { seq: number; hash: string }): Promise<void> {
  await db.updateTable('audit_heads').set(head).where('tenant_id', '=', tenantId).execute();
}

export async function findAuditHead(db: Executor, tenantId: string) {
  return db.selectFrom('audit_heads').select(['seq', 'hash']).where('tenant_id', '=', tenantId).executeTakeFirst();
}

export interface AuditFilter {
  caller?: string | undefined;
  principal?: string | undefined;
  grant?: string | undefined;
  provider?: string | undefined;
  action?: string | undefined;
  outcome?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

function filtered(db: Executor, tenantId: string, f: AuditFilter) {
  let q = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
  if (f.caller) q = q.where((eb) => eb.or([eb('actor_id', '=', f.caller!), eb('key_prefix', '=', f.caller!)]));
  if (f.principal) q = q.where('principal_id', '=', f.principal);
  if (f.grant) q = q.where('grant_id', '=', f.grant);
  if (f.provider) q = q.where('provider', '=', f.provider);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (f.from) q = q.where('occurred_at', '>=', new Date(f.from));
  if (f.to) q = q.where('occurred_at', '<', new Date(f.to));
  return q;
}

/** Newest first, keyset-paginated by seq. */
export async function queryAuditRows(db: Executor, tenantId: string, f: AuditFilter, page: { beforeSeq?: number; limit: number }): Promise<AuditRow[]> {
  let q = filtered(db, tenantId, f);
  if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
  return q.orderBy('seq', 'desc').limit(page.limit).execute();
}

/** Oldest first, in batches, for export and verification. */
export async function* streamAuditRows(db: Executor, tenantId: string, f: AuditFilter, batch = 500): AsyncGenerator<AuditRow> {
  let after = 0;
  for (;;) {
    const rows = await filtered(db, tenantId, f).where('seq', '>', after).orderBy('seq', 'asc').limit(batch).execute();
    yield* rows;
    if (rows.length < batch) return;
    after = rows[rows.length - 1]!.seq;
  }
}

/** The stored hash of the row just before seq (the anchor of a range that starts mid-chain). */
export async function hashBefore(db: Executor, tenantId: string, seq: number): Promise<{ seq: number; hash: string } | undefined> {
  return db.selectFrom('audit_events').select(['seq', 'hash']).where('tenant_id', '=', tenantId).where('seq', '<', seq).orderBy('seq', 'desc').limit(1).executeTakeFirst();
}
