"""An agent's projected service-account token, read from the file the kubelet keeps fresh.

The kubelet rotates the token by swapping the file (an atomic symlink swap in a projected
volume); a stat per use notices the swap (inode, size or mtime changed) and re-reads, so a
rotated token is sent from the next call on, without a restart. The token is never shown."""
from __future__ import annotations

import os
import threading
from typing import Optional, Tuple

from .errors import VaultError

DEFAULT_TOKEN_PATH = "/var/run/secrets/tokens/alter-vault"


class ServiceAccountToken:
    def __init__(self, path: "os.PathLike[str] | str") -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._version: Optional[Tuple[int, int, int]] = None
        self._token = ""

    def current(self) -> str:
        """The token, re-read when the file changed since the last read; raises ``credential_unavailable``."""
        with self._lock:
            try:
                st = os.stat(self.path)
                version = (st.st_ino, st.st_size, st.st_mtime_ns)
                if version != self._version:
                    with open(self.path, encoding="utf-8") as f:
                        token = f.read().strip()
                    if not token:
                        raise VaultError("credential_unavailable", f"no service-account token at {self.path}: the file is empty", 0)
                    self._token, self._version = token, version
            except FileNotFoundError as err:
                raise VaultError("credential_unavailable", f"no service-account token at {self.path}: no such file "
                                 "(is the projected service-account token volume mounted?)", 0) from err
            except OSError as err:
                raise VaultError("credential_unavailable", f"no service-account token at {self.path}: {err.strerror}", 0) from err
            return self._token

    def __repr__(self) -> str:  # the token never shows
        return f"ServiceAccountToken(path={self.path!r})"
