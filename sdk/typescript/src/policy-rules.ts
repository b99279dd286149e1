// Operator rules (POST /v1/policies/rules): restrictions on the uses of grants, each aimed at
// one target (the tenant, a provider, an agent or a grant). Rules only restrict: a use must
// satisfy every rule that applies to it, and no rule can allow what the policy denies.
// Shared by the server and its clients (STYLE 3).
import { z } from 'zod';

export const policyRuleTypes = ['time_window', 'ip_allowlist', 'grant_ttl', 'http', 'token_mode', 'rate_limit'] as const;
export type PolicyRuleType = (typeof policyRuleTypes)[number];
export const policyRuleTargetTypes = ['tenant', 'provider', 'agent', 'grant'] as const;
export type PolicyRuleTargetType = (typeof policyRuleTargetTypes)[number];

/**
 * Whom a rule applies to: every use in the tenant; uses of a provider's grants (or of a
 * managed secret, by its slug); uses by an agent (an Agent id, or an API key id for callers
 * that are keys); or uses of one grant.
 */
export const policyRuleTarget = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('tenant') }),
  z.strictObject({ type: z.literal('provider'), id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a provider name or a managed-secret slug') }),
  z.strictObject({ type: z.literal('agent'), id: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal('grant'), id: z.uuid() }),
]);
export type PolicyRuleTarget = z.infer<typeof policyRuleTarget>;

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** An IANA time zone (`Europe/Paris`, `America/New_York`, `UTC`), as the runtime's Intl knows it. */
export const ianaTimeZone = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'expected an IANA time zone such as Europe/Paris')
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'unknown IANA time zone');

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM, 00:00 to 24:00');
/**
 * Local days and hours: `from` is inclusive, `to` exclusive. A `to` at or before `from`
 * crosses midnight: `{days: ['fri'], from: '22:00', to: '06:00'}` runs to Saturday 06:00.
 */
export const timeWindow = z
  .strictObject({
    days: z.array(z.enum(weekdays)).min(1).max(7).refine((d) => new Set(d).size === d.length, 'days must not repeat'),
    from: clockTime.refine((t) => t !== '24:00', 'from must be before 24:00'),
    to: clockTime,
  })
  .refine((w) => w.from !== w.to, 'from and to must differ (00:00 to 24:00 is a whole day)');
export type TimeWindow = z.infer<typeof timeWindow>;

export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

// A URL path pattern for proxied calls, matched against the normalised path (dot segments
// resolved, no query): `*` matches within one segment (never a `/`, nor an encoded `%2F`),
// `**` as a whole segment matches any number of segments, zero included. Everything else is
// literal and case-sensitive: `/v1/users/*/messages/**`, `/repos/acme/*`, `/v1/files/*.json`.
export const pathPattern = z
  .string()
  .min(1)
  .max(512)
  .regex(/^\/[A-Za-z0-9\-._~!$&'()+,;=:@%*/]*$/, 'expected a path starting with / (letters, digits, -._~!$&\'()+,;=:@% and the wildcards * and **)')
  .refine((p) => p.split('/').every((segment) => !segment.includes('**') || segment === '**'), '** must be a whole segment')
  .refine((p) => !/%(?![0-9A-Fa-f]{2})/.test(p), 'a % must start a percent-encoded byte');

/** A rule's type and parameters, without its target. */
const ruleBodies = {
  /** Uses are allowed only inside one of the windows, in the zone's local time. */
  time_window: { type: z.literal('time_window'), zone: ianaTimeZone, windows: z.array(timeWindow).min(1).max(50) },
  /** Uses are allowed only from these addresses (IPv4 and IPv6 CIDRs). */
  ip_allowlist: { type: z.literal('ip_allowlist'), cidrs: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32')).min(1).max(100) },
  /** A grant is usable for this long after it was created (checked to the minute, rounded toward denial). */
  grant_ttl: { type: z.literal('grant_ttl'), seconds: z.number().int().min(60).max(10 * 366 * 86_400) },
  /** Proxied calls only with these methods and to these paths (either list may be left out); rules out token mode, which would escape it. */
  http: { type: z.literal('http'), methods: z.array(z.enum(httpMethods)).min(1).max(7).optional(), paths: z.array(pathPattern).min(1).max(50).optional() },
  /** Token mode (POST /v1/tokens/retrieve) is not allowed; proxy mode is unaffected. */
  token_mode: { type: z.literal('token_mode'), allowed: z.literal(false) },
  /** At most `requests` uses per `perSeconds`, counted per agent (caller) or per grant. */
  rate_limit: { type: z.literal('rate_limit'), requests: z.number().int().min(1).max(1_000_000), perSeconds: z.number().int().min(1).max(86_400), per: z.enum(['agent', 'grant']) },
} as const;

export const createPolicyRuleRequest = z.discriminatedUnion('type', [
  z.strictObject({ target: policyRuleTarget, ...ruleBodies.time_window }),
  z.strictObject({ target: policyRuleTarget, ...ruleBodies.ip_allowlist }),
  z.strictObject({ target: policyRuleTarget, ...ruleBodies.grant_ttl }),
  z
    .strictObject({ target: policyRuleTarget, ...ruleBodies.http })
    .refine((r) => r.methods !== undefined || r.paths !== undefined, 'an http rule needs methods, paths or both'),
  z.strictObject({ target: policyRuleTarget, ...ruleBodies.token_mode }),
  z.strictObject({ target: policyRuleTarget, ...ruleBodies.rate_limit }),
]);
export type CreatePolicyRuleRequest = z.infer<typeof createPolicyRuleRequest>;
/** A rule's type and parameters. */
export type PolicyRuleSpec = CreatePolicyRuleRequest extends infer R ? (R extends unknown ? Omit<R, 'target'> : never) : never;

/** A stored rule: the request as normalised (CIDRs canonical, the zone's canonical name), with its id. */
export type PolicyRule = CreatePolicyRuleRequest & { id: string; createdAt: string };
export interface PolicyRuleList {
  rules: PolicyRule[];
}

export const listPolicyRulesQuery = z.strictObject({
  targetType: z.enum(policyRuleTargetTypes).optional(),
  targetId: z.string().min(1).max(200).optional(),
  type: z.enum(policyRuleTypes).optional(),
});
export type ListPolicyRulesQuery = z.infer<typeof listPolicyRulesQuery>;
