// The embedded mode's source: the same reconcilers, fed from a folder of YAML (Secrets and
// the three kinds, as `kubectl apply -f` would take them) instead of the Kubernetes API.
// Statuses are logged, not written back; a resource removed from the folder is left in the vault.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Vault } from '@alter-vault/sdk';
import { VaultError } from '@alter-vault/sdk';
import type { V1Secret } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { type ReadyState, SYNCED, vaultFailure } from './conditions';
import { API_VERSION } from './generated/crds';
import { agentReconciler } from './reconcilers/agent';
import { managedSecretReconciler } from './reconcilers/managed-secret';
import { providerReconciler } from './reconcilers/provider';
import type { CustomObject, Reconciler } from './reconcilers/reconciler';

export interface FileResult {
  kind: string;
  namespace: string;
  name: string;
  state: ReadyState;
  fields: Record<string, unknown>;
}

const reconcilers: Record<string, Reconciler<CustomObject, unknown>> = Object.fromEntries(
  [managedSecretReconciler, providerReconciler, agentReconciler].map((r) => [r.resource.kind, r as unknown as Reconciler<CustomObject, unknown>]),
);

interface Doc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Every document of the folder's *.yaml / *.yml files (not recursive), in file-name order. */
function readFolder(dir: string): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const value = doc.toJS() as Doc | null;
      if (value) docs.push(value);
    }
  }
  return docs;
}

/** Applies the folder's resources to the vault, Secrets read from the same folder. */
export async function reconcileFolder(dir: string, vault: Vault, cluster: string): Promise<FileResult[]> {
  const docs = readFolder(dir);
  const secrets = new Map<string, V1Secret>();
  for (const d of docs.filter((d) => d.apiVersion === 'v1' && d.kind === 'Secret')) {
    const data = { ...d.data, ...Object.fromEntries(Object.entries(d.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
    secrets.set(`${d.metadata?.namespace ?? 'default'}/${d.metadata?.name}`, { metadata: d.metadata, data });
  }
  const results: FileResult[] = [];
  for (const doc of docs.filter((d) => d.apiVersion === API_VERSION)) {
    const reconciler = reconcilers[doc.kind ?? ''];
    const namespace = doc.metadata?.namespace ?? 'default';
    const name = doc.metadata?.name ?? '';
    if (!reconciler) throw new Error(`${doc.kind ?? 'a document without kind'} ${namespace}/${name} is not a kind of ${API_VERSION}`);
    // A file has no UID: the name stands for it, so re-reading the folder changes nothing.
    const obj = { ...doc, metadata: { ...doc.metadata, namespace, uid: `file:${namespace}/${name}` } } as CustomObject;
    const desired = reconciler.desired(obj, (secretName) => secrets.get(`${namespace}/${secretName}`));
    const result = { kind: reconciler.resource.kind, namespace, name };
    if (!desired.ok) {
      results.push({ ...result, state: desired.state, fields: {} });
      continue;
    }
    try {
      const fields = await reconciler.apply(vault, { namespace, name, cluster }, desired.payload);
      results.push({ ...result, state: SYNCED, fields });
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      results.push({ ...result, state: vaultFailure(err), fields: {} });
    }
  }
  return results;
}
