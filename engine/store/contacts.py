"""Contact and DND lists, and the one-transaction writer every import goes through.

An import (JSON or CSV) runs in ONE transaction: each batch of valid records is copied
(``COPY``, binary) into a temporary staging table, moved into ``contacts``/``dnd_numbers``
with ``INSERT … SELECT … ON CONFLICT DO NOTHING`` and the stage emptied, so PostgreSQL
merges batch n while the next ones are being validated. A failed or interrupted import
rolls back whole: nothing half-written is ever visible.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.contacts.batch import Record
from engine.domain.contacts.model import ListKind
from engine.store.db import Conn, Database
from engine.store.queries import Queries

# Statements of one batch can wait behind another import of the same list (row locks).
BATCH_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class _Names:
    insert: str
    name_taken: str
    of_account: str
    get: str
    create_stage: str
    merge: str
    clear: str
    stage: str
    columns: tuple[str, ...]


_NAMES = {
    ListKind.CONTACTS: _Names(
        "insert_contact_list", "contact_list_name_taken", "contact_lists_of_account",
        "get_contact_list", "create_contact_stage", "merge_contact_stage",
        "clear_contact_stage", "contact_stage",
        ("row_no", "number", "name", "fields", "zones", "unique_id")),
    ListKind.DND: _Names(
        "insert_dnd_list", "dnd_list_name_taken", "dnd_lists_of_account", "get_dnd_list",
        "create_dnd_stage", "merge_dnd_stage", "clear_dnd_stage", "dnd_stage",
        ("row_no", "number", "name")),
}


@dataclass(frozen=True)
class ListRow:
    list_id: str
    name: str
    created_at: datetime
    entries: int  # contacts (or DND numbers); 0 where not counted

    @classmethod
    def from_row(cls, row: Any) -> ListRow:
        return cls(row["list_id"], row["name"], row["created_at"], int(row["entries"]))


class ListWriter:
    """The open import transaction of one list (see the module doc)."""

    def __init__(self, conn: Conn, queries: Queries, kind: ListKind, list_id: str) -> None:
        self.conn = conn
        self._q = queries
        self._names = _NAMES[kind]
        self._list_id = list_id

    async def write(self, records: Sequence[Record]) -> int:
        """Stage and merge one batch (in row order); returns how many rows were new."""
        if not records:
            return 0
        names = self._names
        await self.conn.copy_records_to_table(names.stage, records=records,
                                              columns=names.columns,
                                              timeout=BATCH_TIMEOUT_SECONDS)
        status = await self.conn.execute(self._q[names.merge], self._list_id,
                                         timeout=BATCH_TIMEOUT_SECONDS)
        await self.conn.execute(self._q[names.clear])
        return int(status.rsplit(" ", 1)[-1])


class ContactRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def insert_list(self, kind: ListKind, list_id: str, account_id: str,
                          name: str) -> ListRow | None:
        """The new list; None when the id or the account's name is already taken."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q[_NAMES[kind].insert], list_id, account_id, name)
        return None if row is None else ListRow.from_row(row)

    async def name_taken(self, kind: ListKind, account_id: str, name: str) -> bool:
        async with self._db.connection() as conn:
            return bool(await conn.fetchval(self._q[_NAMES[kind].name_taken], account_id, name))

    async def lists(self, kind: ListKind, account_id: str) -> list[ListRow]:
        """The account's lists, oldest first, with how many entries each holds."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q[_NAMES[kind].of_account], account_id)
        return [ListRow.from_row(r) for r in rows]

    async def get_list(self, kind: ListKind, account_id: str, list_id: str) -> ListRow | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q[_NAMES[kind].get], list_id, account_id)
        return None if row is None else ListRow.from_row(row)

    @asynccontextmanager
    async def importing(self, kind: ListKind, list_id: str) -> AsyncIterator[ListWriter]:
        """One import's transaction: commits when the block ends, rolls back on error."""
        async with self._db.connection() as conn, conn.transaction():
            await conn.execute(self._q[_NAMES[kind].create_stage])
            yield ListWriter(conn, self._q, kind, list_id)
