"""README.md's main example, run as written against the test server: only the vault's address
and the API's host are swapped for the test's, and its free names (api_key, grant_id) are the
test's key and a managed secret's grant."""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from alter_vault import Vault

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_main_example_runs(server, upstream, capsys):
    example = re.search(r"```python\n(.*?)\n```", README.read_text(encoding="utf-8"), re.S).group(1)
    assert '"http://127.0.0.1:8080"' in example and '"https://api.github.com/' in example
    source = example.replace('"http://127.0.0.1:8080"', repr(server["url"])).replace('"https://api.github.com/', f'"https://{upstream}/')

    value = "sk-readme-" + secrets.token_hex(8)
    client_secret = "readme-client-secret-" + secrets.token_hex(8)
    server["secrets"] += [value, client_secret]
    with Vault(server["url"], server["key"]) as admin:
        admin.providers.put("github", template="github", clientId="readme-client", clientSecret=client_secret)
        grant_id = admin.create_secret(name="readme", type="bearer", value=value, allowedHosts=[upstream])["grantId"]
        exec(compile(source, str(README), "exec"), {"api_key": server["key"], "grant_id": grant_id})
        events = admin.audit(grant=grant_id, action="proxy", limit=1)["events"]

    connect_line, status_line = capsys.readouterr().out.splitlines()
    assert connect_line.startswith(f"connect at {server['url']}/connect/avc_")
    server["secrets"].append(connect_line.rsplit("/", 1)[1])
    assert status_line.startswith("200 {'method': 'GET', 'path': '/user'")
    assert f"'authorization': 'Bearer {value}'" in status_line
    assert (events[0]["reason"], events[0]["context"]) == ("show profile", {"runId": "run-42", "threadId": "t-1"})
