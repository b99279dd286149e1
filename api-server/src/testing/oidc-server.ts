// Starts testing/oidc-provider-process.mjs (a real oidc-provider) as a child process and stops it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { testEnv } from '../../../testenv/env';

export interface OidcServer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Token-endpoint requests answered so far, by grant type. */
  tokenRequests(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startOidcServer(options: { redirectUri: string; rotateRefreshTokens: boolean; accessTokenTtl?: number }): Promise<OidcServer> {
  const env = testEnv();
  const clientId = `client-${Math.random().toString(36).slice(2)}`;
  const clientSecret = `oidc-secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const args = { ...options, clientId, clientSecret, cert: env.serverCertFile, key: env.serverKeyFile };
  const child = spawn(process.execPath, [path.join(__dirname, 'oidc-provider-process.mjs'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve((JSON.parse(line) as { issuer: string }).issuer));
    child.once('exit', (code) => reject(new Error(`oidc-server exited with ${code}: ${stderr}`)));
  });
  return {
    issuer,
    clientId,
    clientSecret,
    async tokenRequests() {
      const res = await fetch(`${issuer}/__stats`);
      return ((await res.json()) as { token: Record<string, number> }).token;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
