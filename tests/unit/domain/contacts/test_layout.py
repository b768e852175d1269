"""Header rows: detected, mapped, or refused with a reason."""

from __future__ import annotations

import pytest

from engine.domain.contacts.layout import Layout, detect_layout, positional
from engine.domain.contacts.model import InvalidCsv, ListKind

C, D = ListKind.CONTACTS, ListKind.DND


@pytest.mark.parametrize("row", [
    ["ankit", "919979271234", "Ankit"],
    ["919979271234"],
    ["name", "15168148111"],  # a person called "name": the number makes it data
    ["Full Name", "Tel"],  # nothing known: data (rejected as a row, the rest imported)
])
def test_data_rows(row: list[str]) -> None:
    assert detect_layout(C, row, "US") == positional(C)


def test_contacts_header_with_fields_and_aliases() -> None:
    layout = detect_layout(C, [" Name", "Phone", "field1", "Amount_due", "", "unique_id"], "US")
    assert layout == Layout(C, header=True, number=1, name=0, unique_id=5,
                            fields=((2, "field1"), (3, "Amount_due")), width=6)


@pytest.mark.parametrize("cell", ["contact_number", "Contact Number", "MOBILE", "phone-number",
                                  "dnd_contact_number", "msisdn"])
def test_number_header_aliases(cell: str) -> None:
    layout = detect_layout(C, [cell, "x"], "US")
    assert layout.header and layout.number == 0 and layout.fields == ((1, "x"),)


def test_dnd_header_ignores_other_columns() -> None:
    layout = detect_layout(D, ["dnd_contact_number", "note", "dnd_contact_name"], "US")
    assert layout == Layout(D, header=True, number=0, name=2, fields=(), width=3)


@pytest.mark.parametrize(("row", "message"), [
    (["name", "city"], "the header row names no number column"),
    (["number", "phone"], "the header row has two number columns ('number' and 'phone')"),
    (["number", "due amount"], "the header column 'due amount' is not a valid field name"),
    (["number", "a", "a"], "the header row names the field 'a' twice"),
    (["number", *[f"f{i}" for i in range(51)]], "the header row names 51 contact fields"),
])
def test_unusable_headers(row: list[str], message: str) -> None:
    with pytest.raises(InvalidCsv) as caught:
        detect_layout(C, row, "US")
    assert caught.value.message.startswith(message)
    assert caught.value.code == "invalid_csv"
