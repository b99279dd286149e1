// Agent → an agent identity in the vault bound to the namespace's service account: pods
// running as it authenticate with their projected token and use what the Agent lists.
import type { PutAgentRequest } from '@alter-vault/sdk';
import { agentResource, type Agent } from '../generated/crds';
import type { Reconciler } from './reconciler';

export const agentReconciler: Reconciler<Agent, PutAgentRequest> = {
  resource: agentResource,
  secretsOf: () => [],
  desired(obj) {
    const { spec } = obj;
    return {
      ok: true,
      payload: { uid: obj.metadata.uid!, serviceAccountName: spec.serviceAccountName, providers: spec.providers ?? [], grants: spec.grants ?? [], tokenMode: spec.tokenMode ?? 'forbidden' },
    };
  },
  async apply(vault, ref, payload) {
    const info = await vault.admin.putAgent(ref, payload);
    return { agentId: info.id };
  },
  remove: (vault, ref) => vault.admin.deleteAgent(ref),
};
