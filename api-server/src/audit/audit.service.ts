import type { AuditPage, AuditQuery, AuditVerifyResponse } from '@alter-vault/sdk';
import { fail, ok, Result } from '../result';
import type { Executor } from '../store/executor';
import { GENESIS_HASH, hashEvent, toAuditEvent } from './audit';
import { findAuditHead, hashBefore, queryAuditRows, streamAuditRows } from './audit.repository';

const DEFAULT_LIMIT = 100;

const encodeCursor = (seq: number) => Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): number | undefined {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/** Newest first; `nextCursor` continues past the last event of this page. */
export async function list(db: Executor, tenantId: string, query: AuditQuery): Promise<Result<AuditPage>> {
  const beforeSeq = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (query.cursor !== undefined && beforeSeq === undefined) return fail('invalid_request', 'the cursor is not valid');
  const limit = query.limit ?? DEFAULT_LIMIT;
  const rows = await queryAuditRows(db, tenantId, query, { ...(beforeSeq !== undefined ? { beforeSeq } : {}), limit: limit + 1 });
  const page = rows.slice(0, limit);
  return ok({ events: page.map(toAuditEvent), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.seq) : null });
}

/** Oldest first, one JSON event per line. */
export async function* exportNdjson(db: Executor, tenantId: string, query: AuditQuery): AsyncGenerator<string> {
  for await (const row of streamAuditRows(db, tenantId, query)) yield `${JSON.stringify(toAuditEvent(row))}\n`;
}

/**
 * Recomputes the chain over a time range: every row's hash, each row's link to the one
 * before, contiguous sequence numbers and, for an open-ended range, the stored head.
 */
export async function verify(db: Executor, tenantId: string, range: { from?: string | undefined; to?: string | undefined }): Promise<AuditVerifyResponse> {
  let checked = 0;
  let previous: { seq: number; hash: string } | undefined;
  let firstBrokenSeq: number | null = null;
  for await (const row of streamAuditRows(db, tenantId, { from: range.from, to: range.to })) {
    if (checked === 0) previous = row.seq === 1 ? { seq: 0, hash: GENESIS_HASH } : await hashBefore(db, tenantId, row.seq);
    if (previous === undefined || row.seq !== previous.seq + 1) {
      // A gap: the first missing row is where the chain breaks.
      firstBrokenSeq = (previous?.seq ?? 0) + 1;
      break;
    }
    checked++;
    if (row.prev_hash !== previous.hash || hashEvent(row) !== row.hash) {
      firstBrokenSeq = row.seq;
      break;
    }
    previous = { seq: row.seq, hash: row.hash };
  }
  const head = await findAuditHead(db, tenantId);
  if (firstBrokenSeq === null && range.to === undefined && head && previous && (head.seq !== previous.seq || head.hash !== previous.hash)) {
    // Rows after the last one we saw were deleted (or the head was moved): the tip is broken.
    firstBrokenSeq = previous.seq + 1;
  }
  if (firstBrokenSeq === null && range.from === undefined && range.to === undefined && !previous && head && head.seq > 0) firstBrokenSeq = 1;
  return { ok: firstBrokenSeq === null, checked, firstBrokenSeq, headSeq: head?.seq ?? null };
}
