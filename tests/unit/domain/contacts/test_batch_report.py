"""Batches (what the worker processes run) and the report an import gives."""

from __future__ import annotations

import pickle

from engine.domain.contacts.batch import validate_items, validate_rows
from engine.domain.contacts.layout import positional
from engine.domain.contacts.model import ContactRecord, DndRecord, ListKind, RowError
from engine.domain.contacts.report import (
    ImportReport,
    Tally,
    errors_from_json,
    errors_to_json,
    imported_message,
    report_view,
)


def test_rows_in_a_batch_keep_their_order_and_line_numbers() -> None:
    rows = [(2, ["a", "15168148111"]), (3, ["b", "nope"]), (5, ["c", "15168148112"])]
    result = validate_rows(positional(ListKind.CONTACTS), "US", rows)
    assert [ContactRecord(*r).row for r in result.records] == [2, 5]
    assert all(type(r) is tuple for r in result.records)  # plain: they pickle fast
    assert (result.rows, result.rejected) == (3, 1)
    assert result.errors == [RowError(3, "contact_number",
                                      "contact_number must be a phone number with country code")]


def test_dnd_items_start_at_the_given_row() -> None:
    items = [{"dnd_contact_number": "15168148111"}, {"dnd_contact_number": ""}]
    result = validate_items(ListKind.DND, "US", 11, items)
    assert result.records == [DndRecord(11, "15168148111", "")]
    assert result.errors == [RowError(12, "dnd_contact_number", "dnd_contact_number is required")]


def test_a_batch_reports_ten_errors_but_counts_all() -> None:
    result = validate_items(ListKind.CONTACTS, "US", 1, [{}] * 25)
    assert result.rejected == 25 and len(result.errors) == 10
    assert [e.row for e in result.errors] == list(range(1, 11))


def test_results_cross_process_boundaries() -> None:
    result = validate_rows(positional(ListKind.CONTACTS), "US", [(1, ["a", "15168148111"])])
    assert pickle.loads(pickle.dumps(result)) == result


def test_tally_and_report() -> None:
    tally = Tally()
    tally.add(validate_items(ListKind.CONTACTS, "US", 1, [{}] * 8 + [
        {"contact_number": "15168148111"}] * 3))
    tally.add(validate_items(ListKind.CONTACTS, "US", 12, [{}] * 5))
    tally.imported = 1
    report = tally.report()
    assert report == ImportReport(rows=16, imported=1, duplicates=2, rejected=13,
                                  errors=report.errors)
    assert [e.row for e in report.errors] == [1, 2, 3, 4, 5, 6, 7, 8, 12, 13]
    view = report_view(report)
    assert view["imported"] == "1" and view["duplicates"] == "2" and view["rejected"] == "13"
    assert view["errors"][0] == {"row": "1", "field": "contact_number",
                                 "reason": "contact_number is required"}
    assert errors_from_json(errors_to_json(report.errors)) == report.errors
    assert errors_from_json("junk") == ()


def test_the_seeds_messages() -> None:
    assert imported_message(ListKind.CONTACTS, 2) == "(2) contacts imported successfully"
    assert imported_message(ListKind.DND, 2) == "(2) DND contacts imported successfully"
