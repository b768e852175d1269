"""What every file-store backend offers (local directory, S3), per account.

Names are validated by the backend (``engine.domain.files.validate_file_name``): a bad
name is ``InvalidField("name")``; a missing file is ``NotFound`` (code ``file_not_found``),
and another account's file looks exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    modified: datetime


class FileStore(Protocol):
    async def put(self, account_id: str, name: str,
                  chunks: AsyncIterator[bytes]) -> StoredFile:
        """Write (or replace) the file from ``chunks``; a partial write leaves nothing."""
        ...

    def read(self, account_id: str, name: str) -> AsyncIterator[bytes]:
        """The file's bytes in chunks (constant memory). NotFound when missing (raised on
        the first iteration at the latest)."""
        ...

    async def stat(self, account_id: str, name: str) -> StoredFile | None: ...

    async def list(self, account_id: str) -> list[StoredFile]: ...

    async def delete(self, account_id: str, name: str) -> bool:
        """True if the file existed."""
        ...
