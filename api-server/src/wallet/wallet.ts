// The wallet's domain: an end user (a principal of a tenant) signed in through the tenant's
// identity provider, seeing and taking back what they granted.

/** A tenant's identity provider as the wallet's sign-in uses it (OIDC code + PKCE). */
export interface WalletIdentityProvider {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The ID-token (or userinfo) claim that is the principal: what apps pass as principalId. */
  principalClaim: string;
}

/** Where the wallet finds the tenant's identity providers (the identity-provider service). */
export interface IdentityProviderSource {
  /** The names of the tenant's identity providers the wallet can sign in with (those with a client). */
  walletProviders(tenantId: string): Promise<string[]>;
  /** One of them, with its client secret opened; undefined when absent or without a client. */
  open(tenantId: string, name: string): Promise<WalletIdentityProvider | undefined>;
}

/** A signed-in end user. */
export interface WalletSession {
  id: string;
  tenantId: string;
  tenantName: string;
  principalId: string;
  principalLabel: string | null;
  identityProvider: string;
  /** The form token every POST must carry (derived from the cookie's token, never stored). */
  csrfToken: string;
  expiresAt: Date;
}

/** Why a wallet page could not go on; each has its own page text. */
export type WalletFailureReason =
  | 'tenant_unknown'
  | 'idp_unknown'
  | 'wallet_not_configured'
  | 'login_unknown'
  | 'login_expired'
  | 'sign_in_denied'
  | 'sign_in_failed'
  | 'principal_claim_missing'
  | 'grant_not_found'
  | 'delegation_not_found'
  | 'csrf_refused';

export type WalletResult<T> = { ok: true; value: T } | { ok: false; reason: WalletFailureReason; tenantName?: string };

export interface WalletGrant {
  id: string;
  provider: string;
  providerName: string;
  account: string;
  scopes: string[];
  status: 'active' | 'needs_reauth' | 'revoked';
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  agents: { id: string; name: string }[];
}

export interface ActivityFilter {
  grant?: string | undefined;
  kind?: ActivityKind | undefined;
  outcome?: 'allowed' | 'denied' | undefined;
  /** yyyy-mm-dd, inclusive, UTC. */
  from?: string | undefined;
  to?: string | undefined;
  /** Keyset: events before this seq. */
  before?: number | undefined;
}

export const activityKinds = {
  calls: { label: 'API calls', actions: ['proxy'] },
  tokens: { label: 'Token retrievals', actions: ['retrieve_token'] },
  connections: { label: 'Connections', actions: ['grant.connect', 'connect.session.create'] },
  revocations: { label: 'Revocations', actions: ['grant.revoke', 'grant.delegation.revoke', 'grant.needs_reauth'] },
  wallet: { label: 'Wallet sign-ins', actions: ['wallet.sign_in', 'wallet.sign_out'] },
} as const;
export type ActivityKind = keyof typeof activityKinds;

export interface ActivityEvent {
  seq: number;
  occurredAt: Date;
  action: string;
  /** Who acted: "App support-bot", "Agent mailer", "You (wallet)", ... */
  actor: string;
  grantId: string | null;
  provider: string | null;
  method: string | null;
  url: string | null;
  allowed: boolean;
  outcome: string;
  upstreamStatus: number | null;
  reason: string | null;
  origin: string | null;
  /** The agent an event concerns (the caller, or the one whose delegation ended). */
  agent: string | null;
}
