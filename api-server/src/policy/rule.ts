// Operator rules, domain side: what a stored rule is, whom it applies to, and the pure
// translations the policy needs (windows → minutes of the week, path globs → anchored RE2).
// The policy (policies/variables/operator_rules.yaml) decides; nothing here allows or denies.
import type { PolicyRuleSpec, PolicyRuleTarget, TimeWindow, Weekday } from '@alter-vault/sdk';

export interface StoredRule {
  id: string;
  tenantId: string;
  target: PolicyRuleTarget;
  spec: PolicyRuleSpec;
  createdAt: Date;
}

/** Who and what one use is, as far as rule targets go. */
export interface UseTarget {
  provider: string;
  /** The calling agent: `caller.agent?.id ?? caller.actor.id` (an API key acts as its own agent). */
  agentKey: string;
  grantId: string;
}

export function ruleApplies(target: PolicyRuleTarget, use: UseTarget): boolean {
  switch (target.type) {
    case 'tenant':
      return true;
    case 'provider':
      return target.id === use.provider;
    case 'agent':
      return target.id === use.agentKey;
    case 'grant':
      return target.id === use.grantId;
  }
}

export const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const dayIndex: Record<Weekday, number> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };
const shortDays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/**
 * The windows as half-open spans of minutes of the week (Monday 00:00 = 0). A window whose
 * `to` is at or before its `from` runs past midnight into the next day; one that runs past
 * Sunday midnight is split in two.
 */
export function windowSpans(windows: readonly TimeWindow[]): { from: number; to: number }[] {
  const spans: { from: number; to: number }[] = [];
  for (const w of windows) {
    const from = minutesOf(w.from);
    const to = minutesOf(w.to);
    const length = to > from ? to - from : to + MINUTES_PER_DAY - from;
    for (const day of w.days) {
      const start = dayIndex[day] * MINUTES_PER_DAY + from;
      const end = start + length;
      if (end <= MINUTES_PER_WEEK) spans.push({ from: start, to: end });
      else spans.push({ from: start, to: MINUTES_PER_WEEK }, { from: 0, to: end - MINUTES_PER_WEEK });
    }
  }
  return spans.sort((a, b) => a.from - b.from || a.to - b.to);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local minute of the week (Monday 00:00 = 0) in an IANA zone, truncated to the minute. */
export function localMinuteOfWeek(zone: string, at: Date): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, format);
  }
  let day = -1;
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(at)) {
    if (part.type === 'weekday') day = shortDays.indexOf(part.value);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  if (day < 0) throw new TypeError(`no weekday for time zone ${zone}`);
  return day * MINUTES_PER_DAY + hour * 60 + minute;
}

/** The zone's canonical name (`europe/paris` → `Europe/Paris`); the schema already checked it exists. */
export function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

// One character of a path segment: anything but `/`, and no percent-encoded `/` either
// (`%2F`, which an upstream may decode into a separator).
const SEGMENT_CHAR = '(?:[^/%]|%(?:[013-9A-Fa-f][0-9A-Fa-f]|2[0-9A-Ea-e]))';

/**
 * A path glob (see `pathPattern` in the SDK) as an anchored RE2 expression for the policy's
 * `matches()`: `*` is any run of segment characters, a `**` segment any number of segments.
 */
export function globToRegex(pattern: string): string {
  let out = '^';
  for (const segment of pattern.split('/').slice(1)) {
    if (segment === '**') out += '(?:/.*)?';
    else out += `/${segment.split('*').map(escapeRegex).join(`${SEGMENT_CHAR}*`)}`;
  }
  return `${out}$`;
}

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
