"""Alter Vault: credentials for apps and AI agents, injected by the vault."""
from .client import AsyncVault, Vault
from .errors import (
    GrantNotFound,
    GrantRevoked,
    InvalidRequest,
    MissingScope,
    PolicyDenied,
    PolicyUnavailable,
    ProviderError,
    ReauthRequired,
    ServiceUnavailable,
    Unauthenticated,
    UpstreamError,
    VaultError,
)

__all__ = [
    "AsyncVault",
    "Vault",
    "VaultError",
    "GrantNotFound",
    "GrantRevoked",
    "InvalidRequest",
    "MissingScope",
    "PolicyDenied",
    "PolicyUnavailable",
    "ProviderError",
    "ReauthRequired",
    "ServiceUnavailable",
    "Unauthenticated",
    "UpstreamError",
]
