"""CSV import jobs: rows, claims with a lease, progress, and the ``import_jobs`` channel."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.contacts.model import ListKind, RowError
from engine.domain.contacts.report import ImportReport, errors_from_json, errors_to_json
from engine.store.db import Conn, Database

CHANNEL = "import_jobs"


@dataclass(frozen=True)
class ImportJobRow:
    job_id: str
    account_id: str
    kind: ListKind
    target_id: str
    file_name: str
    status: str  # queued, running, done, failed
    bytes_total: int
    bytes_read: int
    rows_read: int
    imported: int
    duplicates: int
    rejected: int
    errors: tuple[RowError, ...]
    failure: str  # "<code>: <message>" when failed
    claimed_by: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> ImportJobRow:
        errors = row["errors"]
        return cls(
            job_id=row["job_id"], account_id=row["account_id"],
            kind=ListKind(row["target_kind"]), target_id=row["target_id"],
            file_name=row["file_name"], status=row["status"],
            bytes_total=row["bytes_total"], bytes_read=row["bytes_read"],
            rows_read=row["rows_read"], imported=row["imported"],
            duplicates=row["duplicates"], rejected=row["rejected"],
            errors=errors_from_json(json.loads(errors) if isinstance(errors, str) else errors),
            failure=row["failure"], claimed_by=row["claimed_by"],
            created_at=row["created_at"], finished_at=row["finished_at"])

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def failure_code(self) -> str:
        return self.failure.split(": ", 1)[0] if self.failure else ""

    @property
    def failure_message(self) -> str:
        return self.failure.split(": ", 1)[-1] if self.failure else ""

    def report(self) -> ImportReport:
        return ImportReport(self.rows_read, self.imported, self.duplicates, self.rejected,
                            self.errors)


class ImportJobRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def insert(self, job_id: str, account_id: str, kind: ListKind, target_id: str, *,
                     file_name: str, bytes_total: int) -> ImportJobRow | None:
        """A queued job (``NOTIFY import_jobs`` on commit); None if the id is taken."""
        async with self._db.connection() as conn, conn.transaction():
            row = await conn.fetchrow(self._q["insert_import_job"], job_id, account_id,
                                      kind.value, target_id, file_name, bytes_total)
            if row is not None:
                await conn.execute(self._q["notify_import_jobs"], job_id)
        return None if row is None else ImportJobRow.from_row(row)

    async def get(self, account_id: str, job_id: str) -> ImportJobRow | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["get_import_job"], job_id, account_id)
        return None if row is None else ImportJobRow.from_row(row)

    async def claim(self, worker: str, lease_seconds: float, limit: int) -> list[ImportJobRow]:
        """Mark up to ``limit`` waiting jobs running for ``worker`` (committed on return)."""
        async with self._db.connection() as conn, conn.transaction():
            rows = await conn.fetch(self._q["claim_import_jobs"], worker, float(lease_seconds),
                                    limit)
        return [ImportJobRow.from_row(r) for r in rows]

    async def seconds_to_lease_expiry(self, lease_seconds: float) -> float | None:
        async with self._db.connection() as conn:
            value = await conn.fetchval(self._q["seconds_to_import_lease_expiry"],
                                        float(lease_seconds))
        return None if value is None else float(value)

    async def renew(self, job_id: str, worker: str, bytes_read: int, rows_read: int) -> bool:
        """Extend the lease and record progress; False once the claim is lost."""
        async with self._db.connection() as conn:
            done = await conn.fetchval(self._q["renew_import_job"], job_id, worker, bytes_read,
                                       rows_read)
        return done is not None

    async def finish(self, conn: Conn, job_id: str, worker: str, bytes_read: int,
                     report: ImportReport) -> bool:
        """Mark the job done on ``conn``, the import's own transaction."""
        done = await conn.fetchval(
            self._q["finish_import_job"], job_id, worker, bytes_read, report.rows,
            report.imported, report.duplicates, report.rejected,
            json.dumps(errors_to_json(report.errors)))
        return done is not None

    async def fail(self, job_id: str, worker: str, failure: str, *, bytes_read: int,
                   rows_read: int, rejected: int, errors: tuple[RowError, ...]) -> bool:
        async with self._db.connection() as conn:
            done = await conn.fetchval(self._q["fail_import_job"], job_id, worker, failure,
                                       bytes_read, rows_read, rejected,
                                       json.dumps(errors_to_json(errors)))
        return done is not None

    async def release(self, job_id: str, worker: str) -> bool:
        async with self._db.connection() as conn:
            done = await conn.fetchval(self._q["release_import_job"], job_id, worker)
        return done is not None

    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]:
        """``wake()`` on every ``NOTIFY import_jobs`` while open (see ``Database.listen``)."""
        return self._db.listen(CHANNEL, wake)
