"""Alter Vault: credentials for apps and AI agents, injected by the vault."""
from . import models
from .client import AsyncVault, Vault
from .errors import (
    GrantNotFound,
    GrantRevoked,
    InvalidRequest,
    MissingScope,
    PolicyDenied,
    PolicyUnavailable,
    ProviderError,
    RateLimited,
    ReauthRequired,
    ServiceUnavailable,
    Unauthenticated,
    UpstreamError,
    VaultError,
)
from .service_account import DEFAULT_TOKEN_PATH

__all__ = [
    "AsyncVault",
    "DEFAULT_TOKEN_PATH",
    "models",
    "Vault",
    "VaultError",
    "GrantNotFound",
    "GrantRevoked",
    "InvalidRequest",
    "MissingScope",
    "PolicyDenied",
    "PolicyUnavailable",
    "ProviderError",
    "RateLimited",
    "ReauthRequired",
    "ServiceUnavailable",
    "Unauthenticated",
    "UpstreamError",
]
