// Row types of every table, for kysely. Rows never leave a service (STYLE 1).
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface TenantTable {
  id: Generated<string>;
  name: string;
  created_at: CreatedAt;
}

export interface DataKeyTable {
  id: string;
  tenant_id: string;
  kek_id: string;
  wrapped: Uint8Array;
  created_at: CreatedAt;
  rewrapped_at: Timestamp | null;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  hash: Uint8Array;
  scopes: Json<string[]>;
  cidrs: Json<string[]> | null;
  expires_at: Timestamp | null;
  created_at: CreatedAt;
  revoked_at: Timestamp | null;
  deprecated_at: Timestamp | null;
  /** The agent the key authenticates as, if any. */
  agent_id: string | null;
}

export interface GrantTable {
  id: string;
  tenant_id: string;
  kind: 'secret' | 'oauth';
  provider: string;
  status: 'active' | 'revoked' | 'needs_reauth';
  injection: Json<Record<string, unknown>>;
  allowed_hosts: Json<string[]>;
  dek_id: string | null;
  ciphertext: Uint8Array | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  revoked_at: Timestamp | null;
  // OAuth grants only (null for managed secrets).
  principal_id: string | null;
  account_id: string | null;
  account_label: string | null;
  scopes: Json<string[]> | null;
  /** Scopes the provider configuration now requires that this grant lacks (scope drift). */
  missing_scopes: Json<string[]> | null;
  access_expires_at: Timestamp | null;
  refreshed_at: Timestamp | null;
  refresh_failures: ColumnType<number, number | undefined, number>;
  refresh_retry_at: Timestamp | null;
}

export interface ProviderTable {
  id: string;
  tenant_id: string;
  name: string;
  template: string | null;
  settings: Json<Record<string, unknown>>;
  client_id: string;
  dek_id: string | null;
  client_secret: Uint8Array | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ConnectSessionTable {
  id: string;
  tenant_id: string;
  token_hash: Uint8Array;
  principal_id: string;
  providers: Json<string[]>;
  agent_id: string | null;
  return_url: string;
  created_by: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface ConnectFlowTable {
  id: string;
  tenant_id: string;
  session_id: string;
  state_hash: Uint8Array;
  provider: string;
  dek_id: string;
  sealed: Uint8Array;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

export interface AgentTable {
  id: string;
  tenant_id: string;
  name: string;
  service_account: string;
  resource_uid: string;
  spec: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ManagedSecretTable {
  id: string;
  tenant_id: string;
  grant_id: string;
  name: string;
  slug: string;
  type: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PolicyRuleTable {
  id: string;
  tenant_id: string;
  target_type: 'tenant' | 'provider' | 'agent' | 'grant';
  target_id: string | null;
  type: string;
  params: Json<Record<string, unknown>>;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface AuditEventTable {
  tenant_id: string;
  seq: number;
  id: string;
  occurred_at: Timestamp;
  request_id: string | null;
  actor_type: string;
  actor_id: string | null;
  key_prefix: string | null;
  agent_id: string | null;
  principal_id: string | null;
  grant_id: string | null;
  provider: string | null;
  action: string;
  method: string | null;
  url: string | null;
  decision: 'allow' | 'deny';
  outcome: string;
  upstream_status: number | null;
  latency_ms: number | null;
  reason: string | null;
  context: Json<Record<string, unknown>> | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  tenant_id: string;
  seq: number;
  hash: string;
}

export interface TenantBrandingTable {
  tenant_id: string;
  display_name: string;
  logo_url: string | null;
  color: string | null;
  updated_at: UpdatedAt;
}

export interface WalletLoginTable {
  id: string;
  tenant_id: string;
  identity_provider: string;
  state_hash: Uint8Array;
  dek_id: string;
  sealed: Uint8Array;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

export interface WalletSessionTable {
  id: string;
  tenant_id: string;
  token_hash: Uint8Array;
  principal_id: string;
  /** What the identity provider calls the user (email, name), for display. */
  principal_label: string | null;
  identity_provider: string;
  created_at: CreatedAt;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

/** A tenant's OIDC issuer of end-user tokens (X-Alter-User-Token); the client is for wallet sign-in. */
export interface IdentityProviderTable {
  id: string;
  tenant_id: string;
  name: string;
  issuer: string;
  audience: string;
  principal_claim: ColumnType<string, string | undefined, string>;
  client_id: string | null;
  dek_id: string | null;
  client_secret: Uint8Array | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PrincipalTable {
  id: string;
  tenant_id: string;
  kind: 'user' | 'group' | 'system' | 'agent';
  /** The identity provider's claim value: the same string as a connect session's principalId. */
  external_id: string;
  idp: string;
  created_at: CreatedAt;
}

export interface DelegationTable {
  id: string;
  tenant_id: string;
  grant_id: string;
  agent_id: string;
  created_at: CreatedAt;
  revoked_at: Timestamp | null;
}

export interface Database {
  tenants: TenantTable;
  data_keys: DataKeyTable;
  api_keys: ApiKeyTable;
  grants: GrantTable;
  providers: ProviderTable;
  connect_sessions: ConnectSessionTable;
  connect_flows: ConnectFlowTable;
  agents: AgentTable;
  managed_secrets: ManagedSecretTable;
  audit_events: AuditEventTable;
  audit_heads: AuditHeadTable;
  policy_rules: PolicyRuleTable;
  identity_providers: IdentityProviderTable;
  principals: PrincipalTable;
  delegations: DelegationTable;
  tenant_branding: TenantBrandingTable;
  wallet_logins: WalletLoginTable;
  wallet_sessions: WalletSessionTable;
}

export type GrantRow = Selectable<GrantTable>;
export type NewGrantRow = Insertable<GrantTable>;
