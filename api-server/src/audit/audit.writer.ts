// Durable, hash-chained audit writes with group commit. Concurrent write() calls queue up;
// one flush at a time commits everything queued in a single transaction (lock the chain
// heads, insert all rows in one statement, move the heads), then resolves every waiter.
// Requests arriving during a flush form the next batch, so batching costs no added delay.
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import { CodedError } from '../result';
import type { Database } from '../store/schema';
import { AuditInput, AuditRow, hashEvent, sanitiseContext, toAuditEvent } from './audit';
import { insertAuditRows, lockAuditHeads, updateAuditHead } from './audit.repository';

/** Shaped so prom-client Histograms fit. */
export interface AuditMetrics {
  writeDuration?: { observe(seconds: number): void };
  batchSize?: { observe(rows: number): void };
}

interface Pending {
  input: AuditInput;
  occurredAt: Date;
  started: bigint;
  resolve(event: AuditEvent): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 500;
const clip = (s: string | undefined, n: number) => (s === undefined ? null : s.slice(0, n));

export class AuditWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly metrics: AuditMetrics = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Resolves once the row is committed; rejects with audit_unavailable otherwise. */
  write(input: AuditInput): Promise<AuditEvent> {
    if (this.closed) return Promise.reject(new CodedError('audit_unavailable', 'the audit writer is closed'));
    return new Promise<AuditEvent>((resolve, reject) => {
      this.queue.push({ input, occurredAt: this.now(), started: process.hrtime.bigint(), resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Commits what is queued and refuses new writes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      await this.flush(batch);
    }
    this.flushing = undefined;
  }

  private async flush(batch: Pending[]): Promise<void> {
    let rows: AuditRow[];
    try {
      rows = await this.db.transaction().execute(async (trx) => {
        const heads = await lockAuditHeads(trx, batch.map((p) => p.input.tenantId));
        const built = batch.map((p) => {
          const head = heads.get(p.input.tenantId)!;
          const row = this.toRow(p, head.seq + 1, head.hash);
          heads.set(p.input.tenantId, { seq: row.seq, hash: row.hash });
          return row;
        });
        await insertAuditRows(trx, built);
        for (const [tenantId, head] of heads) await updateAuditHead(trx, tenantId, head);
        return built;
      });
    } catch (err) {
      const failure = new CodedError('audit_unavailable', 'the audit log could not be written', { cause: err });
      for (const p of batch) p.reject(failure);
      return;
    }
    this.metrics.batchSize?.observe(batch.length);
    const done = process.hrtime.bigint();
    batch.forEach((p, i) => {
      this.metrics.writeDuration?.observe(Number(done - p.started) / 1e9);
      p.resolve(toAuditEvent(rows[i]!));
    });
  }

  private toRow(p: Pending, seq: number, prevHash: string): AuditRow {
    const i = p.input;
    const row: Omit<AuditRow, 'hash'> = {
      tenant_id: i.tenantId,
      seq,
      id: randomUUID(),
      occurred_at: p.occurredAt,
      request_id: clip(i.requestId, 100),
      actor_type: i.actor.type,
      actor_id: clip(i.actor.id, 200),
      key_prefix: clip(i.actor.keyPrefix, 32),
      agent_id: clip(i.agentId, 200),
      principal_id: clip(i.principalId, 200),
      grant_id: i.grantId ?? null,
      provider: clip(i.provider, 200),
      action: i.action.slice(0, 100),
      method: clip(i.method, 16),
      url: clip(i.url, 2048),
      decision: i.decision,
      outcome: i.outcome.slice(0, 100),
      upstream_status: i.upstreamStatus ?? null,
      latency_ms: i.latencyMs === undefined ? null : Math.round(i.latencyMs),
      reason: clip(i.reason, 1000),
      context: sanitiseContext(i.context),
      prev_hash: prevHash,
    };
    return { ...row, hash: hashEvent(row) };
  }
}
