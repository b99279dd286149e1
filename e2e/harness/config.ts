// Where the e2e tier finds its control-plane binaries: the same directory that
// scripts/control-plane.sh builds and prints. The only file of the e2e harness that reads the
// environment (STYLE 10).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The wrapper Go module whose go.mod pins the Kubernetes and etcd versions. */
export const CONTROL_PLANE_MODULE = path.join(REPO_ROOT, 'e2e', 'controlplane');

/** The version `module` is required at in the wrapper module's go.mod (both the one-line and the block form). */
function requiredVersion(goMod: string, module: string): string {
  for (const line of goMod.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'require') words.shift();
    if (words[0] === module && words[1]?.startsWith('v')) return words[1];
  }
  throw new Error(`${CONTROL_PLANE_MODULE}/go.mod does not require ${module}`);
}

export interface ControlPlaneConfig {
  kubernetesVersion: string;
  etcdVersion: string;
  /** etcd, kube-apiserver, kube-controller-manager, kubectl and helm. */
  binDir: string;
  /** What builds binDir, ready to paste into a shell at the repository root. */
  buildCommand: string;
  /** The environment kubectl and helm start from (the harness adds KUBECONFIG and helm's directories). */
  inheritedEnv: Readonly<NodeJS.ProcessEnv>;
}

export function controlPlaneConfig(): Readonly<ControlPlaneConfig> {
  const goMod = readFileSync(path.join(CONTROL_PLANE_MODULE, 'go.mod'), 'utf8');
  const kubernetesVersion = requiredVersion(goMod, 'k8s.io/kubernetes');
  const etcdVersion = requiredVersion(goMod, 'go.etcd.io/etcd/server/v3');
  const cacheFromEnv = process.env.ALTER_CONTROL_PLANE_CACHE;
  const cache = cacheFromEnv || path.join(homedir(), '.cache', 'alter-vault', 'control-plane');
  return Object.freeze({
    kubernetesVersion,
    etcdVersion,
    binDir: path.join(cache, `${kubernetesVersion}-${etcdVersion}`, 'bin'),
    buildCommand: `${cacheFromEnv ? `ALTER_CONTROL_PLANE_CACHE=${cacheFromEnv} ` : ''}scripts/control-plane.sh`,
    inheritedEnv: Object.freeze({ ...process.env }),
  });
}
