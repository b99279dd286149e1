"""A real server for the tests: the built api-server (run `make build` first; scripts/test.sh
does) in its embedded mode — PGlite, a generated local key, its own Cerbos PDP — and a local
https upstream with the test CA's certificate, which the server trusts via NODE_EXTRA_CA_CERTS."""
from __future__ import annotations

import http.server
import json
import os
import secrets
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
TLS = ROOT / ".test-env" / "tls"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    main = ROOT / "api-server" / "dist" / "main.js"
    if not main.exists():
        pytest.fail(f"{main} is missing: run `make build` (scripts/test.sh does it)")
    if not os.environ.get("NODE_EXTRA_CA_CERTS"):
        pytest.fail("NODE_EXTRA_CA_CERTS is not set: run the tests through scripts/test.sh")
    port = _free_port()
    key = "avk_" + secrets.token_urlsafe(30)
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w+")
    process = subprocess.Popen(
        ["node", str(main), "serve"],
        env={**os.environ, "ALTER_PORT": str(port), "ALTER_DATA_DIR": str(tmp_path_factory.mktemp("data")), "ALTER_BOOTSTRAP_KEY": key,
             "ALTER_CERBOS_POLICY_DIR": str(ROOT / "policies"), "ALTER_LOG_LEVEL": "info",
             # The README example's return URL, and the loopback one of the tests.
             "ALTER_ALLOWED_RETURN_ORIGINS": "https://app.example.com,http://127.0.0.1:9"},
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.time() > deadline:
            log.seek(0)
            pytest.fail(f"the api-server did not become ready:\n{log.read()[-4000:]}")
        time.sleep(0.2)
    state = {"url": url, "key": key, "secrets": []}
    yield state
    process.terminate()
    process.wait(timeout=15)
    # Every secret value the tests stored, searched for in every line the server logged.
    log.seek(0)
    text = log.read()
    leaked = [i for i, value in enumerate(state["secrets"] + [key]) if value in text]
    assert not leaked, f"secret values (by index in the tests' list) in the server log: {leaked}"


class _Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        payload = json.dumps({"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode("latin-1")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture(scope="session")
def upstream():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server.pem", TLS / "server-key.pem")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
