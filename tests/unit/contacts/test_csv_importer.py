"""The streaming importer end to end on in-memory stores: batches in order, in-flight
bound, one transaction (an error anywhere commits nothing), the job's finish hook."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

import pytest

from engine.domain.contacts.batch import BatchResult
from engine.domain.contacts.layout import Layout
from engine.domain.contacts.model import ContactRecord, InvalidCsv, ListKind
from engine.domain.contacts.report import ImportReport
from engine.domain.errors import NotFound
from engine.services.contacts import BatchValidator
from engine.services.csv_import import CsvImporter, Progress
from engine.store.db import Conn
from tests.unit.contacts.fakes import MemoryFiles, MemoryLists

ACCOUNT, LIST = "account_1", "LS0123456789"


def us(n: int) -> str:
    return f"1516201{n:04d}"


class CountingValidator(BatchValidator):
    """Validates in a thread; remembers how many batches were in flight at most, and which
    way each came (parsed rows, or a block of raw quote-free lines)."""

    def __init__(self) -> None:
        super().__init__(0)
        self.in_flight = 0
        self.most = 0
        self.kinds: list[str] = []

    async def rows(self, layout: Layout, region: str,
                   rows: Sequence[tuple[int, list[str]]]) -> BatchResult:
        self.kinds.append("rows")
        return await self._counted(super().rows(layout, region, rows))

    async def block(self, layout: Layout, region: str, delimiter: str, first_line: int,
                    block: bytes) -> BatchResult:
        self.kinds.append("block")
        return await self._counted(super().block(layout, region, delimiter, first_line, block))

    async def _counted(self, validating: Awaitable[BatchResult]) -> BatchResult:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            return await validating
        finally:
            self.in_flight -= 1


def setup(data: bytes, **options: int) -> tuple[CsvImporter, MemoryLists, CountingValidator]:
    files = MemoryFiles(chunk=7)
    files.files[ACCOUNT, "c.csv"] = data
    lists = MemoryLists()
    validator = CountingValidator()
    return CsvImporter(lists, files, validator, region="US", **options), lists, validator


@pytest.mark.parametrize("quoted", [False, True])
async def test_rows_arrive_in_file_order_in_bounded_batches(quoted: bool) -> None:
    # Quote-free stretches go as raw blocks, others as parsed rows: the same result.
    cells = ['"n{i}"' if quoted and i % 9 == 0 else "n{i}" for i in range(60)]
    lines = ["name,number,amount"] + [f"{cell.format(i=i)},{us(i % 40)},{i}"
                                      for i, cell in enumerate(cells)] + ["x,no,1"]
    data = ("\n".join(lines) + "\n").encode()
    importer, lists, validator = setup(data, batch_rows=5, block_bytes=40, in_flight=3)
    progress = Progress()
    report = await importer.run(ACCOUNT, ListKind.CONTACTS, LIST, "c.csv", progress=progress)
    assert (report.rows, report.imported, report.duplicates, report.rejected) == (61, 40, 20, 1)
    assert [(e.row, e.field) for e in report.errors] == [(62, "contact_number")]
    kept = lists.lists[LIST]
    assert list(kept) == [us(i) for i in range(40)]
    first = kept[us(3)]
    record = ContactRecord(*first)
    assert record.name == "n3"  # the first occurrence wins
    assert record.fields == '{"amount":"3"}'
    assert sum(lists.sinks[0].batches) == 60
    assert validator.most <= 4  # in_flight queued, plus the one being submitted
    assert "block" in validator.kinds and ("rows" in validator.kinds) == quoted
    assert (progress.bytes_read, progress.rows_read) == (len(data), 61)


async def test_a_broken_file_commits_nothing_and_never_finishes() -> None:
    data = b"".join(f"n{i},{us(i)}\n".encode() for i in range(50)) + b"\x00"
    importer, lists, _ = setup(data, batch_rows=5, block_bytes=40, in_flight=1)
    finished: list[ImportReport] = []

    async def finish(conn: Conn, report: ImportReport) -> None:
        finished.append(report)

    with pytest.raises(InvalidCsv, match="NUL byte"):
        await importer.run(ACCOUNT, ListKind.CONTACTS, LIST, "c.csv", finish=finish)
    assert sum(lists.sinks[0].batches) > 0  # batches were written…
    assert lists.lists[LIST] == {} and finished == []  # …and rolled back


async def test_no_valid_row_is_not_a_contact_file() -> None:
    importer, lists, _ = setup(b"name,number\na,1\nb,2\n")
    with pytest.raises(InvalidCsv) as caught:
        await importer.run(ACCOUNT, ListKind.CONTACTS, LIST, "c.csv")
    assert caught.value.message == "no row of the file has a valid phone number (2 rows rejected)"
    assert caught.value.rejected == 2 and [e.row for e in caught.value.errors] == [2, 3]
    assert lists.lists[LIST] == {}
    importer, lists, _ = setup(b"name,number\n\n")
    with pytest.raises(InvalidCsv, match="the file has no contact rows"):
        await importer.run(ACCOUNT, ListKind.CONTACTS, LIST, "c.csv")
    assert lists.lists[LIST] == {}


async def test_a_missing_file_and_a_failing_finish_leave_nothing() -> None:
    importer, lists, _ = setup(f"a,{us(1)}\n".encode())
    with pytest.raises(NotFound):
        await importer.run(ACCOUNT, ListKind.CONTACTS, LIST, "other.csv")

    async def finish(conn: Conn, report: ImportReport) -> None:
        assert report.imported == 1 and lists.lists[LIST] == {}  # not committed yet
        raise RuntimeError("the job's claim is gone")

    with pytest.raises(RuntimeError):
        await importer.run(ACCOUNT, ListKind.CONTACTS, LIST, "c.csv", finish=finish)
    assert lists.lists[LIST] == {}


async def test_dnd_files() -> None:
    importer, lists, _ = setup(f"{us(1)}\n{us(2)}\n{us(1)}\n".encode())
    report = await importer.run(ACCOUNT, ListKind.DND, "DN0123456789", "c.csv")
    assert (report.imported, report.duplicates) == (2, 1)
    assert list(lists.lists["DN0123456789"]) == [us(1), us(2)]


async def test_worker_processes_give_the_same_answer() -> None:
    data = ("\n".join(f"n{i},{us(i)}" for i in range(30)) + "\nbad,1\n").encode()
    files = MemoryFiles(chunk=64)
    files.files[ACCOUNT, "c.csv"] = data
    validator = BatchValidator(1)
    try:
        report = await CsvImporter(MemoryLists(), files, validator, region="US",
                                   batch_rows=7).run(ACCOUNT, ListKind.CONTACTS, LIST, "c.csv")
    finally:
        validator.close()
    assert (report.rows, report.imported, report.rejected) == (31, 30, 1)
