"""What an import reports: the seed's message, counts, and the first rejected rows.

``imported`` rows were added; ``duplicates`` were valid but their number was already in
the list (or earlier in the same request or file: the first occurrence wins);
``rejected`` rows were invalid, and the first ``MAX_REPORTED_ERRORS`` say why.
Every value is a string in API answers, as everywhere in the seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.domain.contacts.model import ListKind, RowError

if TYPE_CHECKING:
    from engine.domain.contacts.batch import BatchResult

MAX_REPORTED_ERRORS = 10


@dataclass(frozen=True)
class ImportReport:
    rows: int
    imported: int
    duplicates: int
    rejected: int
    errors: tuple[RowError, ...] = ()


@dataclass
class Tally:
    """Counts an import as its batches are validated and written."""

    rows: int = 0
    staged: int = 0
    imported: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, batch: BatchResult) -> None:
        self.rows += batch.rows
        self.staged += len(batch.records)
        self.rejected += batch.rejected
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(batch.errors[:room])

    def report(self) -> ImportReport:
        return ImportReport(self.rows, self.imported, self.staged - self.imported,
                            self.rejected, tuple(self.errors))


def imported_message(kind: ListKind, imported: int) -> str:
    """The seed's message: ``(2) contacts imported successfully``."""
    what = "DND contacts" if kind is ListKind.DND else "contacts"
    return f"({imported}) {what} imported successfully"


def error_view(error: RowError) -> dict[str, str]:
    return {"row": str(error.row), "field": error.field, "reason": error.reason}


def report_view(report: ImportReport) -> dict[str, Any]:
    """The counts and errors beside the seed's message (all strings)."""
    return {
        "imported": str(report.imported),
        "duplicates": str(report.duplicates),
        "rejected": str(report.rejected),
        "errors": [error_view(e) for e in report.errors],
    }


def errors_to_json(errors: Iterable[RowError]) -> list[dict[str, Any]]:
    """For ``import_jobs.errors`` (jsonb): row numbers stay numbers there."""
    return [{"row": e.row, "field": e.field, "reason": e.reason} for e in errors]


def errors_from_json(data: object) -> tuple[RowError, ...]:
    if not isinstance(data, list):
        return ()
    return tuple(RowError(int(item.get("row", 0)), str(item.get("field", "")),
                          str(item.get("reason", "")))
                 for item in data if isinstance(item, Mapping))
