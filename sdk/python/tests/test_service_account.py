"""Vault.from_service_account against a local HTTP server that records the Authorization header,
while the test rotates the token file the way the kubelet does. No api-server: only what the
client sends is under test."""
from __future__ import annotations

import asyncio
import http.server
import os
import threading

import pytest

from alter_vault import AsyncVault, RateLimited, Vault, VaultError


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("authorization", ""))
        limited = self.path.startswith("/v1/grants")
        payload = b'{"error":{"code":"rate_limited","message":"slow down"}}' if limited else b'{"secrets":[]}'
        self.send_response(429 if limited else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture()
def recorder():
    _Recorder.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{httpd.server_address[1]}", "seen": _Recorder.seen}
    httpd.shutdown()
    httpd.server_close()


def test_sends_the_token_and_the_rotated_one_once_the_file_changes(recorder, tmp_path):
    token_path = tmp_path / "token"
    token_path.write_text("sa-token-1\n")
    with Vault.from_service_account(recorder["url"], token_path=str(token_path)) as vault:
        vault.list_secrets()
        vault.list_secrets()
        token_path.write_text("sa-token-2-longer")
        vault.list_secrets()
        # Written aside and renamed over, as atomic writers do.
        (tmp_path / "token.tmp").write_text("sa-token-3")
        os.replace(tmp_path / "token.tmp", token_path)
        vault.list_secrets()
        assert "sa-token" not in repr(vault)
    assert recorder["seen"] == ["Bearer sa-token-1", "Bearer sa-token-1", "Bearer sa-token-2-longer", "Bearer sa-token-3"]


def test_follows_the_kubelets_projected_volume_symlink_swap(recorder, tmp_path):
    volume = tmp_path / "tokens"
    volume.mkdir()

    def publish(stamp: str, token: str) -> None:
        (volume / stamp).mkdir()
        (volume / stamp / "alter-vault").write_text(token)
        os.symlink(stamp, volume / "..data_tmp")
        os.replace(volume / "..data_tmp", volume / "..data")

    publish("..2026_01_01_00_00_00.1", "projected-1")
    os.symlink("..data/alter-vault", volume / "alter-vault")

    async def main():
        async with AsyncVault.from_service_account(recorder["url"], token_path=str(volume / "alter-vault")) as vault:
            await vault.providers.list()
            publish("..2026_01_01_00_48_00.2", "projected-2")
            await vault.providers.list()

    asyncio.run(main())
    assert recorder["seen"] == ["Bearer projected-1", "Bearer projected-2"]


def test_a_missing_or_empty_token_file_is_explained(recorder, tmp_path):
    token_path = tmp_path / "token"
    with pytest.raises(VaultError, match=r"no service-account token at .*token: no such file \(is the projected service-account token volume mounted\?\)") as missing:
        Vault.from_service_account(recorder["url"], token_path=str(token_path))
    assert (missing.value.code, missing.value.status) == ("credential_unavailable", 0)
    token_path.write_text(" \n")
    with pytest.raises(VaultError, match="the file is empty"):
        Vault.from_service_account(recorder["url"], token_path=str(token_path))

    token_path.write_text("sa-token-1")
    with Vault.from_service_account(recorder["url"], token_path=str(token_path)) as vault:
        token_path.unlink()
        with pytest.raises(VaultError) as gone:
            vault.list_secrets()
        assert gone.value.code == "credential_unavailable"
    assert recorder["seen"] == []


def test_rate_limited_is_typed_and_not_sent_twice(recorder, tmp_path):
    with Vault(recorder["url"], "avk_test") as vault:
        with pytest.raises(RateLimited) as limited:
            vault.grants.list()
    assert (limited.value.code, limited.value.status) == ("rate_limited", 429)
    assert recorder["seen"] == ["Bearer avk_test"]
