// Every error code the server answers with. The server maps each to one HTTP status in
// api-server/src/http/errors.ts; clients decide on the code, never on the message.
export const errorCodes = [
  'invalid_json',
  'invalid_request',
  'payload_too_large',
  'not_found',
  'unauthenticated',
  'invalid_api_key',
  'api_key_revoked',
  'api_key_expired',
  'ip_not_allowed',
  'missing_scope',
  'policy_denied',
  'policy_unavailable',
  'key_not_found',
  'key_revoked',
  'grant_not_found',
  'grant_revoked',
  'reauth_required',
  'consent_required',
  'provider_not_found',
  'provider_error',
  'provider_unavailable',
  'return_url_not_allowed',
  'secret_not_found',
  'secret_slug_taken',
  'invalid_url',
  'url_not_https',
  'host_not_allowed',
  'forbidden_header',
  'forbidden_query_param',
  'token_mode_unsupported',
  'upstream_unreachable',
  'upstream_timeout',
  'upstream_response_too_large',
  'ciphertext_invalid',
  'kms_unavailable',
  'store_unavailable',
  'audit_unavailable',
  'shutting_down',
  'internal_error',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
