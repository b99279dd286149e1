"""Grants, connect sessions and providers against the real server (see conftest.py). No OAuth
provider is reachable from here: the whole connect flow is tested in TypeScript
(api-server/src/oauth/connect.integration.test.ts, sdk/typescript/src/cli/)."""
from __future__ import annotations

import asyncio
import secrets

import pytest

from alter_vault import AsyncVault, GrantNotFound, InvalidRequest, Vault

RETURN = "http://127.0.0.1:9/connected"
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture()
def vault(server):
    with Vault(server["url"], server["key"]) as client:
        yield client


@pytest.fixture()
def provider(vault, server):
    """GitHub from the catalog, with this tenant's OAuth client (nothing is fetched from GitHub here)."""
    name = "py-" + secrets.token_hex(4)
    client_secret = "py-client-secret-" + secrets.token_hex(8)
    server["secrets"].append(client_secret)
    info = vault.providers.put(name, template="github", clientId="py-client", clientSecret=client_secret, scopes=["read:user"])
    return {"name": name, "info": info, "client_secret": client_secret}


def test_grants_list_get_and_revoke(vault, server, upstream):
    # This tenant never connected an OAuth account: the filtered list is empty.
    assert vault.grants.list(kind="oauth") == {"grants": [], "nextCursor": None}
    assert vault.grants.list(provider="no-such-provider", status="active", limit=5) == {"grants": [], "nextCursor": None}

    value = "sk-py-grant-" + secrets.token_hex(8)
    server["secrets"].append(value)
    created = vault.create_secret(name="py-grant", type="bearer", value=value, allowedHosts=[upstream])
    page = vault.grants.list(kind="secret", limit=500)
    assert created["grantId"] in [g["id"] for g in page["grants"]]
    grant = vault.grants.get(created["grantId"])
    assert (grant["id"], grant["kind"], grant["status"], grant["allowedHosts"]) == (created["grantId"], "secret", "active", [upstream])
    assert value not in repr(grant)

    with pytest.raises(GrantNotFound) as missing:
        vault.grants.get(MISSING)
    assert (missing.value.code, missing.value.status) == ("grant_not_found", 404)
    with pytest.raises(GrantNotFound):
        vault.grants.revoke(MISSING)


def test_providers_list_the_catalog_and_put_get_a_provider(vault, provider):
    listed = vault.providers.list()
    oauth = [entry for entry in listed["catalog"] if entry["kind"] == "oauth2"]
    assert len(oauth) >= 30
    assert {"google", "github", "slack"} <= {entry["id"] for entry in oauth}
    assert provider["name"] in [p["name"] for p in listed["providers"]]

    info = vault.providers.get(provider["name"])
    assert info == provider["info"]
    assert (info["clientId"], info["hasClientSecret"], info["scopes"], info["template"]) == ("py-client", True, ["read:user"], "github")
    assert info["authorizationUrl"].startswith("https://github.com/")
    assert provider["client_secret"] not in repr(listed) + repr(info)
    # An update without the client secret keeps the stored one.
    updated = vault.providers.put(provider["name"], {"template": "github", "clientId": "py-client"}, scopes=["read:user", "repo"])
    assert (updated["scopes"], updated["hasClientSecret"]) == (["read:user", "repo"], True)
    with pytest.raises(InvalidRequest) as unknown:
        vault.providers.get("no-such-provider")
    assert unknown.value.code == "provider_not_found"


def test_connect_sessions(vault, server, provider):
    session = vault.connect.create_session("principal-py", return_url=RETURN, providers=[provider["name"]], agent_id="agent-py", ttl_seconds=60)
    server["secrets"].append(session["token"])
    assert session["token"].startswith("avc_")
    assert session["url"] == f"{server['url']}/connect/{session['token']}"
    assert session["expiresAt"]

    with pytest.raises(InvalidRequest) as unknown:
        vault.connect.create_session("principal-py", return_url=RETURN, providers=["no-such-provider"])
    assert (unknown.value.code, unknown.value.status) == ("provider_not_found", 404)
    with pytest.raises(InvalidRequest) as off_origin:
        vault.connect.create_session("principal-py", return_url="https://evil.example/steal")
    assert (off_origin.value.code, off_origin.value.status) == ("return_url_not_allowed", 400)


def test_async_namespaces(server, provider):
    async def main():
        async with AsyncVault(server["url"], server["key"]) as vault:
            page, listed, info = await asyncio.gather(vault.grants.list(kind="oauth"), vault.providers.list(), vault.providers.get(provider["name"]))
            assert page == {"grants": [], "nextCursor": None}
            assert len(listed["catalog"]) >= 30
            assert info["name"] == provider["name"]
            session = await vault.connect.create_session("principal-async", return_url=RETURN, providers=[provider["name"]])
            server["secrets"].append(session["token"])
            assert session["url"].endswith(session["token"])
            with pytest.raises(GrantNotFound):
                await vault.grants.get(MISSING)
            with pytest.raises(InvalidRequest) as unknown:
                await vault.connect.create_session("principal-async", return_url=RETURN, providers=["no-such-provider"])
            assert unknown.value.code == "provider_not_found"
            updated = await vault.providers.put(provider["name"], template="github", clientId="py-client-2")
            assert updated["clientId"] == "py-client-2"
            with pytest.raises(GrantNotFound):
                await vault.grants.revoke(MISSING)

    asyncio.run(main())
