"""The local spool of call snapshots PostgreSQL has not taken yet: append-only, fsync'd.

One JSON snapshot per line. A torn last line (the process died mid-write) is skipped on
reading; every complete line was fsync'd before ``append`` returned.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class CallJournal:
    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    def append(self, snapshot: dict[str, Any]) -> None:
        """Write one snapshot and make it durable before returning (blocking)."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(snapshot, separators=(",", ":")) + "\n").encode()
        fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        """Every complete snapshot in the journal, oldest first."""
        if not self._path.exists():
            return []
        snapshots = []
        for number, line in enumerate(self._path.read_bytes().splitlines(), start=1):
            try:
                snapshot = json.loads(line)
            except ValueError:
                log.warning("skipped a torn journal line", extra={"line": number})
                continue
            if isinstance(snapshot, dict):
                snapshots.append(snapshot)
        return snapshots

    def clear(self) -> None:
        """Empty the journal once everything in it is stored (blocking)."""
        if self._path.exists():
            with self._path.open("r+b") as handle:
                handle.truncate(0)
                os.fsync(handle.fileno())
