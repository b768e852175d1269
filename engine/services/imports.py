"""CSV import jobs: submitted by the API, run exactly once at a time by a runner on any
engine, waited for when the file is small.

How a job runs (and survives crashes):

1. ``submit`` checks the list and the file, and inserts a ``queued`` job (``NOTIFY
   import_jobs``). A file of at most ``sync_max_bytes`` is waited for (≤ 60 s) and answered
   with the seed's message; a larger one is answered at once with its job id (202).
2. A runner claims queued jobs with ``FOR UPDATE SKIP LOCKED`` (``running``, its worker id,
   ``claimed_at``), at most ``max_running`` at a time, and imports each one in ONE
   transaction (``CsvImporter``); the job's ``done`` is written inside that transaction, so
   the rows and the outcome commit together or not at all.
3. While it runs, the runner renews the claim every ``renew_seconds`` with the progress
   (bytes and rows read). A runner that dies stops renewing; its transaction rolls back
   with its connection, and once the lease (30 s) has passed any runner claims the job
   again and imports it from the start. A runner that finds its claim gone stops.
4. A file that is not a CSV, or is gone, fails the job (``failure`` = ``code: message``);
   an unexpected error fails it as ``import_failed``. A database outage leaves the job to
   be claimed again once the lease has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from engine.ari.backoff import Backoff
from engine.domain.accounts import Account
from engine.domain.contacts.model import INVALID_CSV, InvalidCsv, ListKind, RowError
from engine.domain.contacts.report import ImportReport
from engine.domain.errors import (
    Conflict,
    EngineError,
    InvalidField,
    NotFound,
    Unavailable,
)
from engine.domain.ids import IMPORT_JOB_ID, new_import_job_id
from engine.files.store import FileStore, StoredFile
from engine.services.callbacks import new_worker_id
from engine.services.contacts import NAMES, ContactListService
from engine.services.csv_import import FinishHook, Progress
from engine.store.db import Conn
from engine.store.imports import ImportJobRepository, ImportJobRow
from engine.store.woken import run_woken

log = logging.getLogger(__name__)

CSV_NOT_FOUND = "csv_not_found"
IMPORT_FAILED = "import_failed"
JOB_NOT_FOUND = "import_job_not_found"
WAIT_SECONDS = 60.0
_ID_ATTEMPTS = 5
_FIELD_CODES = frozenset({INVALID_CSV, CSV_NOT_FOUND, "invalid_file_name"})


def failure_error(job: ImportJobRow) -> EngineError:
    """What a synchronous import answers for a failed job: 422 naming the file's field
    (``invalid_csv``, ``csv_not_found``), else 503 ``import_failed``."""
    field = NAMES[job.kind].csv_name
    error: EngineError
    if job.failure_code in _FIELD_CODES:
        error = InvalidField(field, job.failure_message, code=job.failure_code)
    else:
        error = Unavailable(f"the import failed ({job.failure_message}); see GET "
                            f"/api/import_jobs/{job.job_id}", code=IMPORT_FAILED)
    error.details.update({"job_id": job.job_id,
                          "errors": [{"row": str(e.row), "field": e.field, "reason": e.reason}
                                     for e in job.errors]})
    return error


class ImportJobService:
    def __init__(self, jobs: ImportJobRepository, lists: ContactListService, files: FileStore,
                 *, sync_max_bytes: int, wait_seconds: float = WAIT_SECONDS,
                 new_id: Callable[[], str] = new_import_job_id) -> None:
        self._jobs = jobs
        self._lists = lists
        self._files = files
        self._sync_max = sync_max_bytes
        self._wait = wait_seconds
        self._new_id = new_id

    async def submit(self, account: Account, kind: ListKind, list_id: str,
                     file_name: str) -> ImportJobRow:
        """Queue an import of the account's file into its list; wait for a small file.

        Returns the job: ``done``, or still ``queued``/``running`` (a large file, or one
        that took longer than the wait). A failed job raises (see ``failure_error``).
        """
        target = await self._lists.require_list(account, kind, list_id)
        stored = await self._stat(account, NAMES[kind].csv_name, file_name)
        job = None
        for _ in range(_ID_ATTEMPTS):
            job = await self._jobs.insert(self._new_id(), account.account_id, kind,
                                          target.list_id, file_name=stored.name,
                                          bytes_total=stored.size)
            if job is not None:
                break
        if job is None:
            raise Conflict("could not allocate an import job id; retry",
                           code="import_job_id_conflict")
        if stored.size > self._sync_max:
            return job
        job = await self._until_finished(account, job)
        if job.status == "failed":
            raise failure_error(job)
        return job

    async def get(self, account: Account, job_id: str) -> ImportJobRow:
        job_id = job_id.strip()
        job = None
        if IMPORT_JOB_ID.fullmatch(job_id):
            job = await self._jobs.get(account.account_id, job_id)
        if job is None:
            raise NotFound("import job not found", code=JOB_NOT_FOUND)
        return job

    async def _stat(self, account: Account, field: str, file_name: str) -> StoredFile:
        try:
            stored = await self._files.stat(account.account_id, file_name)
        except InvalidField as exc:  # the file store's name rules, about this field
            raise InvalidField(field, exc.message, code=exc.code) from None
        if stored is None:
            raise InvalidField(field, f"no file named {file_name!r} among the account's files; "
                               "upload it first (PUT /api/files/{name})", code=CSV_NOT_FOUND)
        return stored

    async def _until_finished(self, account: Account, job: ImportJobRow) -> ImportJobRow:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        delay = 0.02
        while not job.finished and loop.time() < deadline:
            await asyncio.sleep(min(delay, max(deadline - loop.time(), 0.0)))
            delay = min(delay * 1.5, 0.5)
            job = await self._jobs.get(account.account_id, job.job_id) or job
        return job


class JobStore(Protocol):
    """What the runner needs from the store (``ImportJobRepository`` fits)."""

    async def claim(self, worker: str, lease_seconds: float,
                    limit: int) -> list[ImportJobRow]: ...
    async def seconds_to_lease_expiry(self, lease_seconds: float) -> float | None: ...
    async def renew(self, job_id: str, worker: str, bytes_read: int,
                    rows_read: int) -> bool: ...
    async def finish(self, conn: Conn, job_id: str, worker: str, bytes_read: int,
                     report: ImportReport) -> bool: ...
    async def fail(self, job_id: str, worker: str, failure: str, *, bytes_read: int,
                   rows_read: int, rejected: int, errors: tuple[RowError, ...]) -> bool: ...
    async def release(self, job_id: str, worker: str) -> bool: ...
    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]: ...


class Importer(Protocol):
    """``CsvImporter`` fits."""

    async def run(self, account_id: str, kind: ListKind, list_id: str, file_name: str, *,
                  progress: Progress | None = None,
                  finish: FinishHook | None = None) -> ImportReport: ...


class _ClaimLost(Exception):
    """Another runner owns the job now (this one's lease ran out)."""


class ImportJobRunner:
    """The supervised task that runs import jobs (see the module doc)."""

    def __init__(self, jobs: JobStore, importer: Importer, *,
                 worker_id: str | None = None, max_running: int = 2,
                 lease_seconds: float = 30.0, renew_seconds: float = 2.0,
                 safety_seconds: float = 30.0, backoff: Backoff | None = None,
                 on_stop: Callable[[], None] | None = None) -> None:
        self._jobs = jobs
        self._importer = importer
        self.worker_id = worker_id or new_worker_id()
        self._max_running = max_running
        self._lease = lease_seconds
        self._renew_every = renew_seconds
        self._safety = safety_seconds
        self._backoff = backoff or Backoff(0.5, 10.0)
        self._on_stop = on_stop
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Run jobs forever; on cancellation, stop the running ones and hand them back."""
        try:
            await run_woken("import jobs", self._jobs.listen, self._wake, self._backoff,
                            self._pass)
        finally:
            await self._stop_all()

    async def _pass(self) -> float:
        free = self._max_running - len(self._running)
        if free > 0:
            for job in await self._jobs.claim(self.worker_id, self._lease, free):
                self._start(job)
        until_expiry = await self._jobs.seconds_to_lease_expiry(self._lease)
        timeout = self._safety if until_expiry is None else min(until_expiry, self._safety)
        return max(timeout, 0.1)

    def _start(self, job: ImportJobRow) -> None:
        task = asyncio.create_task(self._execute(job), name=f"import job {job.job_id}")
        self._running[job.job_id] = task

        def done(_: asyncio.Task[None]) -> None:
            self._running.pop(job.job_id, None)
            self._wake.set()  # a slot is free: look for more

        task.add_done_callback(done)

    async def _execute(self, job: ImportJobRow) -> None:
        extra = {"job_id": job.job_id, "account_id": job.account_id, "file": job.file_name}
        progress = Progress()
        current = asyncio.current_task()
        assert current is not None
        renewing = asyncio.create_task(self._renew(job, progress, current))

        async def finish(conn: Conn, report: ImportReport) -> None:
            renewing.cancel()  # it must not wait on the job row this transaction locks
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if not await self._jobs.finish(conn, job.job_id, self.worker_id,
                                           progress.bytes_read, report):
                raise _ClaimLost

        log.info("import job started", extra=extra)
        try:
            report = await self._importer.run(job.account_id, job.kind, job.target_id,
                                              job.file_name, progress=progress, finish=finish)
        except InvalidCsv as exc:
            await self._fail(job, progress, f"{INVALID_CSV}: {exc.message}", exc)
        except NotFound:
            await self._fail(job, progress, f"{CSV_NOT_FOUND}: the file {job.file_name!r} is no "
                             "longer among the account's files")
        except InvalidField as exc:
            await self._fail(job, progress, f"{exc.code}: {exc.message}")
        except _ClaimLost:
            log.warning("import job taken over by another runner; its import rolled back",
                        extra=extra)
        except Unavailable as exc:
            log.warning("import job interrupted; it runs again once its lease has passed",
                        extra={**extra, "error": exc.message})
        except Exception:
            log.exception("import job failed", extra=extra)
            await self._fail(job, progress, f"{IMPORT_FAILED}: internal error")
        else:
            log.info("import job done", extra={**extra, "rows": report.rows,
                                               "imported": report.imported,
                                               "duplicates": report.duplicates,
                                               "rejected": report.rejected})
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew(self, job: ImportJobRow, progress: Progress,
                     importing: asyncio.Task[None]) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                held = await self._jobs.renew(job.job_id, self.worker_id, progress.bytes_read,
                                              progress.rows_read)
            except Unavailable:
                continue  # the import itself notices the outage
            if not held:
                log.warning("import job claim lost; stopping it", extra={"job_id": job.job_id})
                importing.cancel()
                return

    async def _fail(self, job: ImportJobRow, progress: Progress, failure: str,
                    invalid: InvalidCsv | None = None) -> None:
        errors = invalid.errors if invalid is not None else ()
        rejected = invalid.rejected if invalid is not None else 0
        log.info("import job failed", extra={"job_id": job.job_id, "failure": failure})
        try:
            await self._jobs.fail(job.job_id, self.worker_id, failure,
                                  bytes_read=progress.bytes_read, rows_read=progress.rows_read,
                                  rejected=rejected, errors=errors)
        except Unavailable:
            log.warning("could not record an import job's failure; it runs again once its "
                        "lease has passed", extra={"job_id": job.job_id})

    async def _stop_all(self) -> None:
        running = dict(self._running)
        for task in running.values():
            task.cancel()
        for task in running.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for job_id in running:
            with contextlib.suppress(Unavailable, TimeoutError):
                await asyncio.wait_for(self._jobs.release(job_id, self.worker_id), 5.0)
        if self._on_stop is not None:
            self._on_stop()
