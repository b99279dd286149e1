import { createPolicyRuleRequest } from '@alter-vault/sdk';
import type { Caller } from '../auth/caller';
import type { Grant } from '../grants/grant';
import { RateLimiter } from './rate-limiter';
import { globToRegex, localMinuteOfWeek, ruleApplies, windowSpans } from './rule';
import { loadRule, normaliseIp, ruleDenial, ruleInputs } from './rule.inputs';

describe('operator rules: the translations the policy reads', () => {
  it.each([
    ['a weekday window', [{ days: ['mon', 'fri'] as const, from: '09:00', to: '17:30' }], [{ from: 540, to: 1050 }, { from: 4 * 1440 + 540, to: 4 * 1440 + 1050 }]],
    ['a window to midnight', [{ days: ['tue'] as const, from: '20:00', to: '24:00' }], [{ from: 1440 + 1200, to: 2 * 1440 }]],
    ['a window past midnight runs into the next day', [{ days: ['wed'] as const, from: '22:00', to: '06:00' }], [{ from: 2 * 1440 + 1320, to: 3 * 1440 + 360 }]],
    ['a window past Sunday midnight is split at the week’s end', [{ days: ['sun'] as const, from: '23:00', to: '01:00' }], [{ from: 0, to: 60 }, { from: 6 * 1440 + 1380, to: 7 * 1440 }]],
  ])('windowSpans: %s', (_name, windows, spans) => {
    expect(windowSpans(windows.map((w) => ({ ...w, days: [...w.days] })))).toEqual(spans);
  });

  it.each([
    ['Monday 00:30 in Paris is Sunday 23:30 UTC', 'Europe/Paris', '2026-01-04T23:30:00Z', 30],
    ['the same instant in UTC', 'UTC', '2026-01-04T23:30:00Z', 6 * 1440 + 1410],
    ['New York in summer time (UTC-4)', 'America/New_York', '2026-07-08T13:05:59.999Z', 2 * 1440 + 9 * 60 + 5],
  ])('localMinuteOfWeek: %s', (_name, zone, at, minute) => {
    expect(localMinuteOfWeek(zone, new Date(at))).toBe(minute);
  });

  it.each([
    ['/v1/users/*/messages/**', '/v1/users/me/messages', true],
    ['/v1/users/*/messages/**', '/v1/users/me/messages/abc/attachments', true],
    ['/v1/users/*/messages/**', '/v1/users/me/settings', false],
    ['/v1/users/*/messages/**', '/v1/users/a/b/messages', false],
    ['/v1/users/*/messages/**', '/v1/users/me%2Fx/messages', false],
    ['/v1/users/*/messages/**', '/v1/users/caf%C3%A9/messages', true],
    ['/v1/files/*.json', '/v1/files/report.json', true],
    ['/v1/files/*.json', '/v1/files/reportxjson', false],
    ['/a/**/z', '/a/z', true],
    ['/a/**/z', '/a/b/c/z', true],
    ['/**', '/anything/at/all', true],
    ['/exact', '/exact/', false],
  ])('globToRegex: %s against %s is %s', (pattern, path, matches) => {
    expect(new RegExp(globToRegex(pattern)).test(path)).toBe(matches);
  });

  it.each([
    ['an unknown time zone', { type: 'time_window', zone: 'Mars/Olympus', windows: [{ days: ['mon'], from: '09:00', to: '17:00' }] }],
    ['an offset instead of a zone', { type: 'time_window', zone: '+01:00', windows: [{ days: ['mon'], from: '09:00', to: '17:00' }] }],
    ['a window that starts where it ends', { type: 'time_window', zone: 'UTC', windows: [{ days: ['mon'], from: '09:00', to: '09:00' }] }],
    ['a repeated day', { type: 'time_window', zone: 'UTC', windows: [{ days: ['mon', 'mon'], from: '09:00', to: '10:00' }] }],
    ['a ** inside a segment', { type: 'http', paths: ['/v1/a**'] }],
    ['a path without its leading slash', { type: 'http', paths: ['v1/*'] }],
    ['a query in a path', { type: 'http', paths: ['/v1/a?b=c'] }],
    ['an http rule with neither methods nor paths', { type: 'http' }],
    ['token_mode allowed (rules only restrict)', { type: 'token_mode', allowed: true }],
    ['a TTL under a minute', { type: 'grant_ttl', seconds: 30 }],
    ['a rate limit without its key', { type: 'rate_limit', requests: 10, perSeconds: 60 }],
  ])('the request schema refuses %s', (_name, rule) => {
    expect(createPolicyRuleRequest.safeParse({ target: { type: 'tenant' }, ...rule }).success).toBe(false);
  });

  it('matches targets: tenant, provider, agent (or the key acting as one), grant', () => {
    const use = { provider: 'github', agentKey: 'agent-1', grantId: 'g-1' };
    expect(ruleApplies({ type: 'tenant' }, use)).toBe(true);
    expect(ruleApplies({ type: 'provider', id: 'github' }, use)).toBe(true);
    expect(ruleApplies({ type: 'provider', id: 'slack' }, use)).toBe(false);
    expect(ruleApplies({ type: 'agent', id: 'agent-1' }, use)).toBe(true);
    expect(ruleApplies({ type: 'grant', id: 'g-2' }, use)).toBe(false);
  });

  it('normalises the caller address as the policy reads it', () => {
    expect(normaliseIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normaliseIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(normaliseIp('not-an-ip')).toBeUndefined();
    expect(normaliseIp(undefined)).toBeUndefined();
  });
});

describe('rate limiter', () => {
  it('counts per key in windows that start at the first use, and says when the window ends', () => {
    const limiter = new RateLimiter();
    const limit = { requests: 2, perSeconds: 10 };
    expect(limiter.hit('a', limit, 1_000)).toEqual({ over: false, retryAfterSeconds: 10 });
    expect(limiter.hit('a', limit, 2_000).over).toBe(false);
    expect(limiter.hit('a', limit, 4_500)).toEqual({ over: true, retryAfterSeconds: 7 });
    expect(limiter.hit('b', limit, 4_500).over).toBe(false);
    expect(limiter.hit('a', limit, 11_000)).toEqual({ over: false, retryAfterSeconds: 10 });
  });

  it('stays bounded, dropping ended windows first', () => {
    const limiter = new RateLimiter(10);
    for (let i = 0; i < 10; i++) limiter.hit(`k${i}`, { requests: 1, perSeconds: 1 }, 0);
    limiter.hit('new', { requests: 1, perSeconds: 1 }, 5_000);
    expect(limiter.size).toBe(1);
  });
});

describe('rule inputs', () => {
  const caller: Caller = { tenantId: 't', actor: { type: 'api_key', id: 'key-1', keyPrefix: 'avk_x' }, scopes: new Set(['proxy:execute']) };
  const grant = { id: 'g-1', tenantId: 't', provider: 'github', createdAt: new Date('2026-01-01T00:00:00Z') } as Grant;
  const at = new Date('2026-01-05T10:00:30Z');
  const stored = (id: string, spec: object) => loadRule({ id, tenantId: 't', target: { type: 'tenant' }, spec: spec as never, createdAt: at });

  it('sends only the inputs that the applicable rules read, time to the minute, sorted by rule id', () => {
    const rules = [
      stored('b', { type: 'grant_ttl', seconds: 3600 }),
      stored('a', { type: 'time_window', zone: 'UTC', windows: [{ days: ['mon'], from: '09:00', to: '17:00' }] }),
    ];
    const inputs = ruleInputs(rules, { caller, grant, action: 'proxy', context: { ip: '10.0.0.1', method: 'GET', path: '/x' }, now: at, limiter: new RateLimiter() });
    expect(inputs.principal).toEqual({});
    expect(inputs.resource).toEqual({
      rules: [
        { id: 'a', type: 'time_window', zone: 'UTC', spans: [{ from: 540, to: 1020 }] },
        { id: 'b', type: 'grant_ttl', seconds: 3600 },
      ],
      clock: { UTC: 600 },
      now: Date.parse('2026-01-05T10:01:00Z') / 1000,
      createdAt: Date.parse('2026-01-01T00:00:00Z') / 1000,
    });
    // The same use a few seconds later has the same input, so the same cache key.
    const later = ruleInputs(rules, { caller, grant, action: 'proxy', context: {}, now: new Date(at.getTime() + 20_000), limiter: new RateLimiter() });
    expect(later.resource).toEqual(inputs.resource);
  });

  it('passes a rate limit as a boolean, and explains a denial by it with its Retry-After', () => {
    const rules = [stored('r', { type: 'rate_limit', requests: 1, perSeconds: 60, per: 'agent' })];
    const limiter = new RateLimiter();
    const use = { caller, grant, action: 'retrieve_token' as const, context: {}, now: at, limiter };
    expect(ruleInputs(rules, use).resource.rules).toEqual([{ id: 'r', type: 'rate_limit', overLimit: false }]);
    const over = ruleInputs(rules, use);
    expect(over.resource.rules).toEqual([{ id: 'r', type: 'rate_limit', overLimit: true }]);
    expect(ruleDenial([{ source: 'resource.grant.vdefault#deny-over-rate-limit', value: { rule: 'rate_limit', id: 'r' } }], over)).toEqual({
      code: 'rate_limited',
      message: 'a rate_limit rule allows 1 uses per 60 s per agent; retry after 60 s',
      details: { rule: 'rate_limit', ruleId: 'r', retryAfterSeconds: 60 },
    });
  });

  it('prefers a rule that retrying cannot satisfy over a rate limit', () => {
    const rules = [stored('r', { type: 'rate_limit', requests: 1, perSeconds: 60, per: 'grant' }), stored('t', { type: 'token_mode', allowed: false })];
    const inputs = ruleInputs(rules, { caller, grant, action: 'retrieve_token', context: {}, now: at, limiter: new RateLimiter() });
    const outputs = [
      { source: 'x#deny-over-rate-limit', value: { rule: 'rate_limit', id: 'r' } },
      { source: 'x#deny-token-mode', value: { rule: 'token_mode', id: 't' } },
    ];
    expect(ruleDenial(outputs, inputs)).toMatchObject({ code: 'policy_denied', details: { rule: 'token_mode', ruleId: 't' } });
    expect(ruleDenial([], inputs)).toBeUndefined();
  });
});
