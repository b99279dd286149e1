"""Typed errors with the server's stable codes (the same classes as the TypeScript SDK).

Messages come from the server, which never puts a secret in them."""
from __future__ import annotations

from typing import Any, Optional


class VaultError(Exception):
    def __init__(self, code: str, message: str, status: int, request_id: Optional[str] = None, details: Any = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        #: The HTTP status, or 0 when no answer came.
        self.status = status
        self.request_id = request_id
        self.details = details


class Unauthenticated(VaultError): ...
class MissingScope(VaultError): ...
class PolicyDenied(VaultError): ...
class PolicyUnavailable(VaultError): ...
class GrantNotFound(VaultError): ...
class GrantRevoked(VaultError): ...
class ReauthRequired(VaultError): ...
class ProviderError(VaultError): ...
class RateLimited(VaultError): ...  # too many requests: slow down, retry after Retry-After
class InvalidRequest(VaultError): ...
class UpstreamError(VaultError): ...
class ServiceUnavailable(VaultError): ...


_CLASSES = {
    "unauthenticated": Unauthenticated,
    "sa_token_invalid": Unauthenticated,
    "agent_not_bound": Unauthenticated,
    "sa_issuer_unavailable": ServiceUnavailable,
    "tokenreview_unavailable": ServiceUnavailable,
    "user_token_invalid": Unauthenticated,
    "idp_unavailable": ServiceUnavailable,
    "invalid_api_key": Unauthenticated,
    "api_key_revoked": Unauthenticated,
    "api_key_expired": Unauthenticated,
    "ip_not_allowed": Unauthenticated,
    "missing_scope": MissingScope,
    "policy_denied": PolicyDenied,
    "policy_unavailable": PolicyUnavailable,
    "grant_not_found": GrantNotFound,
    "grant_revoked": GrantRevoked,
    "delegation_not_found": GrantNotFound,
    "reauth_required": ReauthRequired,
    "consent_required": ReauthRequired,
    "provider_error": ProviderError,
    "provider_unavailable": ProviderError,
    "rate_limited": RateLimited,
    "provider_not_found": InvalidRequest,
    "return_url_not_allowed": InvalidRequest,
    "invalid_json": InvalidRequest,
    "invalid_request": InvalidRequest,
    "invalid_url": InvalidRequest,
    "url_not_https": InvalidRequest,
    "host_not_allowed": InvalidRequest,
    "forbidden_header": InvalidRequest,
    "forbidden_query_param": InvalidRequest,
    "token_mode_unsupported": InvalidRequest,
    "upstream_unreachable": UpstreamError,
    "upstream_timeout": UpstreamError,
    "upstream_response_too_large": UpstreamError,
    "kms_unavailable": ServiceUnavailable,
    "store_unavailable": ServiceUnavailable,
    "audit_unavailable": ServiceUnavailable,
    "shutting_down": ServiceUnavailable,
}


def vault_error(code: str, message: str, status: int, request_id: Optional[str], details: Any = None) -> VaultError:
    return _CLASSES.get(code, VaultError)(code, message, status, request_id, details)
