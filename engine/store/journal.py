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
        fd = os.open(self._path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a torn line left by a crash stays on its own line
            while line:
                line = line[os.write(fd, line):]
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        """Every complete snapshot in the journal, oldest first."""
        return self.read_with_end()[0]

    def read_with_end(self) -> tuple[list[dict[str, Any]], int]:
        """The snapshots and the byte offset they end at (see ``discard_through``)."""
        if not self._path.exists():
            return [], 0
        data = self._path.read_bytes()
        snapshots = []
        for number, line in enumerate(data.splitlines(), start=1):
            try:
                snapshot = json.loads(line)
            except ValueError:
                log.warning("skipped a torn journal line", extra={"line": number})
                continue
            if isinstance(snapshot, dict):
                snapshots.append(snapshot)
        return snapshots, len(data)

    def discard_through(self, offset: int) -> None:
        """Drop the first ``offset`` bytes (snapshots now stored), keeping whatever was
        appended after them; atomic (a new file renamed over the old, fsync'd)."""
        if not self._path.exists():
            return
        rest = self._path.read_bytes()[offset:]
        if not rest:
            self.clear()
            return
        fresh = self._path.with_suffix(".tmp")
        with fresh.open("wb") as handle:
            handle.write(rest)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(fresh, 0o600)
        fresh.replace(self._path)

    def clear(self) -> None:
        """Empty the journal once everything in it is stored (blocking)."""
        if self._path.exists():
            with self._path.open("r+b") as handle:
                handle.truncate(0)
                os.fsync(handle.fileno())
