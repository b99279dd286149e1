// Audit domain: what a use or change records, and how a stored row reads in the API.
import { createHash } from 'node:crypto';
import type { AuditEvent } from '@alter-vault/sdk';
import type { AuditEventTable } from '../store/schema';
import type { Selectable } from 'kysely';

export interface AuditInput {
  tenantId: string;
  requestId?: string;
  /** `principal`: the end user themself, acting in the wallet (the row's context says `origin: wallet`). */
  actor: { type: 'api_key' | 'agent' | 'system' | 'principal'; id?: string; keyPrefix?: string };
  agentId?: string;
  principalId?: string;
  grantId?: string;
  provider?: string;
  action: string;
  method?: string;
  url?: string;
  decision: 'allow' | 'deny';
  outcome: string;
  upstreamStatus?: number;
  latencyMs?: number;
  reason?: string;
  context?: Record<string, unknown>;
}

export type AuditRow = Selectable<AuditEventTable>;

/** The chain's anchor before a tenant's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Every column the hash covers, in a fixed order: changing any of them breaks the chain. */
export function hashEvent(row: Omit<AuditRow, 'hash'>): string {
  const canonical = JSON.stringify([
    row.tenant_id,
    row.seq,
    row.id,
    new Date(row.occurred_at).toISOString(),
    row.request_id,
    row.actor_type,
    row.actor_id,
    row.key_prefix,
    row.agent_id,
    row.principal_id,
    row.grant_id,
    row.provider,
    row.action,
    row.method,
    row.url,
    row.decision,
    row.outcome,
    row.upstream_status,
    row.latency_ms,
    row.reason,
    // jsonb reorders keys: hash them sorted so a stored row hashes as it was written.
    row.context ? Object.entries(row.context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : null,
  ]);
  return createHash('sha256').update(row.prev_hash).update('\n').update(canonical).digest('hex');
}

const SENSITIVE_KEY = /token|secret|password|passwd|authorization|cookie|api[-_]?key|credential/i;

/**
 * Context is caller-supplied and lands in an append-only log: keep only short scalar
 * values, and drop any key that names a credential.
 */
export function sanitiseContext(context: Record<string, unknown> | undefined): Record<string, string | number | boolean> | null {
  if (!context) return null;
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(context).slice(0, 20)) {
    if (key.length > 64 || SENSITIVE_KEY.test(key)) continue;
    if (typeof value === 'string') out[key] = value.slice(0, 512);
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') out[key] = value;
  }
  return Object.keys(out).length ? out : null;
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    seq: row.seq,
    occurredAt: new Date(row.occurred_at).toISOString(),
    requestId: row.request_id,
    actor: { type: row.actor_type, id: row.actor_id, keyPrefix: row.key_prefix },
    agentId: row.agent_id,
    principalId: row.principal_id,
    grantId: row.grant_id,
    provider: row.provider,
    action: row.action,
    method: row.method,
    url: row.url,
    decision: row.decision,
    outcome: row.outcome,
    upstreamStatus: row.upstream_status,
    latencyMs: row.latency_ms,
    reason: row.reason,
    context: row.context as Record<string, unknown> | null,
    hash: row.hash,
  };
}
