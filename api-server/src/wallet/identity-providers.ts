// The wallet's view of the tenant's identity providers (auth/identity-provider.service.ts):
// those with a client (id and secret) are the ways to sign in to the wallet.
import type { Envelope } from '../crypto/envelope';
import { listIdentityProviders } from '../auth/identity-provider.repository';
import { openIdentityProvider } from '../auth/identity-provider.service';
import type { Executor } from '../store/executor';
import type { IdentityProviderSource } from './wallet';

export function identityProviderSource(deps: { db: Executor; envelope: Envelope }): IdentityProviderSource {
  return {
    async walletProviders(tenantId) {
      return (await listIdentityProviders(deps.db, tenantId)).filter((row) => row.client_id !== null && row.client_secret !== null).map((row) => row.name);
    },
    async open(tenantId, name) {
      const opened = await openIdentityProvider(deps, deps.db, tenantId, name);
      if (!opened.ok) return undefined;
      const { provider, clientId, clientSecret } = opened.value;
      return { name: provider.name, issuer: provider.issuer, clientId, clientSecret, principalClaim: provider.principalClaim };
    },
  };
}
