"""CSV imports into contact and DND lists, and the import jobs they run as.

A file of at most ``import_sync_max_bytes`` is answered once imported, with the seed's
message, the report and the ``job_id``; a larger one at once (HTTP 202) with
``{"message": "import queued", "job_id": …}``: follow it with ``GET /api/import_jobs/{id}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import current_account
from engine.api.body import SeedModel, ShortStr, read_model
from engine.api.envelope import ok
from engine.api.resources.contacts import ImportReportResponse, RowErrorView, report_answer
from engine.api.routes import RouteSpec
from engine.domain.cdr import http_date
from engine.domain.contacts.model import ListKind
from engine.domain.contacts.report import error_view
from engine.services.contacts import NAMES
from engine.services.imports import ImportJobService
from engine.store.imports import ImportJobRow

_FILE = "The name of a file of the account's file store (upload it with PUT /api/files/{name})"


class ImportContactsCsvRequest(SeedModel):
    list_id: ShortStr = Field(description="A list of the account (LS…)")
    csv_name: str = Field(description=_FILE)


class ImportDndCsvRequest(SeedModel):
    dnd_list_id: ShortStr = Field(description="A DND list of the account (DN…)")
    dnd_csv_name: str = Field(description=_FILE)


class ImportDoneResponse(ImportReportResponse):
    job_id: str


class ImportQueuedResponse(BaseModel):
    message: str = Field(description='"import queued" (HTTP 202)')
    job_id: str


class ImportJobView(BaseModel):
    job_id: str
    status: str = Field(description="queued, running, done or failed")
    list_id: str = Field(description="or dnd_list_id, for a DND import")
    csv_name: str = Field(description="or dnd_csv_name, for a DND import")
    bytes_total: str
    bytes_read: str
    percent: str = Field(description="bytes read of the file, 0-100")
    rows_read: str
    imported: str
    duplicates: str
    rejected: str
    errors: list[RowErrorView]
    failure: str = Field(description="why a failed job failed")
    failure_code: str = Field(description="invalid_csv, csv_not_found or import_failed")
    created_date: str
    finished_date: str = Field(description="empty until done or failed")


def job_view(job: ImportJobRow) -> dict[str, Any]:
    names = NAMES[job.kind]
    if job.status == "done":
        percent = 100
    else:
        percent = min(100, job.bytes_read * 100 // job.bytes_total) if job.bytes_total else 0
    return {
        "job_id": job.job_id, "status": job.status,
        names.list_id: job.target_id, names.csv_name: job.file_name,
        "bytes_total": str(job.bytes_total), "bytes_read": str(job.bytes_read),
        "percent": str(percent), "rows_read": str(job.rows_read),
        "imported": str(job.imported), "duplicates": str(job.duplicates),
        "rejected": str(job.rejected), "errors": [error_view(e) for e in job.errors],
        "failure": job.failure_message, "failure_code": job.failure_code,
        "created_date": http_date(job.created_at),
        "finished_date": http_date(job.finished_at) if job.finished_at else "",
    }


class ImportResources:
    def __init__(self, jobs: ImportJobService) -> None:
        self._jobs = jobs

    def routes(self) -> Sequence[RouteSpec]:
        policy = ("Valid rows are imported and invalid ones reported (the first 10 with their "
                  "line); a file that is not a CSV is a 422 invalid_csv and imports nothing. "
                  "Small files are answered when imported; larger ones at once (202) with a "
                  "job_id to follow with GET /api/import_jobs/{job_id}.")
        return (
            RouteSpec("POST", "/api/import_broadcast_contacts_csv", self.import_contacts,
                      "Import contacts from a CSV file of the account's files",
                      ImportContactsCsvRequest, ImportDoneResponse, description=policy,
                      example={"list_id": "LS608c393614",
                               "csv_name": "contacts_dynamic_announcement.csv"}),
            RouteSpec("POST", "/api/import_dnd_contacts_csv", self.import_dnd,
                      "Import DND numbers from a CSV file of the account's files",
                      ImportDndCsvRequest, ImportDoneResponse, description=policy,
                      example={"dnd_list_id": "DNd2b09f8f80",
                               "dnd_csv_name": "dnd_contacts.csv"}),
            RouteSpec("GET", "/api/import_jobs/{job_id}", self.get_job,
                      "Progress and outcome of a CSV import", response_model=ImportJobView),
        )

    async def import_contacts(self, request: web.Request) -> web.Response:
        body = await read_model(request, ImportContactsCsvRequest)
        job = await self._jobs.submit(current_account(request), ListKind.CONTACTS,
                                      body.list_id, body.csv_name)
        return _answer(job)

    async def import_dnd(self, request: web.Request) -> web.Response:
        body = await read_model(request, ImportDndCsvRequest)
        job = await self._jobs.submit(current_account(request), ListKind.DND,
                                      body.dnd_list_id, body.dnd_csv_name)
        return _answer(job)

    async def get_job(self, request: web.Request) -> web.Response:
        job = await self._jobs.get(current_account(request), request.match_info["job_id"])
        return ok({"message": "import job found", **job_view(job)})


def _answer(job: ImportJobRow) -> web.Response:
    if job.status == "done":
        return ok({**report_answer(job.kind, job.report()), "job_id": job.job_id})
    return ok({"message": "import queued", "job_id": job.job_id}, status=202)
