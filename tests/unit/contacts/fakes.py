"""In-memory stand-ins for the file store and the list writer (no I/O)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from engine.domain.contacts.batch import Record
from engine.domain.contacts.model import ListKind
from engine.domain.errors import NotFound
from engine.files.store import StoredFile
from engine.store.db import Conn


class MemoryFiles:
    """A FileStore of byte strings, read back in small chunks (to cut records apart)."""

    def __init__(self, chunk: int = 7) -> None:
        self.files: dict[tuple[str, str], bytes] = {}
        self.chunk = chunk

    async def put(self, account_id: str, name: str,
                  chunks: AsyncIterator[bytes]) -> StoredFile:
        self.files[account_id, name] = b"".join([c async for c in chunks])
        return StoredFile(name, len(self.files[account_id, name]), datetime.now(UTC))

    async def read(self, account_id: str, name: str) -> AsyncIterator[bytes]:
        data = self.files.get((account_id, name))
        if data is None:
            raise NotFound("file not found", code="file_not_found")
        for start in range(0, len(data), self.chunk):
            yield data[start:start + self.chunk]

    async def stat(self, account_id: str, name: str) -> StoredFile | None:
        data = self.files.get((account_id, name))
        return None if data is None else StoredFile(name, len(data), datetime.now(UTC))

    async def list(self, account_id: str) -> list[StoredFile]:
        return [StoredFile(n, len(d), datetime.now(UTC))
                for (a, n), d in self.files.items() if a == account_id]

    async def delete(self, account_id: str, name: str) -> bool:
        return self.files.pop((account_id, name), None) is not None


@dataclass
class Sink:
    """One open import transaction: rows staged here are committed or dropped whole."""

    committed: dict[str, Record]
    staged: dict[str, Record] = field(default_factory=dict)
    batches: list[int] = field(default_factory=list)

    @property
    def conn(self) -> Conn:
        return cast(Conn, cast(Any, "the import transaction's connection"))

    async def write(self, records: Sequence[Record]) -> int:
        self.batches.append(len(records))
        new = 0
        for record in records:  # ON CONFLICT (list, number) DO NOTHING, in row order
            number = record[1]  # (row, number, name, …)
            if number not in self.committed and number not in self.staged:
                self.staged[number] = record
                new += 1
        return new


@dataclass
class MemoryLists:
    """``ListImports``: contacts per list, committed when the import's block ends well."""

    lists: dict[str, dict[str, Record]] = field(default_factory=dict)
    sinks: list[Sink] = field(default_factory=list)

    @asynccontextmanager
    async def importing(self, kind: ListKind, list_id: str) -> AsyncIterator[Sink]:
        committed = self.lists.setdefault(list_id, {})
        sink = Sink(committed)
        self.sinks.append(sink)
        yield sink  # an exception skips the commit below: a rollback
        committed.update(sink.staged)
