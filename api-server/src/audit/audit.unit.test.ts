import { GENESIS_HASH, hashEvent, sanitiseContext } from './audit';

const row = {
  tenant_id: 'default',
  seq: 7,
  id: '6f1c2a8e-2f5d-4d8e-9a51-0c7e3f2b1a90',
  occurred_at: new Date('2026-11-29T10:00:00.000Z'),
  request_id: 'req-1',
  actor_type: 'api_key',
  actor_id: 'key-1',
  key_prefix: 'avk_abcd',
  agent_id: null,
  principal_id: null,
  grant_id: '0b7d3c1e-5a4f-4c2b-8e9d-1f2a3b4c5d6e',
  provider: 'openai',
  action: 'proxy',
  method: 'GET',
  url: 'https://api.openai.com/v1/models?limit=',
  decision: 'allow',
  outcome: 'ok',
  upstream_status: 200,
  latency_ms: 12,
  reason: 'answer ticket 7',
  context: { runId: 'r-1', threadId: 't-1' },
  prev_hash: GENESIS_HASH,
} as const;

describe('hashEvent', () => {
  const base = hashEvent(row);

  it('is a sha-256 hex digest that depends on the previous hash', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEvent({ ...row, prev_hash: base })).not.toBe(base);
  });

  it.each(Object.keys(row).filter((k) => k !== 'prev_hash' && k !== 'occurred_at' && k !== 'context'))('changes when %s changes', (key) => {
    const value = (row as Record<string, unknown>)[key];
    const changed = typeof value === 'number' ? value + 1 : value === null ? 'x' : `${String(value)}x`;
    expect(hashEvent({ ...row, [key]: changed })).not.toBe(base);
  });

  it('changes with the time and the context, but not with the order of context keys (jsonb reorders them)', () => {
    expect(hashEvent({ ...row, occurred_at: new Date('2026-11-29T10:00:00.001Z') })).not.toBe(base);
    expect(hashEvent({ ...row, context: { runId: 'r-2', threadId: 't-1' } })).not.toBe(base);
    expect(hashEvent({ ...row, context: { threadId: 't-1', runId: 'r-1' } })).toBe(base);
    expect(hashEvent({ ...row, occurred_at: '2026-11-29T10:00:00.000Z' as unknown as Date })).toBe(base);
  });
});

describe('sanitiseContext', () => {
  it('keeps short scalar values and drops keys that name a credential', () => {
    expect(
      sanitiseContext({ runId: 'r-1', attempt: 2, dryRun: true, accessToken: 'x', client_secret: 'x', Authorization: 'x', apiKey: 'x', password: 'x', nested: { a: 1 }, list: [1], nan: NaN }),
    ).toEqual({ runId: 'r-1', attempt: 2, dryRun: true });
  });

  it('clips long values, ignores long keys, caps the number of keys, and returns null when nothing is left', () => {
    const long = sanitiseContext({ note: 'y'.repeat(2000), ['k'.repeat(65)]: 'v' })!;
    expect(long.note).toHaveLength(512);
    expect(Object.keys(long)).toEqual(['note']);
    expect(Object.keys(sanitiseContext(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])))!)).toHaveLength(20);
    expect(sanitiseContext({ token: 'x' })).toBeNull();
    expect(sanitiseContext(undefined)).toBeNull();
  });
});
