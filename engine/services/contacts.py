"""Contact and DND lists: create, list, and add contacts given in the request.

Another account's list looks exactly like a missing one (404 ``list_not_found`` /
``dnd_list_not_found``). Rows are validated off the event loop (``BatchValidator``) and
written in one transaction (``ContactRepository.importing``): every valid row is imported
or none is, and the answer reports imported, duplicate and rejected rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from phonenumbers.re_util import enable_pattern_cache

from engine.domain.accounts import Account
from engine.domain.contacts.batch import (
    BatchResult,
    validate_block,
    validate_items,
    validate_rows,
)
from engine.domain.contacts.layout import Layout
from engine.domain.contacts.model import (
    MAX_CONTACTS_PER_REQUEST,
    ListKind,
    validate_list_name,
)
from engine.domain.contacts.report import ImportReport, Tally
from engine.domain.errors import Conflict, InvalidField, NotFound, Unavailable
from engine.domain.ids import DND_LIST_ID, LIST_ID, new_dnd_list_id, new_list_id
from engine.store.contacts import ContactRepository, ListRow

log = logging.getLogger(__name__)

T = TypeVar("T")
BATCH_ROWS = 5000
INLINE_ROWS = 100  # a request this small is validated on the loop (a few ms)
_ID_ATTEMPTS = 5


@dataclass(frozen=True)
class ListNames:
    """The seed's names of one kind of list, for errors and answers."""

    list_id: str
    list_name: str
    items: str
    csv_name: str
    not_found: str
    name_taken: str


NAMES = {
    ListKind.CONTACTS: ListNames("list_id", "list_name", "contacts", "csv_name",
                                 "list_not_found", "list_name_taken"),
    ListKind.DND: ListNames("dnd_list_id", "dnd_list_name", "dnd_contacts", "dnd_csv_name",
                            "dnd_list_not_found", "dnd_list_name_taken"),
}
_ID_PATTERN = {ListKind.CONTACTS: LIST_ID, ListKind.DND: DND_LIST_ID}
_NEW_ID = {ListKind.CONTACTS: new_list_id, ListKind.DND: new_dnd_list_id}


def _start_worker() -> None:
    # Validation workers yield the CPU to the engine's event loop and to PostgreSQL.
    with contextlib.suppress(OSError):
        os.nice(10)
    # Keep phonenumbers' compiled metadata patterns instead of looking each one up in the
    # re module's cache on every match: about a fifth of a number's validation time.
    enable_pattern_cache()


class BatchValidator:
    """Runs batch validation off the event loop: in ``workers`` processes (started on first
    use, "spawn"ed: the engine's own threads are never forked), or a thread when 0."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._executor: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    async def rows(self, layout: Layout, region: str,
                   rows: Sequence[tuple[int, list[str]]]) -> BatchResult:
        return await self._run(validate_rows, layout, region, rows)

    async def block(self, layout: Layout, region: str, delimiter: str, first_line: int,
                    block: bytes) -> BatchResult:
        return await self._run(validate_block, layout, region, delimiter, first_line, block)

    async def items(self, kind: ListKind, region: str, first_row: int,
                    items: Sequence[object]) -> BatchResult:
        return await self._run(validate_items, kind, region, first_row, items)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _pool(self) -> Executor | None:
        if self._workers <= 0:
            return None  # the loop's default thread pool
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker)
        return self._executor

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool(), fn, *args)
        except BrokenProcessPool:
            log.error("import validation workers died; starting new ones on next use")
            self.close()
            raise Unavailable("the import's validation workers stopped; retry") from None


class ContactListService:
    def __init__(self, repo: ContactRepository, validator: BatchValidator, *,
                 region: str) -> None:
        self._repo = repo
        self._validator = validator
        self._region = region

    @property
    def region(self) -> str:
        return self._region

    async def create_list(self, account: Account, kind: ListKind, name: str) -> ListRow:
        """A new empty list; 409 ``list_name_taken`` when the account has one so named."""
        names = NAMES[kind]
        name = validate_list_name(name, names.list_name)
        for _ in range(_ID_ATTEMPTS):  # 40 random bits: a collision is rare, never fatal
            row = await self._repo.insert_list(kind, _NEW_ID[kind](), account.account_id, name)
            if row is not None:
                return row
            if await self._repo.name_taken(kind, account.account_id, name):
                raise Conflict(f"{names.list_name} {name!r} is already used by another list",
                               code=names.name_taken)
        raise Conflict("could not allocate a list id; retry", code="list_id_conflict")

    async def lists(self, account: Account, kind: ListKind) -> list[ListRow]:
        return await self._repo.lists(kind, account.account_id)

    async def require_list(self, account: Account, kind: ListKind, list_id: str) -> ListRow:
        """The account's list ``list_id``; 404 otherwise (another account's: the same)."""
        names = NAMES[kind]
        list_id = list_id.strip()
        row = None
        if _ID_PATTERN[kind].fullmatch(list_id):
            row = await self._repo.get_list(kind, account.account_id, list_id)
        if row is None:
            what = "DND list" if kind is ListKind.DND else "list"
            raise NotFound(f"{what} not found", code=names.not_found)
        return row

    async def add(self, account: Account, kind: ListKind, list_id: str,
                  items: Sequence[object]) -> ImportReport:
        """Validate ``items`` (the JSON array) and import the valid ones in one transaction."""
        names = NAMES[kind]
        row = await self.require_list(account, kind, list_id)
        if not items:
            raise InvalidField(names.items, f"{names.items} must hold at least one contact",
                               code="no_contacts")
        if len(items) > MAX_CONTACTS_PER_REQUEST:
            raise InvalidField(names.items, f"at most {MAX_CONTACTS_PER_REQUEST} contacts per "
                               "request; import larger lists from a CSV file",
                               code="too_many_contacts")
        batches = await self._validate(kind, items)
        tally = Tally()
        async with self._repo.importing(kind, row.list_id) as writer:
            for batch in batches:
                tally.add(batch)
                tally.imported += await writer.write(batch.records)
        return tally.report()

    async def _validate(self, kind: ListKind, items: Sequence[object]) -> list[BatchResult]:
        if len(items) <= INLINE_ROWS:
            return [validate_items(kind, self._region, 1, items)]
        return list(await asyncio.gather(*(
            self._validator.items(kind, self._region, start + 1, items[start:start + BATCH_ROWS])
            for start in range(0, len(items), BATCH_ROWS))))
