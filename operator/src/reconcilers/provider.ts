// Provider → the namespace's OAuth client at a provider (PUT /v1/admin/providers). The client
// secret is read from the referenced Secret; it is never written anywhere else.
import type { PutProviderRequest } from '@alter-vault/sdk';
import { providerResource, type Provider } from '../generated/crds';
import { type Reconciler, secretValue } from './reconciler';

export const providerReconciler: Reconciler<Provider, PutProviderRequest> = {
  resource: providerResource,
  secretsOf: (obj) => [obj.spec.clientSecretRef.name],
  desired(obj, secret) {
    const { clientSecretRef, ...spec } = obj.spec;
    const clientSecret = secretValue(secret(clientSecretRef.name), clientSecretRef.name, clientSecretRef.key);
    if (!clientSecret.ok) return clientSecret;
    return { ok: true, payload: { ...spec, clientSecret: clientSecret.value } };
  },
  async apply(vault, ref, payload) {
    const info = await vault.admin.putProvider(ref, payload);
    return { providerName: info.name };
  },
  remove: (vault, ref) => vault.admin.deleteProvider(ref),
};
