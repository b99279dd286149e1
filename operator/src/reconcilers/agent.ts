// Agent → an agent identity in the vault bound to the namespace's service account: pods
// running as it authenticate with their projected token and use what the Agent lists, within
// its policy parameters (sent as operator rules that target the agent).
import type { PutAgentRequest } from '@alter-vault/sdk';
import { agentResource, type Agent, type AgentSpec } from '../generated/crds';
import type { Reconciler } from './reconciler';

type Rule = NonNullable<PutAgentRequest['rules']>[number];

/** The Agent's policy parameters as rules: one http rule, one time-window rule per zone, one rate limit. */
export function agentRules(spec: AgentSpec): Rule[] {
  const rules: Rule[] = [];
  if (spec.allowedMethods || spec.allowedUrls) {
    rules.push({ type: 'http', ...(spec.allowedMethods ? { methods: spec.allowedMethods } : {}), ...(spec.allowedUrls ? { paths: spec.allowedUrls } : {}) });
  }
  const byZone = new Map<string, { days: string[]; from: string; to: string }[]>();
  for (const w of spec.timeWindows ?? []) {
    const zone = w.timeZone ?? 'UTC';
    byZone.set(zone, [...(byZone.get(zone) ?? []), { days: w.days.map((d) => d.toLowerCase()), from: w.start, to: w.end }]);
  }
  for (const [zone, windows] of byZone) rules.push({ type: 'time_window', zone, windows });
  if (spec.rateLimit) rules.push({ type: 'rate_limit', requests: spec.rateLimit.requests, perSeconds: spec.rateLimit.perSeconds, per: 'agent' });
  return rules;
}

export const agentReconciler: Reconciler<Agent, PutAgentRequest> = {
  resource: agentResource,
  secretsOf: () => [],
  desired(obj) {
    const { spec } = obj;
    return {
      ok: true,
      payload: {
        uid: obj.metadata.uid!,
        serviceAccountName: spec.serviceAccountName,
        providers: spec.providers ?? [],
        grants: spec.grants ?? [],
        tokenMode: spec.tokenMode ?? 'forbidden',
        rules: agentRules(spec),
      },
    };
  },
  async apply(vault, ref, payload) {
    const info = await vault.admin.putAgent(ref, payload);
    return { agentId: info.id };
  },
  remove: (vault, ref) => vault.admin.deleteAgent(ref),
};
