"""Validation of one batch of rows: what the import's worker processes run.

Module-level functions of picklable arguments, so a ``ProcessPoolExecutor`` can run them;
phonenumbers costs ~20 µs a row, which must not block the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.domain.contacts.csvstream import read_block
from engine.domain.contacts.layout import Layout
from engine.domain.contacts.model import ContactRecord, DndRecord, ListKind, RowError
from engine.domain.contacts.report import MAX_REPORTED_ERRORS
from engine.domain.contacts.rows import (
    contact_from_cells,
    contact_from_item,
    dnd_from_cells,
    dnd_from_item,
)

# A ContactRecord or DndRecord as a plain tuple: batches cross process boundaries, and a
# plain tuple pickles about four times faster than a NamedTuple.
Record = tuple[Any, ...]


@dataclass(frozen=True)
class BatchResult:
    records: list[Record]  # in row order, ready for COPY
    rows: int
    rejected: int
    errors: list[RowError]  # the batch's first few rejections

    @staticmethod
    def of(rows: int, outcomes: Sequence[ContactRecord | DndRecord | RowError]
           ) -> BatchResult:
        records: list[Record] = []
        errors: list[RowError] = []
        rejected = 0
        for outcome in outcomes:
            if isinstance(outcome, RowError):
                rejected += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    errors.append(outcome)
            else:
                records.append(tuple(outcome))
        return BatchResult(records, rows, rejected, errors)


def validate_rows(layout: Layout, region: str, rows: Sequence[tuple[int, list[str]]]
                  ) -> BatchResult:
    """CSV records (``(line, cells)``) of a file of ``layout``."""
    if layout.kind is ListKind.CONTACTS:
        return BatchResult.of(len(rows), [contact_from_cells(line, cells, layout, region)
                                          for line, cells in rows])
    return BatchResult.of(len(rows), [dnd_from_cells(line, cells, layout, region)
                                      for line, cells in rows])


def validate_block(layout: Layout, region: str, delimiter: str, first_line: int,
                   block: bytes) -> BatchResult:
    """Whole, quote-free lines of a file (``CsvStream.plain_block``): read and validated
    here, so the engine's process neither parses them nor pickles their cells."""
    return validate_rows(layout, region, read_block(block, first_line, delimiter))


def validate_items(kind: ListKind, region: str, first_row: int, items: Sequence[object]
                   ) -> BatchResult:
    """Items of a JSON array; the first is row ``first_row`` (1-based)."""
    if kind is ListKind.CONTACTS:
        return BatchResult.of(len(items), [contact_from_item(first_row + i, item, region)
                                           for i, item in enumerate(items)])
    return BatchResult.of(len(items), [dnd_from_item(first_row + i, item, region)
                                       for i, item in enumerate(items)])
