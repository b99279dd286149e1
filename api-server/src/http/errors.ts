// The only place that maps an error code to an HTTP status and the error envelope (STYLE 7).
import type { ErrorBody, ErrorCode } from '@alter-vault/sdk';
import type { ErrorRequestHandler, Response } from 'express';
import type { DomainError } from '../result';
import { CodedError, isError } from '../result';

const statusByCode: Record<ErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  payload_too_large: 413,
  rate_limited: 429,
  not_found: 404,
  unauthenticated: 401,
  sa_token_invalid: 401,
  sa_issuer_unavailable: 503,
  tokenreview_unavailable: 503,
  user_token_invalid: 401,
  idp_unavailable: 503,
  agent_not_bound: 403,
  agent_not_found: 404,
  invalid_api_key: 401,
  api_key_revoked: 401,
  api_key_expired: 401,
  ip_not_allowed: 403,
  missing_scope: 403,
  policy_denied: 403,
  policy_unavailable: 503,
  key_not_found: 404,
  key_revoked: 409,
  grant_not_found: 404,
  grant_revoked: 410,
  delegation_not_found: 404,
  reauth_required: 409,
  consent_required: 409,
  provider_not_found: 404,
  provider_error: 502,
  provider_unavailable: 503,
  return_url_not_allowed: 400,
  secret_not_found: 404,
  secret_slug_taken: 409,
  rule_not_found: 404,
  invalid_url: 400,
  url_not_https: 400,
  host_not_allowed: 403,
  forbidden_header: 400,
  forbidden_query_param: 400,
  token_mode_unsupported: 400,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_response_too_large: 502,
  ciphertext_invalid: 500,
  kms_unavailable: 503,
  store_unavailable: 503,
  audit_unavailable: 503,
  shutting_down: 503,
  internal_error: 500,
};

export function statusOf(code: ErrorCode): number {
  return statusByCode[code];
}

export function sendError(res: Response, error: DomainError): void {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  res.locals.errorCode = error.code;
  if (statusOf(error.code) === 503) res.setHeader('Retry-After', '1');
  // A rate limit says when its window ends (details.retryAfterSeconds, set by the limiter).
  if (error.code === 'rate_limited') res.setHeader('Retry-After', String((error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 1));
  res.status(statusOf(error.code)).json(body);
}

// Connection-level failures of Postgres (node errno, or SQLSTATE classes 08 and 57P).
const STORE_DOWN = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|08\w{3}|57P0[1-3])$/;

export function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; isError(e) && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && STORE_DOWN.test(code)) return true;
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(e.message)) return true;
  }
  return false;
}

/** Maps anything thrown to the envelope: known codes keep theirs; the rest is a 500 without details. */
export function toDomainError(err: unknown): DomainError {
  if (err instanceof CodedError) return { code: err.code, message: err.message };
  if (isStoreUnavailable(err)) return { code: 'store_unavailable', message: 'the store is unavailable; retry shortly' };
  const type = (err as { type?: unknown })?.type;
  if (type === 'entity.parse.failed') return { code: 'invalid_json', message: 'the request body is not valid JSON' };
  if (type === 'entity.too.large') return { code: 'payload_too_large', message: 'the request body is too large' };
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return { code: 'invalid_request', message: 'unsupported body encoding' };
  return { code: 'internal_error', message: 'internal error' };
}

export function errorHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const error = toDomainError(err);
    if (error.code === 'internal_error' || error.code === 'store_unavailable') onUnexpected(err);
    sendError(res, error);
  };
}
