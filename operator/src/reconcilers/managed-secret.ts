// ManagedSecret → a managed secret in the vault (its grantId in status). The value is read
// from the referenced Secret on every reconcile, so changing the Secret rotates the value in
// place: the grantId stays.
import type { CreateSecretRequest } from '@alter-vault/sdk';
import { managedSecretResource, type ManagedSecret } from '../generated/crds';
import { type Desired, type Reconciler, secretValue } from './reconciler';

export const managedSecretReconciler: Reconciler<ManagedSecret, CreateSecretRequest> = {
  resource: managedSecretResource,
  secretsOf: (obj) => [obj.spec.secretRef.name],
  desired(obj, secret): Desired<CreateSecretRequest> {
    const { spec } = obj;
    const ref = spec.secretRef;
    const s = secret(ref.name);
    // The CRD's CEL rules guarantee the keys each type needs.
    const read = (key: string | undefined) => secretValue(s, ref.name, key!);
    const base = { name: obj.metadata.name!, allowedHosts: spec.allowedHosts };
    switch (spec.type) {
      case 'basic': {
        const username = read(ref.usernameKey);
        if (!username.ok) return username;
        const password = read(ref.passwordKey);
        if (!password.ok) return password;
        return { ok: true, payload: { ...base, type: 'basic', value: { username: username.value, password: password.value } } };
      }
      case 'aws-sigv4': {
        const id = read(ref.accessKeyIdKey);
        if (!id.ok) return id;
        const key = read(ref.secretAccessKeyKey);
        if (!key.ok) return key;
        const session = ref.sessionTokenKey ? read(ref.sessionTokenKey) : undefined;
        if (session && !session.ok) return session;
        const value = { accessKeyId: id.value, secretAccessKey: key.value, region: spec.region!, service: spec.service!, ...(session ? { sessionToken: session.value } : {}) };
        return { ok: true, payload: { ...base, type: 'aws_sigv4', value } };
      }
      default: {
        const value = read(ref.key);
        if (!value.ok) return value;
        if (spec.type === 'header') return { ok: true, payload: { ...base, type: 'header', headerName: spec.headerName!, value: value.value } };
        if (spec.type === 'query') return { ok: true, payload: { ...base, type: 'query', paramName: spec.paramName!, value: value.value } };
        return { ok: true, payload: { ...base, type: 'bearer', value: value.value } };
      }
    }
  },
  async apply(vault, ref, payload) {
    const info = await vault.admin.putSecret(ref, payload);
    return { grantId: info.grantId };
  },
  remove: (vault, ref) => vault.admin.deleteSecret(ref),
};
