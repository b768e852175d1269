"""The default file store: one directory per account, ``<root>/<account_id>/<name>``.

Writes go to a hidden temporary file in the account's directory, are flushed to disk and
then renamed over the name: a reader sees the old file or the new one, never a part, and a
failed or interrupted upload leaves nothing behind (valid names never start with ``.``,
so temporary files never collide with one and are never listed). Every blocking call runs
in a worker thread, one 64 KiB chunk at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from engine.domain.errors import NotFound, Unavailable
from engine.domain.files import FILE_NOT_FOUND, account_folder, validate_file_name
from engine.files.store import StoredFile

CHUNK_BYTES = 64 * 1024
TEMP_PREFIX = ".upload-"
T = TypeVar("T")


class FileStoreUnavailable(Unavailable):
    code = "file_store_unavailable"


def not_found() -> NotFound:
    return NotFound("file not found", code=FILE_NOT_FOUND)


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        return self._root

    def path_of(self, account_id: str, name: str) -> Path:
        """Where the account's file ``name`` lives (InvalidField for a bad name)."""
        return self._root / account_folder(account_id) / validate_file_name(name)

    async def put(self, account_id: str, name: str,
                  chunks: AsyncIterator[bytes]) -> StoredFile:
        dest = self.path_of(account_id, name)
        temp = dest.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}")
        await _disk(dest.parent.mkdir, parents=True, exist_ok=True)
        handle = await _disk(temp.open, "xb")
        try:
            try:
                async for chunk in chunks:  # the source's own errors pass through as they are
                    if chunk:
                        await _disk(handle.write, chunk)
                await _disk(_flush, handle)
            finally:
                await asyncio.to_thread(handle.close)
            await _disk(os.replace, temp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                await asyncio.shield(asyncio.to_thread(temp.unlink, missing_ok=True))
            raise
        stored = await self.stat(account_id, name)
        if stored is None:  # deleted between the rename and now
            raise not_found()
        return stored

    async def read(self, account_id: str, name: str) -> AsyncIterator[bytes]:
        path = self.path_of(account_id, name)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise not_found() from None
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                yield chunk
        finally:
            handle.close()

    async def stat(self, account_id: str, name: str) -> StoredFile | None:
        path = self.path_of(account_id, name)
        return await asyncio.to_thread(_stat, path)

    async def list(self, account_id: str) -> list[StoredFile]:
        folder = self._root / account_folder(account_id)
        return await asyncio.to_thread(_list, folder)

    async def delete(self, account_id: str, name: str) -> bool:
        path = self.path_of(account_id, name)
        try:
            await asyncio.to_thread(path.unlink)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        return True


async def _disk(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func`` in a worker thread; a failing disk (full, read-only) is a 503, not a 500."""
    try:
        return await asyncio.to_thread(func, *args, **kwargs)
    except OSError as exc:
        raise FileStoreUnavailable(
            f"the file store cannot write: {exc.strerror or exc}") from exc


def _flush(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _stored(name: str, status: os.stat_result) -> StoredFile:
    return StoredFile(name, status.st_size, datetime.fromtimestamp(status.st_mtime, UTC))


def _stat(path: Path) -> StoredFile | None:
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not path.is_file():
        return None
    return _stored(path.name, status)


def _list(folder: Path) -> list[StoredFile]:
    files: list[StoredFile] = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return files
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
            continue
        with contextlib.suppress(FileNotFoundError):
            files.append(_stored(entry.name, entry.stat()))
    return sorted(files, key=lambda f: f.name)
