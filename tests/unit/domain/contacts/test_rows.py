"""A row of JSON or CSV → a contact record, or the reason it is rejected."""

from __future__ import annotations

import json

import pytest

from engine.domain.contacts.layout import Layout, positional
from engine.domain.contacts.model import ContactRecord, DndRecord, ListKind, RowError
from engine.domain.contacts.rows import (
    contact_from_cells,
    contact_from_item,
    dnd_from_cells,
    dnd_from_item,
)

US = "US"


def test_the_seeds_contact_with_its_fields() -> None:
    item = {"contact_name": " ankit ", "contact_number": "919979271234",
            "contact_fields": {"field1": "Ankit", "field2": "Jayswal", "field3": 500}}
    record = contact_from_item(3, item, US)
    assert record == ContactRecord(3, "919979271234", "ankit",
                                   '{"field1":"Ankit","field2":"Jayswal","field3":"500"}',
                                   ["Asia/Calcutta"], None)


def test_number_sent_as_json_number_and_unique_id() -> None:
    record = contact_from_item(1, {"contact_number": 15168148111, "unique_id": " L-7 "}, US)
    assert isinstance(record, ContactRecord)
    assert (record.number, record.name, record.fields, record.unique_id) == (
        "15168148111", "", "{}", "L-7")


def test_non_ascii_fields_are_kept_as_text() -> None:
    record = contact_from_item(1, {"contact_number": "15168148111",
                                   "contact_fields": {"city": "Zürich"}}, US)
    assert isinstance(record, ContactRecord)
    assert json.loads(record.fields) == {"city": "Zürich"}


@pytest.mark.parametrize(("item", "field", "reason"), [
    ("15168148111", "", "a contact must be a JSON object"),
    ({"contact_number": "91997927XXXX"}, "contact_number",
     "contact_number must be a phone number with country code"),
    ({"contact_number": "99999999999"}, "contact_number",
     "contact_number is not a valid phone number"),
    ({}, "contact_number", "contact_number is required"),
    ({"contact_number": "  "}, "contact_number", "contact_number is required"),
    ({"contact_number": True}, "contact_number", "contact_number must be a string"),
    ({"contact_number": ["15168148111"]}, "contact_number", "contact_number must be a string"),
    # The seed's own curl has line-wrap damage ("co ntact_fields"): reported, not dropped.
    ({"contact_number": "15168148111", "co ntact_fields": {}}, "co ntact_fields",
     "unknown field 'co ntact_fields'"),
    ({"contact_number": "15168148111", "contact_name": "x" * 201}, "contact_name",
     "contact_name is longer than 200 characters"),
    ({"contact_number": "15168148111", "contact_name": "a\nb"}, "contact_name",
     "contact_name must not contain control characters"),
    ({"contact_number": "15168148111", "contact_fields": ["a"]}, "contact_fields",
     "contact_fields must be an object of strings"),
    ({"contact_number": "15168148111", "contact_fields": {"1st": "a"}}, "contact_fields",
     "contact_fields key '1st' is not a valid name (letters, digits and _, at most 64, not "
     "starting with a digit)"),
    ({"contact_number": "15168148111", "contact_fields": {"a" * 65: "a"}}, "contact_fields",
     None),
    ({"contact_number": "15168148111", "contact_fields": {"f": {"nested": "x"}}},
     "contact_fields.f", "contact_fields.f must be a string"),
    ({"contact_number": "15168148111", "contact_fields": {"f": "x" * 1001}},
     "contact_fields.f", "contact_fields.f is longer than 1000 characters"),
    ({"contact_number": "15168148111", "contact_fields": {"f": "a\x00b"}},
     "contact_fields.f", "contact_fields.f must not contain NUL characters"),
    ({"contact_number": "15168148111",
      "contact_fields": {f"f{i}": "" for i in range(51)}}, "contact_fields",
     "contact_fields has more than 50 keys"),
    ({"contact_number": "15168148111", "unique_id": "u" * 129}, "unique_id",
     "unique_id is longer than 128 characters"),
])
def test_rejected_items(item: object, field: str, reason: str | None) -> None:
    outcome = contact_from_item(7, item, US)
    assert isinstance(outcome, RowError)
    assert outcome.row == 7 and outcome.field == field
    if reason is not None:
        assert outcome.reason == reason


def test_fifty_fields_of_a_thousand_characters_are_fine() -> None:
    fields = {f"f{i}": "x" * 1000 for i in range(50)}
    record = contact_from_item(1, {"contact_number": "15168148111", "contact_fields": fields},
                               US)
    assert isinstance(record, ContactRecord)
    assert json.loads(record.fields) == fields


def test_dnd_items() -> None:
    assert dnd_from_item(1, {"dnd_contact_name": "abc", "dnd_contact_number": "919979271234"},
                         US) == DndRecord(1, "919979271234", "abc")
    assert dnd_from_item(2, {"dnd_contact_number": "x"}, US) == RowError(
        2, "dnd_contact_number", "dnd_contact_number must be a phone number with country code")
    assert dnd_from_item(3, {"contact_number": "15168148111"}, US) == RowError(
        3, "contact_number", "unknown field 'contact_number'")
    assert dnd_from_item(4, None, US) == RowError(4, "", "a DND contact must be a JSON object")


def test_cells_without_header() -> None:
    layout = positional(ListKind.CONTACTS)
    record = contact_from_cells(4, [" ankit ", "919979271234", "Ankit", " 500 "], layout, US)
    assert record == ContactRecord(4, "919979271234", "ankit",
                                   '{"field1":"Ankit","field2":"500"}', ["Asia/Calcutta"], None)
    single = contact_from_cells(5, ["15168148111"], layout, US)
    assert isinstance(single, ContactRecord) and single.name == "" and single.fields == "{}"
    wide = contact_from_cells(6, ["n", "15168148111", *["v"] * 51], layout, US)
    assert wide == RowError(6, "contact_fields", "a row has at most 52 columns (name, number "
                            "and 50 fields)")


def test_cells_with_a_header() -> None:
    layout = Layout(ListKind.CONTACTS, header=True, number=2, name=0, unique_id=1,
                    fields=((3, "amount"),), width=4)
    record = contact_from_cells(2, ["Ann", "id-1", "15168148111", "12"], layout, US)
    assert record == ContactRecord(2, "15168148111", "Ann", '{"amount":"12"}',
                                   ["America/New_York"], "id-1")
    short = contact_from_cells(3, ["Ann", "", "15168148111"], layout, US)
    assert isinstance(short, ContactRecord) and short.fields == '{"amount":""}'
    assert isinstance(contact_from_cells(4, ["A", "", "15168148111", "1", "", " "], layout, US),
                      ContactRecord)  # empty trailing cells are fine
    assert contact_from_cells(5, ["A", "", "15168148111", "1", "extra"], layout, US) == RowError(
        5, "", "the row has 5 columns; the header has 4")


def test_dnd_cells() -> None:
    assert dnd_from_cells(1, ["abc", "919979271234", "ignored"], positional(ListKind.DND),
                          US) == DndRecord(1, "919979271234", "abc")
    assert dnd_from_cells(2, ["919979271234"], positional(ListKind.DND), US) == DndRecord(
        2, "919979271234", "")
    layout = Layout(ListKind.DND, header=True, number=0, name=None, width=1)
    assert dnd_from_cells(3, ["15168148111"], layout, US) == DndRecord(3, "15168148111", "")
