"""The shapes of the API's answers, as in the TypeScript contract (sdk/typescript/src/contract.ts).

They are dicts at runtime, with the server's camelCase keys; the TypedDicts are for type
checkers and editors."""
from __future__ import annotations

from typing import Dict, List, Literal, Optional, TypedDict

GrantKind = Literal["oauth", "secret"]
GrantStatus = Literal["active", "needs_reauth", "revoked"]
ProviderRevocation = Literal["revoked", "unsupported", "failed", "already_revoked"]


class GrantInfo(TypedDict):
    id: str
    kind: GrantKind
    provider: str
    status: GrantStatus
    principalId: Optional[str]
    #: The agents this grant is delegated to (live delegations).
    delegatedTo: List[str]
    accountId: Optional[str]
    accountLabel: Optional[str]
    scopes: Optional[List[str]]
    #: Scopes the provider now requires that this grant lacks: a use raises ReauthRequired (consent_required).
    missingScopes: Optional[List[str]]
    allowedHosts: List[str]
    accessTokenExpiresAt: Optional[str]
    createdAt: str
    updatedAt: str
    revokedAt: Optional[str]


class RevokedGrant(GrantInfo):
    #: What the provider did: ``revoked``, ``unsupported``, ``failed``, or ``already_revoked`` on a repeat.
    providerRevocation: ProviderRevocation


class GrantPage(TypedDict):
    grants: List[GrantInfo]
    #: Pass back as ``cursor`` for the next page; None on the last.
    nextCursor: Optional[str]


class ConnectSession(TypedDict):
    #: The session's bearer token: show it to nobody but the end user's browser.
    token: str
    url: str
    expiresAt: str


class ProviderInfo(TypedDict):
    name: str
    template: Optional[str]
    displayName: str
    clientId: str
    hasClientSecret: bool
    scopes: List[str]
    allowedHosts: List[str]
    authorizationUrl: str
    tokenUrl: str
    revocationUrl: Optional[str]
    issuer: Optional[str]
    createdAt: str
    updatedAt: str


class _CatalogEntryRequired(TypedDict):
    id: str
    kind: Literal["oauth2", "secret"]
    displayName: str
    docs: str
    allowedHosts: List[str]


class CatalogEntryInfo(_CatalogEntryRequired, total=False):
    defaultScopes: List[str]
    availableScopes: List[str]


class ProviderList(TypedDict):
    providers: List[ProviderInfo]
    catalog: List[CatalogEntryInfo]


class PutProviderRequest(TypedDict, total=False):
    """PUT /v1/providers/{name}: a catalog ``template`` and/or explicit endpoints, and the OAuth client.

    ``clientId`` is required; ``clientSecret`` may be omitted on an update (the stored one stays)."""

    template: str
    issuer: str
    jwksUri: str
    authorizationUrl: str
    tokenUrl: str
    revocationUrl: str
    userinfoUrl: str
    clientId: str
    clientSecret: str
    scopes: List[str]
    allowedHosts: List[str]
    pkce: Literal["required", "supported", "unsupported"]
    tokenAuthMethod: Literal["client_secret_basic", "client_secret_post"]
    authorizationParams: Dict[str, str]
    connectionParams: Dict[str, str]
    #: Where the account id comes from: {"from": "id_token" | "userinfo" | "token_response", "id": path, "label": path}.
    account: Dict[str, str]
