// SQL of the operator rules (STYLE 1: rows never leave the service).
import type { Executor } from '../store/executor';

const columns = ['id', 'tenant_id', 'target_type', 'target_id', 'type', 'params', 'created_at'] as const;

export async function insertRule(
  db: Executor,
  row: { id: string; tenantId: string; targetType: 'tenant' | 'provider' | 'agent' | 'grant'; targetId: string | null; type: string; params: Record<string, unknown>; createdBy: string; createdAt: Date },
) {
  return db
    .insertInto('policy_rules')
    .values({ id: row.id, tenant_id: row.tenantId, target_type: row.targetType, target_id: row.targetId, type: row.type, params: JSON.stringify(row.params), created_by: row.createdBy, created_at: row.createdAt })
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function listRuleRows(db: Executor, tenantId: string, filter: { targetType?: string | undefined; targetId?: string | undefined; type?: string | undefined } = {}) {
  let query = db.selectFrom('policy_rules').select(columns).where('tenant_id', '=', tenantId);
  if (filter.targetType) query = query.where('target_type', '=', filter.targetType as 'tenant');
  if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
  if (filter.type) query = query.where('type', '=', filter.type);
  return query.orderBy('created_at').orderBy('id').execute();
}

export async function findRule(db: Executor, tenantId: string, id: string) {
  return db.selectFrom('policy_rules').select(columns).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function deleteRuleRow(db: Executor, tenantId: string, id: string) {
  return db.deleteFrom('policy_rules').where('tenant_id', '=', tenantId).where('id', '=', id).returning(columns).executeTakeFirst();
}
