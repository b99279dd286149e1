"""Sync and async clients, the same surface as the TypeScript SDK.

Proxy mode by default: ``vault.request()`` returns the upstream's answer as an
``httpx.Response`` and the credential never reaches this process. Answers that guarantee
nothing was done (the vault's store, key provider or policy decision point briefly away)
are retried with backoff and jitter, honouring Retry-After; nothing else is sent twice.

Namespaces as in the TypeScript SDK: ``vault.grants`` (list, get, revoke),
``vault.connect`` (create_session) and ``vault.providers`` (list, get, put); their answers
are dicts typed by ``alter_vault.models``."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import itertools
import json
import random
import time
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterator, List, Mapping, Optional, Type, TypeVar, Union
from urllib.parse import quote

import httpx

from .errors import VaultError, vault_error
from .models import ConnectSession, GrantInfo, GrantKind, GrantPage, GrantStatus, ProviderInfo, ProviderList, PutProviderRequest, RevokedGrant
from .service_account import DEFAULT_TOKEN_PATH, ServiceAccountToken

_RETRYABLE = {"policy_unavailable", "kms_unavailable", "store_unavailable", "shutting_down"}
_NULL_BODY = {101, 103, 204, 205, 304}
_trace: contextvars.ContextVar[Dict[str, Any]] = contextvars.ContextVar("alter_vault_trace", default={})

Context = Mapping[str, Union[str, int, float, bool]]


def _backoff(attempt: int) -> float:
    ceiling = min(5.0, 0.2 * 2**attempt)
    return ceiling / 2 + random.random() * ceiling / 2


def _retry_after(response: httpx.Response) -> Optional[float]:
    value = response.headers.get("retry-after", "")
    return min(30.0, float(value)) if value.isdigit() else None


def _context(context: Optional[Context]) -> Optional[Dict[str, Any]]:
    merged = {**_trace.get(), **(context or {})}
    return merged or None


def _proxy_body(grant_id: str, method: str, url: str, json_body: Any, content: Union[str, bytes, None], headers, params, reason, context) -> Dict[str, Any]:
    if json_body is not None and content is not None:
        raise TypeError("pass json or content, not both")
    body: Dict[str, Any] = {}
    if json_body is not None:
        body = {"body": json_body, "bodyEncoding": "json"}
    elif isinstance(content, str):
        body = {"body": content, "bodyEncoding": "utf8"}
    elif content is not None:
        body = {"body": base64.b64encode(content).decode("ascii"), "bodyEncoding": "base64"}
    payload = {"grantId": grant_id, "method": method.upper(), "url": url, **body}
    for key, value in (("headers", headers), ("query", params), ("reason", reason), ("context", _context(context))):
        if value is not None:
            payload[key] = dict(value) if isinstance(value, Mapping) else value
    return payload


def _upstream_response(answer: Dict[str, Any], method: str) -> httpx.Response:
    raw = answer["body"]
    content = base64.b64decode(raw) if answer["bodyEncoding"] == "base64" else raw.encode("utf-8")
    if answer["status"] in _NULL_BODY or method.upper() == "HEAD":
        content = b""
    return httpx.Response(answer["status"], headers=answer["headers"], content=content)


def _error_of(response: httpx.Response) -> VaultError:
    try:
        error = response.json()["error"]
        code, message, details = error["code"], error["message"], error.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = "internal_error", f"the vault answered HTTP {response.status_code}", None
    return vault_error(code, message, response.status_code, response.headers.get("x-request-id"), details)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _present(**values: Any) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# Each call of a namespace as (method, path, body, params), shared by the sync and async namespaces.
def _list_grants(principal, provider, status, kind, cursor, limit):
    return "GET", "/v1/grants", None, _present(principal=principal, provider=provider, status=status, kind=kind, cursor=cursor, limit=limit)


def _connect_session(principal_id, return_url, providers, agent_id, ttl_seconds):
    body = _present(principalId=principal_id, returnUrl=return_url, agentId=agent_id, ttlSeconds=ttl_seconds)
    if providers is not None:
        body["providers"] = list(providers)
    return "POST", "/v1/connect/sessions", body, None


def _put_provider(name, config, fields):
    return "PUT", f"/v1/providers/{_segment(name)}", {**(config or {}), **fields}, None


_V = TypeVar("_V", bound="_Base")


class _Base:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0, retries: int = 2):
        self.base_url = base_url.rstrip("/")
        self.__credential: Union[str, ServiceAccountToken] = api_key
        self._timeout = timeout
        self._retries = retries

    @classmethod
    def from_service_account(cls: Type[_V], base_url: str, token_path: str = DEFAULT_TOKEN_PATH, *, timeout: float = 30.0, retries: int = 2) -> _V:
        """A client for an agent in Kubernetes: authenticates with the pod's projected service-account token.

        The file is re-read when the kubelet rotates it, so a long-running agent keeps working. A
        missing or empty file raises VaultError ``credential_unavailable`` here, and on a call if it
        goes missing later."""
        token = ServiceAccountToken(token_path)
        token.current()  # a missing or empty file fails now, not on the first call
        vault = cls(base_url, "", timeout=timeout, retries=retries)
        vault.__credential = token  # in place of the API key: read (and re-read) per request
        return vault

    def _headers(self) -> Dict[str, str]:
        credential = self.__credential
        return {"authorization": f"Bearer {credential if isinstance(credential, str) else credential.current()}"}

    def _retry_delay(self, attempt: int, response: Optional[httpx.Response] = None, error: Optional[httpx.TransportError] = None) -> float:
        """The one retry rule of both clients: seconds to wait before sending again, or raises.

        Only a refused connection (nothing reached the vault) or an answer whose code
        guarantees nothing was done is sent again."""
        if error is not None:
            if isinstance(error, httpx.TimeoutException):
                raise VaultError("timeout", f"no answer from the vault within {self._timeout} s", 0) from error
            if isinstance(error, httpx.ConnectError) and attempt < self._retries:
                return _backoff(attempt)
            raise VaultError("network_error", f"could not reach the vault at {self.base_url}", 0) from error
        failure = _error_of(response)
        if failure.code in _RETRYABLE and attempt < self._retries:
            return _retry_after(response) or _backoff(attempt)
        raise failure

    def __repr__(self) -> str:  # the key never shows
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @contextlib.contextmanager
    def trace(self, **context: Union[str, int, float, bool]) -> Iterator[None]:
        """Tags every use inside the block (run_id, thread_id, tool_name, ...) for the audit log.

        Keys are sent as given; pass the names you query on (``runId=...`` or ``run_id=...``)."""
        token = _trace.set({**_trace.get(), **context})
        try:
            yield
        finally:
            _trace.reset(token)


class Vault(_Base):
    """Synchronous client. ``with Vault(...) as vault:`` closes its connections."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0, retries: int = 2):
        super().__init__(base_url, api_key, timeout=timeout, retries=retries)
        self._http = httpx.Client(timeout=timeout)
        self.grants = Grants(self._call)
        self.connect = Connect(self._call)
        self.providers = Providers(self._call)

    def __enter__(self) -> "Vault":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, body: Any = None, params: Optional[Dict[str, Any]] = None) -> httpx.Response:
        for attempt in itertools.count():
            try:
                response = self._http.request(method, f"{self.base_url}{path}", headers=self._headers(), json=body, params=params)
            except httpx.TransportError as err:
                time.sleep(self._retry_delay(attempt, error=err))
                continue
            if response.is_success:
                return response
            time.sleep(self._retry_delay(attempt, response=response))
        raise AssertionError("unreachable")

    def _call(self, method: str, path: str, body: Any = None, params: Optional[Dict[str, Any]] = None) -> Any:
        response = self._send(method, path, body, params)
        return None if response.status_code == 204 else response.json()

    def request(self, method: str, url: str, *, grant_id: str, json: Any = None, content: Union[str, bytes, None] = None,
                headers: Optional[Mapping[str, str]] = None, params: Optional[Mapping[str, Union[str, List[str]]]] = None,
                reason: Optional[str] = None, context: Optional[Context] = None) -> httpx.Response:
        """Calls a provider API with the grant's credential injected by the vault."""
        answer = self._call("POST", "/v1/proxy", _proxy_body(grant_id, method, url, json, content, headers, params, reason, context))
        return _upstream_response(answer, method)

    def get_token(self, grant_id: str, *, reason: Optional[str] = None, context: Optional[Context] = None) -> Dict[str, Any]:
        """Token mode, where the grant and the policy allow it. Prefer request()."""
        body = {"grantId": grant_id, **({"reason": reason} if reason else {}), **({"context": c} if (c := _context(context)) else {})}
        return self._call("POST", "/v1/tokens/retrieve", body)

    # secrets
    def create_secret(self, **secret: Any) -> Dict[str, Any]:
        """name, type, value, allowedHosts, and headerName or paramName where the type needs one."""
        return self._call("POST", "/v1/secrets", secret)

    def list_secrets(self) -> List[Dict[str, Any]]:
        return self._call("GET", "/v1/secrets")["secrets"]

    def rotate_secret(self, secret_id: str, value: Any) -> Dict[str, Any]:
        return self._call("PUT", f"/v1/secrets/{secret_id}/value", {"value": value})

    def delete_secret(self, secret_id: str) -> None:
        self._call("DELETE", f"/v1/secrets/{secret_id}")

    # keys
    def create_key(self, name: str, scopes: List[str], **options: Any) -> Dict[str, Any]:
        return self._call("POST", "/v1/keys", {"name": name, "scopes": scopes, **options})

    def rotate_key(self, key_id: str) -> Dict[str, Any]:
        return self._call("POST", f"/v1/keys/{key_id}/rotate")

    def revoke_key(self, key_id: str) -> None:
        self._call("DELETE", f"/v1/keys/{key_id}")

    # audit
    def audit(self, **filters: Any) -> Dict[str, Any]:
        """One page, newest first: {events, nextCursor}. Filters: grant, action, outcome, caller, from, to, cursor, limit."""
        return self._call("GET", "/v1/audit", params=filters)

    def export_audit(self, **filters: Any) -> Iterator[Dict[str, Any]]:
        """Every matching event, oldest first, streamed."""
        with self._http.stream("GET", f"{self.base_url}/v1/audit/export", headers=self._headers(), params=filters) as response:
            if not response.is_success:
                response.read()
                raise _error_of(response)
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)

    def verify_audit(self, **window: str) -> Dict[str, Any]:
        return self._call("GET", "/v1/audit/verify", params=window)


class AsyncVault(_Base):
    """asyncio client, the same surface as Vault with ``await``."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0, retries: int = 2):
        super().__init__(base_url, api_key, timeout=timeout, retries=retries)
        self._http = httpx.AsyncClient(timeout=timeout)
        self.grants = AsyncGrants(self._call)
        self.connect = AsyncConnect(self._call)
        self.providers = AsyncProviders(self._call)

    async def __aenter__(self) -> "AsyncVault":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, body: Any = None, params: Optional[Dict[str, Any]] = None) -> httpx.Response:
        for attempt in itertools.count():
            try:
                response = await self._http.request(method, f"{self.base_url}{path}", headers=self._headers(), json=body, params=params)
            except httpx.TransportError as err:
                await asyncio.sleep(self._retry_delay(attempt, error=err))
                continue
            if response.is_success:
                return response
            await asyncio.sleep(self._retry_delay(attempt, response=response))
        raise AssertionError("unreachable")

    async def _call(self, method: str, path: str, body: Any = None, params: Optional[Dict[str, Any]] = None) -> Any:
        response = await self._send(method, path, body, params)
        return None if response.status_code == 204 else response.json()

    async def request(self, method: str, url: str, *, grant_id: str, json: Any = None, content: Union[str, bytes, None] = None,
                      headers: Optional[Mapping[str, str]] = None, params: Optional[Mapping[str, Union[str, List[str]]]] = None,
                      reason: Optional[str] = None, context: Optional[Context] = None) -> httpx.Response:
        answer = await self._call("POST", "/v1/proxy", _proxy_body(grant_id, method, url, json, content, headers, params, reason, context))
        return _upstream_response(answer, method)

    async def get_token(self, grant_id: str, *, reason: Optional[str] = None, context: Optional[Context] = None) -> Dict[str, Any]:
        body = {"grantId": grant_id, **({"reason": reason} if reason else {}), **({"context": c} if (c := _context(context)) else {})}
        return await self._call("POST", "/v1/tokens/retrieve", body)

    async def create_secret(self, **secret: Any) -> Dict[str, Any]:
        return await self._call("POST", "/v1/secrets", secret)

    async def audit(self, **filters: Any) -> Dict[str, Any]:
        return await self._call("GET", "/v1/audit", params=filters)

    async def export_audit(self, **filters: Any) -> AsyncIterator[Dict[str, Any]]:
        async with self._http.stream("GET", f"{self.base_url}/v1/audit/export", headers=self._headers(), params=filters) as response:
            if not response.is_success:
                await response.aread()
                raise _error_of(response)
            async for line in response.aiter_lines():
                if line:
                    yield json.loads(line)


_Call = Callable[..., Any]


class Grants:
    """``vault.grants``: OAuth grants and managed secrets' grants, metadata only."""

    def __init__(self, call: _Call):
        self._call = call

    def list(self, *, principal: Optional[str] = None, provider: Optional[str] = None, status: Optional[GrantStatus] = None,
             kind: Optional[GrantKind] = None, cursor: Optional[str] = None, limit: Optional[int] = None) -> GrantPage:
        """One page, newest first; pass ``nextCursor`` back as ``cursor`` for the next."""
        return self._call(*_list_grants(principal, provider, status, kind, cursor, limit))

    def get(self, grant_id: str) -> GrantInfo:
        return self._call("GET", f"/v1/grants/{_segment(grant_id)}")

    def revoke(self, grant_id: str) -> RevokedGrant:
        """Revokes at the provider where it can, and deletes the ciphertext; ``providerRevocation`` says which happened."""
        return self._call("DELETE", f"/v1/grants/{_segment(grant_id)}")


class Connect:
    """``vault.connect``: the hosted connect flow."""

    def __init__(self, call: _Call):
        self._call = call

    def create_session(self, principal_id: str, *, return_url: str, providers: Optional[List[str]] = None,
                       agent_id: Optional[str] = None, ttl_seconds: Optional[int] = None) -> ConnectSession:
        """A short-lived, single-use URL to send the end user to; they come back to ``return_url?grantId=…``."""
        return self._call(*_connect_session(principal_id, return_url, providers, agent_id, ttl_seconds))


class Providers:
    """``vault.providers``: this tenant's OAuth providers, and the catalog."""

    def __init__(self, call: _Call):
        self._call = call

    def list(self) -> ProviderList:
        return self._call("GET", "/v1/providers")

    def get(self, name: str) -> ProviderInfo:
        return self._call("GET", f"/v1/providers/{_segment(name)}")

    def put(self, name: str, config: Optional[PutProviderRequest] = None, **fields: Any) -> ProviderInfo:
        """Creates or updates a provider: ``put("google", template="google", clientId=…, clientSecret=…)``."""
        return self._call(*_put_provider(name, config, fields))


class AsyncGrants:
    def __init__(self, call: Callable[..., Awaitable[Any]]):
        self._call = call

    async def list(self, *, principal: Optional[str] = None, provider: Optional[str] = None, status: Optional[GrantStatus] = None,
                   kind: Optional[GrantKind] = None, cursor: Optional[str] = None, limit: Optional[int] = None) -> GrantPage:
        return await self._call(*_list_grants(principal, provider, status, kind, cursor, limit))

    async def get(self, grant_id: str) -> GrantInfo:
        return await self._call("GET", f"/v1/grants/{_segment(grant_id)}")

    async def revoke(self, grant_id: str) -> RevokedGrant:
        return await self._call("DELETE", f"/v1/grants/{_segment(grant_id)}")


class AsyncConnect:
    def __init__(self, call: Callable[..., Awaitable[Any]]):
        self._call = call

    async def create_session(self, principal_id: str, *, return_url: str, providers: Optional[List[str]] = None,
                             agent_id: Optional[str] = None, ttl_seconds: Optional[int] = None) -> ConnectSession:
        return await self._call(*_connect_session(principal_id, return_url, providers, agent_id, ttl_seconds))


class AsyncProviders:
    def __init__(self, call: Callable[..., Awaitable[Any]]):
        self._call = call

    async def list(self) -> ProviderList:
        return await self._call("GET", "/v1/providers")

    async def get(self, name: str) -> ProviderInfo:
        return await self._call("GET", f"/v1/providers/{_segment(name)}")

    async def put(self, name: str, config: Optional[PutProviderRequest] = None, **fields: Any) -> ProviderInfo:
        return await self._call(*_put_provider(name, config, fields))
