"""The streaming CSV importer: a file of the account's file store → a contact or DND list.

Memory stays constant whatever the file's size: the file is read in chunks, parsed as it
arrives (``CsvStream``), and cut into batches of ``batch_rows`` records; at most
``in_flight`` batches are being validated at a time (in the ``BatchValidator``'s worker
processes), and each validated batch is written, in file order, into the list's ONE import
transaction (``ContactRepository.importing``: COPY into a staging table, then merged).
PostgreSQL merges batch n while the workers validate the next ones.

Policy: a file that is not a CSV at all (binary, undecodable lines, a broken header, no
row with a valid number) raises ``InvalidCsv`` and imports nothing; otherwise every valid
row is imported and every bad one counted, the first ten with their line and reason.

``import_csv`` is the entry point a benchmark calls directly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from engine.domain.contacts.batch import BatchResult, Record
from engine.domain.contacts.csvstream import CsvStream, Row
from engine.domain.contacts.layout import Layout, detect_layout
from engine.domain.contacts.model import InvalidCsv, ListKind
from engine.domain.contacts.report import ImportReport, Tally
from engine.files.store import FileStore
from engine.services.contacts import BatchValidator
from engine.store.contacts import ContactRepository
from engine.store.db import Conn, Database

BATCH_ROWS = 5000
# Quote-free stretches of a file go to the workers undecoded, in blocks of about this size
# (~5 000 rows of 50 bytes): the engine's process then neither parses nor pickles them.
BLOCK_BYTES = 256 * 1024

# Called inside the import's transaction, just before it commits (a job records its
# outcome there, so the rows and the job's "done" commit together).
FinishHook = Callable[[Conn, ImportReport], Awaitable[None]]


class ListSink(Protocol):
    """An open import transaction (``ListWriter`` fits)."""

    @property
    def conn(self) -> Conn: ...

    async def write(self, records: Sequence[Record]) -> int: ...


class ListImports(Protocol):
    """Where imports write (``ContactRepository`` fits)."""

    def importing(self, kind: ListKind,
                  list_id: str) -> AbstractAsyncContextManager[ListSink]: ...


@dataclass
class Progress:
    """How far an import is, for its job's progress (read while it runs)."""

    bytes_read: int = 0
    rows_read: int = 0


class CsvImporter:
    def __init__(self, repo: ListImports, files: FileStore, validator: BatchValidator,
                 *, region: str, batch_rows: int = BATCH_ROWS,
                 block_bytes: int = BLOCK_BYTES, in_flight: int | None = None) -> None:
        self._repo = repo
        self._files = files
        self._validator = validator
        self._region = region
        self._batch_rows = batch_rows
        self._block_bytes = block_bytes
        # Enough batches queued to keep every worker busy while one is being written.
        self._in_flight = in_flight or 2 * max(validator.workers, 1) + 1

    async def run(self, account_id: str, kind: ListKind, list_id: str, file_name: str, *,
                  progress: Progress | None = None,
                  finish: FinishHook | None = None) -> ImportReport:
        """Import ``file_name`` into the list (its owner is the caller's business).

        Raises ``InvalidCsv`` (nothing imported), ``NotFound`` for a missing file, and
        ``Unavailable`` when the database or the workers fail (nothing imported either).
        """
        progress = progress or Progress()
        async with self._repo.importing(kind, list_id) as writer:
            run = _Run(self._validator, kind, region=self._region,
                       batch_rows=self._batch_rows, block_bytes=self._block_bytes,
                       progress=progress, write=writer.write)
            try:
                async for chunk in self._files.read(account_id, file_name):
                    progress.bytes_read += len(chunk)
                    await run.take_chunk(chunk, self._in_flight)
                await run.take(run.stream.finish(), self._in_flight)
                await run.flush()
            finally:
                run.cancel_pending()
            report = run.tally.report()
            if finish is not None:
                await finish(writer.conn, report)
        return report


class _Run:
    """One import under way: the file's layout, the batches in flight, the tally."""

    def __init__(self, validator: BatchValidator, kind: ListKind, *, region: str,
                 batch_rows: int, block_bytes: int, progress: Progress,
                 write: Callable[[Sequence[Record]], Awaitable[int]]) -> None:
        self._validator = validator
        self._kind = kind
        self._region = region
        self._batch_rows = batch_rows
        self._max_block = block_bytes
        self._progress = progress
        self._write = write
        self._layout: Layout | None = None
        self._batch: list[Row] = []
        self._blocks: list[bytes] = []
        self._block_first = 0
        self._block_bytes = 0
        self._pending: deque[asyncio.Future[BatchResult]] = deque()
        self.stream = CsvStream()
        self.tally = Tally()

    async def take_chunk(self, chunk: bytes, in_flight: int) -> None:
        """The next chunk of the file: whole quote-free lines go on as a block, anything
        else through the stream's CSV reader (in file order either way)."""
        plain = self.stream.plain_block(chunk) if self._layout is not None else None
        if plain is None:
            await self.take(self.stream.feed(chunk), in_flight)
            return
        first, block = plain
        if block:
            self._submit()  # rows read before this block go first
            if not self._blocks:
                self._block_first = first
            self._blocks.append(block)
            self._block_bytes += len(block)
            if self._block_bytes >= self._max_block:
                self._submit_block()
        await self._drain(in_flight)

    async def take(self, rows: list[Row], in_flight: int) -> None:
        self._submit_block()  # a block read before these rows goes first
        if rows and self._layout is None:
            self._layout = detect_layout(self._kind, rows[0][1], self._region)
            if self._layout.header:
                rows = rows[1:]
        for row in rows:
            self._batch.append(row)
            if len(self._batch) >= self._batch_rows:
                self._submit()
        await self._drain(in_flight)

    async def flush(self) -> None:
        """Validate and write what is left; InvalidCsv if no row at all was valid."""
        self._submit_block()
        self._submit()
        await self._drain(0)
        if self.tally.staged == 0:
            if self.tally.rows == 0:
                raise InvalidCsv("the file has no contact rows")
            raise InvalidCsv(f"no row of the file has a valid phone number "
                             f"({self.tally.rejected} rows rejected)",
                             errors=tuple(self.tally.errors), rejected=self.tally.rejected)

    def cancel_pending(self) -> None:
        for future in self._pending:
            future.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                future.exception()  # retrieved: no "exception never retrieved" noise
        self._pending.clear()

    def _submit(self) -> None:
        if not self._batch or self._layout is None:
            return
        self._pending.append(asyncio.ensure_future(
            self._validator.rows(self._layout, self._region, self._batch)))
        self._batch = []

    def _submit_block(self) -> None:
        if not self._blocks or self._layout is None:
            return
        block = b"".join(self._blocks)
        self._pending.append(asyncio.ensure_future(self._validator.block(
            self._layout, self._region, self.stream.delimiter, self._block_first, block)))
        self._blocks, self._block_bytes = [], 0

    async def _drain(self, keep: int) -> None:
        """Write validated batches, oldest first, until at most ``keep`` are in flight."""
        while len(self._pending) > keep:
            batch = await self._pending[0]
            self._pending.popleft()
            self.tally.add(batch)
            self._progress.rows_read = self.tally.rows
            self.tally.imported += await self._write(batch.records)


async def import_csv(db: Database, files: FileStore, account_id: str, list_id: str,
                     file_name: str, *, kind: ListKind = ListKind.CONTACTS,
                     region: str = "US", workers: int = 2,
                     validator: BatchValidator | None = None,
                     progress: Progress | None = None) -> ImportReport:
    """Import the account's file ``file_name`` into list ``list_id`` (no job, no ownership
    check): what a benchmark calls. ``db`` must be connected (``Database.connect_once``).
    Pass a ``validator`` to keep its worker processes (started on first use) across calls;
    otherwise one of ``workers`` processes is made and closed here."""
    own = validator is None
    validator = validator or BatchValidator(workers)
    try:
        importer = CsvImporter(ContactRepository(db), files, validator, region=region)
        return await importer.run(account_id, kind, list_id, file_name, progress=progress)
    finally:
        if own:
            validator.close()
