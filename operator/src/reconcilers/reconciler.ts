// What each kind's reconciler says: which Secrets it reads, the vault configuration it wants
// (or why it cannot build one yet), how to apply it and how to remove it.
import type { Vault } from '@alter-vault/sdk';
import type { V1Secret } from '@kubernetes/client-node';
import type { Condition, ObjectMeta } from '../generated/crds';
import { Reason, type ReadyState } from '../conditions';

export interface CustomObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
  status?: { observedGeneration?: number; conditions?: Condition[]; syncedHash?: string };
}

export interface VaultRef {
  namespace: string;
  name: string;
  cluster: string;
}

/** The configuration to register, or why there is none yet (Ready=False with this state). */
export type Desired<P> = { ok: true; payload: P } | { ok: false; state: ReadyState };

export interface Reconciler<T extends CustomObject, P> {
  resource: { group: string; version: string; kind: string; plural: string };
  /** Names of the Secrets (in the object's namespace) the object reads. */
  secretsOf(obj: T): string[];
  desired(obj: T, secret: (name: string) => V1Secret | undefined): Desired<P>;
  /** Registers the configuration; answers the status fields it produced (e.g. grantId). */
  apply(vault: Vault, ref: VaultRef, payload: P): Promise<Record<string, unknown>>;
  remove(vault: Vault, ref: VaultRef): Promise<void>;
}

/** A Secret's key, decoded; or the state that says what is missing. */
export function secretValue(secret: V1Secret | undefined, secretName: string, key: string): { ok: true; value: string } | { ok: false; state: ReadyState } {
  if (!secret) return { ok: false, state: { ready: false, reason: Reason.SecretNotFound, message: `Secret "${secretName}" not found in this namespace` } };
  const data = secret.data?.[key];
  if (data === undefined) return { ok: false, state: { ready: false, reason: Reason.SecretKeyNotFound, message: `Secret "${secretName}" has no key "${key}"` } };
  return { ok: true, value: Buffer.from(data, 'base64').toString('utf8') };
}
