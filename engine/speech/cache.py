"""The shared clip cache: one WAV per (engine, voice, prosody, part kind, text).

Files are named by the sha256 of that key, so a name reveals nothing about the text. The
total size is bounded; the least recently used clips go first. Recency is the file's mtime,
which a hit refreshes, so the order survives a restart. Writes are atomic (temporary file,
then rename), and concurrent requests for one key produce it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path

Producer = Callable[[Path], Awaitable[None]]

_TEMP_PREFIX = ".tmp-"


def cache_key(*fields: str) -> str:
    """sha256 over the fields, each length-prefixed so no two field lists collide."""
    digest = hashlib.sha256()
    for field in fields:
        data = field.encode()
        digest.update(len(data).to_bytes(4, "big"))
        digest.update(data)
    return digest.hexdigest()


class AudioCache:
    """Clips under ``root``, at most ``max_bytes`` in total (a single larger clip is kept)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._index: OrderedDict[str, int] = OrderedDict()
        self._size = 0
        self._inflight: dict[str, asyncio.Task[Path]] = {}

    @property
    def size(self) -> int:
        """Bytes of the clips the cache holds."""
        return self._size

    def __len__(self) -> int:
        return len(self._index)

    def path(self, key: str) -> Path:
        """Where the clip for ``key`` lives (two-character fan-out directories)."""
        return self.root / key[:2] / f"{key}.wav"

    def load(self) -> None:
        """Index the clips already on disk, oldest first; drop leftover temporary files.
        Blocking: call it once at start-up, in a thread."""
        self.root.mkdir(parents=True, exist_ok=True)
        found: list[tuple[float, str, int]] = []
        for path in self.root.glob("*/*.wav"):
            if path.name.startswith(_TEMP_PREFIX):
                path.unlink(missing_ok=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                found.append((stat.st_mtime, path.stem, stat.st_size))
        self._index.clear()
        for _mtime, key, size in sorted(found):
            self._index[key] = size
        self._size = sum(self._index.values())
        self._evict(keep=None)

    async def fetch(self, key: str, produce: Producer) -> Path:
        """The clip for ``key``; on a miss ``produce(temp_path)`` writes it, once however many
        callers ask at the same time. A caller's cancellation never cancels the production."""
        path = self.path(key)
        if key in self._index:
            try:
                os.utime(path)
            except FileNotFoundError:
                self._forget(key)
            else:
                self._index.move_to_end(key)
                return path
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._produce(key, produce))
            self._inflight[key] = task
            task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _produce(self, key: str, produce: Producer) -> Path:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{_TEMP_PREFIX}{uuid.uuid4().hex}.wav")
        try:
            await produce(temp)
            size = temp.stat().st_size
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        self._forget(key)
        self._index[key] = size
        self._size += size
        self._evict(keep=key)
        return path

    def _forget(self, key: str) -> None:
        size = self._index.pop(key, None)
        if size is not None:
            self._size -= size

    def _evict(self, keep: str | None) -> None:
        for key in list(self._index):
            if self._size <= self.max_bytes:
                return
            if key == keep:
                continue
            self._forget(key)
            self.path(key).unlink(missing_ok=True)
