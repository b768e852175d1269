"""The import job runner on a fake store: claims, outcomes recorded once, the lease renewed
and a lost claim stopping the import, jobs handed back on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from engine.domain.contacts.model import InvalidCsv, ListKind, RowError
from engine.domain.contacts.report import ImportReport
from engine.domain.errors import NotFound, Unavailable
from engine.services.csv_import import FinishHook, Progress
from engine.services.imports import ImportJobRunner, failure_error
from engine.store.db import Conn
from engine.store.imports import ImportJobRow

REPORT = ImportReport(rows=3, imported=2, duplicates=1, rejected=0)


def job(job_id: str = "IJ0000000001", kind: ListKind = ListKind.CONTACTS,
        status: str = "queued", failure: str = "") -> ImportJobRow:
    return ImportJobRow(job_id, "account_1", kind, "LS0123456789", "c.csv", status, 100, 0,
                        0, 0, 0, 0, (RowError(2, "contact_number", "bad"),), failure, None,
                        datetime.now(UTC), None)


class FakeJobs:
    def __init__(self, *jobs: ImportJobRow, renew_ok: bool = True) -> None:
        self.queue = list(jobs)
        self.renew_ok = renew_ok
        self.limits: list[int] = []
        self.renewed = 0
        self.finished: list[tuple[str, ImportReport]] = []
        self.failed: list[tuple[str, str, int, tuple[RowError, ...]]] = []
        self.released: list[str] = []

    async def claim(self, worker: str, lease_seconds: float,
                    limit: int) -> list[ImportJobRow]:
        self.limits.append(limit)
        claimed, self.queue = self.queue[:limit], self.queue[limit:]
        return claimed

    async def seconds_to_lease_expiry(self, lease_seconds: float) -> float | None:
        return None

    async def renew(self, job_id: str, worker: str, bytes_read: int, rows_read: int) -> bool:
        self.renewed += 1
        return self.renew_ok

    async def finish(self, conn: Conn, job_id: str, worker: str, bytes_read: int,
                     report: ImportReport) -> bool:
        self.finished.append((job_id, report))
        return True

    async def fail(self, job_id: str, worker: str, failure: str, *, bytes_read: int,
                   rows_read: int, rejected: int, errors: tuple[RowError, ...]) -> bool:
        self.failed.append((job_id, failure, rejected, errors))
        return True

    async def release(self, job_id: str, worker: str) -> bool:
        self.released.append(job_id)
        return True

    @asynccontextmanager
    async def listen(self, wake: Callable[[], None]) -> AsyncIterator[Callable[[], bool]]:
        yield lambda: True


class FakeImporter:
    """Runs ``behaviour`` for each job: returns its report through ``finish``, or raises."""

    def __init__(self, behaviour: Callable[[], Awaitable[ImportReport]]) -> None:
        self.behaviour = behaviour
        self.started: list[str] = []

    async def run(self, account_id: str, kind: ListKind, list_id: str, file_name: str, *,
                  progress: Progress | None = None,
                  finish: FinishHook | None = None) -> ImportReport:
        self.started.append(file_name)
        report = await self.behaviour()
        if finish is not None:
            await finish(cast(Conn, cast(Any, "conn")), report)
        return report


async def running(runner: ImportJobRunner, until: Callable[[], bool]) -> asyncio.Task[None]:
    task = asyncio.create_task(runner.run())
    for _ in range(200):
        if until():
            break
        await asyncio.sleep(0.01)
    assert until(), "the runner never got there"
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_job_is_done_through_the_imports_own_finish() -> None:
    async def ok() -> ImportReport:
        return REPORT

    jobs = FakeJobs(job("IJ0000000001"), job("IJ0000000002"), job("IJ0000000003"))
    stopped: list[bool] = []
    runner = ImportJobRunner(jobs, FakeImporter(ok), max_running=2,
                             on_stop=lambda: stopped.append(True))
    task = await running(runner, lambda: len(jobs.finished) == 3)
    await stop(task)
    assert [j for j, _ in jobs.finished] == ["IJ0000000001", "IJ0000000002", "IJ0000000003"]
    assert jobs.limits[0] == 2 and all(limit <= 2 for limit in jobs.limits)
    assert jobs.failed == [] and jobs.released == [] and stopped == [True]


@pytest.mark.parametrize(("error", "failure", "rejected"), [
    (InvalidCsv("the file holds binary data", (RowError(2, "x", "y"),), rejected=5),
     "invalid_csv: the file holds binary data", 5),
    (NotFound("file not found"), "csv_not_found: the file 'c.csv' is no longer among the "
     "account's files", 0),
    (RuntimeError("bug"), "import_failed: internal error", 0),
])
async def test_failures_are_recorded_with_a_code(error: Exception, failure: str,
                                                 rejected: int) -> None:
    async def fails() -> ImportReport:
        raise error

    jobs = FakeJobs(job())
    task = await running(ImportJobRunner(jobs, FakeImporter(fails)), lambda: bool(jobs.failed))
    await stop(task)
    assert [(j, f, r) for j, f, r, _ in jobs.failed] == [("IJ0000000001", failure, rejected)]
    assert jobs.finished == []


async def test_an_outage_leaves_the_job_to_its_lease() -> None:
    importer_called = asyncio.Event()

    async def outage() -> ImportReport:
        importer_called.set()
        raise Unavailable("database is not available")

    jobs = FakeJobs(job())
    task = await running(ImportJobRunner(jobs, FakeImporter(outage)), importer_called.is_set)
    await asyncio.sleep(0.05)
    await stop(task)
    assert jobs.failed == [] and jobs.finished == []


async def test_a_lost_claim_stops_the_import() -> None:
    async def forever() -> ImportReport:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    jobs = FakeJobs(job(), renew_ok=False)
    runner = ImportJobRunner(jobs, FakeImporter(forever), renew_seconds=0.01)
    task = await running(runner, lambda: jobs.renewed > 0 and not runner._running)
    await stop(task)
    assert jobs.finished == [] and jobs.failed == [] and jobs.released == []


async def test_shutdown_hands_running_jobs_back() -> None:
    async def forever() -> ImportReport:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    jobs = FakeJobs(job(), job("IJ0000000002"))
    importer = FakeImporter(forever)
    task = await running(ImportJobRunner(jobs, importer, renew_seconds=0.01),
                         lambda: len(importer.started) == 2 and jobs.renewed >= 2)
    await stop(task)
    assert sorted(jobs.released) == ["IJ0000000001", "IJ0000000002"]
    assert jobs.finished == [] and jobs.failed == []


def test_failure_errors_name_the_file_field() -> None:
    invalid = failure_error(job(kind=ListKind.DND, status="failed",
                                failure="invalid_csv: not a CSV: binary"))
    assert (invalid.code, invalid.message) == ("invalid_csv", "not a CSV: binary")
    assert invalid.details["field"] == "dnd_csv_name"
    assert invalid.details["job_id"] == "IJ0000000001"
    assert invalid.details["errors"] == [{"row": "2", "field": "contact_number",
                                          "reason": "bad"}]
    other = failure_error(job(status="failed", failure="import_failed: internal error"))
    assert isinstance(other, Unavailable) and other.code == "import_failed"
