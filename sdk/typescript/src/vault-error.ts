// Typed errors of the client: one class per code a caller usually branches on, and
// VaultError with the stable `code` for the rest. Messages come from the server, which never
// puts a secret in them; nothing here holds a credential.
import type { ErrorCode } from './errors';

export class VaultError extends Error {
  constructor(
    /** A server code, or one of the client's own: no answer came (`network_error`, `timeout`), or no credential to send (`credential_unavailable`). */
    readonly code: ErrorCode | 'network_error' | 'timeout' | 'credential_unavailable',
    message: string,
    /** The HTTP status, or 0 when no answer came. */
    readonly status: number,
    readonly requestId: string | undefined,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class Unauthenticated extends VaultError {}
export class MissingScope extends VaultError {}
export class PolicyDenied extends VaultError {}
export class PolicyUnavailable extends VaultError {}
export class GrantNotFound extends VaultError {}
export class GrantRevoked extends VaultError {}
/** The end user must reconnect (the provider refused the refresh token) or re-consent (new scopes). */
export class ReauthRequired extends VaultError {}
export class ProviderError extends VaultError {}
/** Too many requests: slow down, and try again after `Retry-After`. */
export class RateLimited extends VaultError {}
export class InvalidRequest extends VaultError {}
export class UpstreamError extends VaultError {}
export class ServiceUnavailable extends VaultError {}

const classes: Partial<Record<ErrorCode, typeof VaultError>> = {
  unauthenticated: Unauthenticated,
  sa_token_invalid: Unauthenticated,
  agent_not_bound: Unauthenticated,
  sa_issuer_unavailable: ServiceUnavailable,
  tokenreview_unavailable: ServiceUnavailable,
  user_token_invalid: Unauthenticated,
  idp_unavailable: ServiceUnavailable,
  invalid_api_key: Unauthenticated,
  api_key_revoked: Unauthenticated,
  api_key_expired: Unauthenticated,
  ip_not_allowed: Unauthenticated,
  missing_scope: MissingScope,
  policy_denied: PolicyDenied,
  policy_unavailable: PolicyUnavailable,
  grant_not_found: GrantNotFound,
  grant_revoked: GrantRevoked,
  delegation_not_found: GrantNotFound,
  reauth_required: ReauthRequired,
  consent_required: ReauthRequired,
  provider_error: ProviderError,
  provider_unavailable: ProviderError,
  rate_limited: RateLimited,
  provider_not_found: InvalidRequest,
  return_url_not_allowed: InvalidRequest,
  invalid_json: InvalidRequest,
  invalid_request: InvalidRequest,
  invalid_url: InvalidRequest,
  url_not_https: InvalidRequest,
  host_not_allowed: InvalidRequest,
  forbidden_header: InvalidRequest,
  forbidden_query_param: InvalidRequest,
  token_mode_unsupported: InvalidRequest,
  upstream_unreachable: UpstreamError,
  upstream_timeout: UpstreamError,
  upstream_response_too_large: UpstreamError,
  kms_unavailable: ServiceUnavailable,
  store_unavailable: ServiceUnavailable,
  audit_unavailable: ServiceUnavailable,
  shutting_down: ServiceUnavailable,
};

export function vaultError(code: ErrorCode, message: string, status: number, requestId: string | undefined, details?: unknown): VaultError {
  const Class = classes[code] ?? VaultError;
  return new Class(code, message, status, requestId, details);
}
