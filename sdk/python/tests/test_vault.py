"""The Python clients against the real server (see conftest.py)."""
from __future__ import annotations

import asyncio
import secrets

import pytest

from alter_vault import AsyncVault, GrantNotFound, InvalidRequest, MissingScope, Unauthenticated, Vault, VaultError


@pytest.fixture()
def vault(server):
    with Vault(server["url"], server["key"]) as client:
        yield client


@pytest.fixture()
def grant(vault, server, upstream):
    value = "sk-py-" + secrets.token_hex(8)
    created = vault.create_secret(name="py-" + secrets.token_hex(4), type="bearer", value=value, allowedHosts=[upstream])
    server["secrets"].append(value)
    return {"id": created["grantId"], "secret_id": created["id"], "value": value}


def test_request_injects_the_credential_and_returns_the_upstream_answer(vault, upstream, grant):
    response = vault.request("POST", f"https://{upstream}/items", grant_id=grant["id"], json={"name": "widget"}, params={"page": "2"},
                             headers={"x-trace": "t-1"}, reason="python test")
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/items?page=2"
    assert echoed["body"] == '{"name":"widget"}'
    assert echoed["headers"]["authorization"] == f"Bearer {grant['value']}"
    assert echoed["headers"]["x-trace"] == "t-1"

    binary = vault.request("PUT", f"https://{upstream}/blob", grant_id=grant["id"], content=bytes([0, 1, 2, 255]))
    assert binary.json()["body"].encode("latin-1") == bytes([0, 1, 2, 255])


def test_get_token_and_trace_tags_every_use_in_the_block(vault, grant):
    with vault.trace(runId="run-py", threadId="t-1"):
        assert vault.get_token(grant["id"])["token"] == grant["value"]
        vault.get_token(grant["id"], context={"threadId": "t-2", "toolName": "search"})
    vault.get_token(grant["id"])
    events = vault.audit(grant=grant["id"], action="retrieve_token", limit=3)["events"]
    assert [e["context"] for e in events] == [None, {"runId": "run-py", "threadId": "t-2", "toolName": "search"}, {"runId": "run-py", "threadId": "t-1"}]


def test_typed_errors_carry_the_stable_codes(vault, server, upstream, grant):
    with pytest.raises(GrantNotFound) as missing:
        vault.get_token("00000000-0000-4000-8000-000000000000")
    assert (missing.value.code, missing.value.status) == ("grant_not_found", 404)
    assert missing.value.request_id
    with pytest.raises(InvalidRequest) as refused:
        vault.request("GET", "https://example.com/", grant_id=grant["id"])
    assert refused.value.code == "host_not_allowed"

    narrow = vault.create_key("py-reader", ["secrets:read"])
    with Vault(server["url"], narrow["key"]) as reader:
        with pytest.raises(MissingScope):
            reader.get_token(grant["id"])
        vault.revoke_key(narrow["id"])
        with pytest.raises(Unauthenticated) as revoked:
            reader.list_secrets()
        assert revoked.value.code == "api_key_revoked"

    with Vault("http://127.0.0.1:9", server["key"], retries=1) as offline:
        with pytest.raises(VaultError) as unreachable:
            offline.list_secrets()
        assert (unreachable.value.code, unreachable.value.status) == ("network_error", 0)


def test_secrets_keys_and_the_audit_log(server, vault, upstream):
    first = "v1-" + secrets.token_hex(4)
    # Both values are searched for in the server's log at teardown.
    server["secrets"] += [first, "v2-value"]
    created = vault.create_secret(name="py-rotating", type="header", headerName="X-Key", value=first, allowedHosts=[upstream])
    vault.rotate_secret(created["id"], "v2-value")
    assert vault.get_token(created["grantId"])["token"] == "v2-value"
    vault.delete_secret(created["id"])
    with pytest.raises(VaultError) as gone:
        vault.get_token(created["grantId"])
    assert gone.value.code == "grant_revoked"

    key = vault.create_key("py-agent", ["tokens:retrieve"])
    rotated = vault.rotate_key(key["id"])
    assert rotated["replaces"] == key["id"]

    actions = [e["action"] for e in vault.export_audit(grant=created["grantId"])]
    assert actions == ["secret.create", "secret.rotate", "retrieve_token", "secret.delete", "retrieve_token"]
    assert vault.verify_audit()["ok"] is True


def test_the_key_stays_out_of_repr_and_errors(vault, server):
    assert server["key"] not in repr(vault)
    with pytest.raises(VaultError) as failure:
        vault.get_token("00000000-0000-4000-8000-000000000000")
    assert server["key"] not in str(failure.value) + repr(failure.value)


def test_async_client(server, upstream, grant):
    async def main():
        async with AsyncVault(server["url"], server["key"]) as vault:
            with vault.trace(runId="run-async"):
                answer, token = await asyncio.gather(
                    vault.request("GET", f"https://{upstream}/async", grant_id=grant["id"]),
                    vault.get_token(grant["id"]),
                )
            assert answer.json()["headers"]["authorization"] == f"Bearer {grant['value']}"
            assert token["token"] == grant["value"]
            with pytest.raises(GrantNotFound):
                await vault.get_token("00000000-0000-4000-8000-000000000000")
            events = [e async for e in vault.export_audit(grant=grant["id"])]
            assert {e["context"]["runId"] for e in events if e["context"]} == {"run-async"}

    asyncio.run(main())
