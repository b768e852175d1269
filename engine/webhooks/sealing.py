"""Account tokens sealed for signing webhooks: Fernet with a key kept in a 0600 file.

The database keeps a salted hash of each token (for logins) and this sealed copy (to sign
webhooks as Plivo does, which needs the token itself). Without the key file, a copy of
the database reveals no token.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


class TokenSealer:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_file(cls, path: Path) -> TokenSealer:
        """The key in ``path``; made (mode 0600) on first use. Safe if two processes start
        at once: only one creates the file, the other reads it."""
        return cls(load_or_create_key(path))

    def seal(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode())

    def unseal(self, sealed: bytes) -> str | None:
        """The token, or None if it was sealed with another key or is damaged."""
        try:
            return self._fernet.decrypt(sealed).decode()
        except (InvalidToken, UnicodeDecodeError):
            return None


def load_or_create_key(path: Path) -> bytes:
    """Read the key; create it with mode 0600 if the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        key = Fernet.generate_key()
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key + b"\n")
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return key
    key = path.read_bytes().strip()
    if not key:
        # Another process created it a moment ago and is still writing: read once more.
        key = path.read_bytes().strip()
    Fernet(key)  # raises ValueError for a file that holds no Fernet key
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return key
