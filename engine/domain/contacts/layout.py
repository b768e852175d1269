"""Which column of a CSV file holds what: a header row, or the default positions.

A first row is a header when none of its cells is a phone number and at least one names a
known column (case, spaces and hyphens ignored): ``contact_name``/``name``/
``dnd_contact_name``; ``contact_number``/``number``/``phone``/``mobile``/``phone_number``/
``mobile_number``/``msisdn``/``dnd_contact_number``; ``unique_id`` (or ``uniqueId``). In a
contacts file any other header names a contact field (``field1``, ``amount``: the placeholders of an
announcement), so it must be a valid field name; a DND file ignores other columns.

Without a header the columns are ``contact_name, contact_number, field1, field2, …``
(DND: ``dnd_contact_name, dnd_contact_number``), and a row of a single cell is a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.domain.contacts.model import FIELD_KEY, MAX_FIELDS, InvalidCsv, ListKind
from engine.domain.contacts.phones import is_phone_number

NAME_HEADERS = frozenset({"contact_name", "name", "dnd_contact_name"})
NUMBER_HEADERS = frozenset({"contact_number", "number", "phone", "mobile", "phone_number",
                            "mobile_number", "msisdn", "dnd_contact_number"})
UNIQUE_ID_HEADERS = frozenset({"unique_id", "uniqueid"})  # uniqueid: iSales' uniqueId
KNOWN_HEADERS = NAME_HEADERS | NUMBER_HEADERS | UNIQUE_ID_HEADERS

_SPACES = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class Layout:
    """Column positions of a file (``header`` False: the default positions)."""

    kind: ListKind
    header: bool
    number: int = 1
    name: int | None = 0
    unique_id: int | None = None
    fields: tuple[tuple[int, str], ...] = ()
    width: int = 0  # the header's number of columns


def positional(kind: ListKind) -> Layout:
    return Layout(kind, header=False)


def header_key(cell: str) -> str:
    return _SPACES.sub("_", cell.strip().lower())


def detect_layout(kind: ListKind, first_row: Sequence[str], region: str) -> Layout:
    """The layout of a file whose first non-blank row is ``first_row``; InvalidCsv for a
    header that cannot be used (no number column, a column twice, a bad field name)."""
    keys = [header_key(cell) for cell in first_row]
    if not any(key in KNOWN_HEADERS for key in keys) or any(
        is_phone_number(cell, region) for cell in first_row
    ):
        return positional(kind)
    roles: dict[str, int] = {}
    fields: list[tuple[int, str]] = []
    for column, (cell, key) in enumerate(zip(first_row, keys, strict=True)):
        role = ("number" if key in NUMBER_HEADERS else "name" if key in NAME_HEADERS
                else "unique_id" if key in UNIQUE_ID_HEADERS else "")
        if role:
            if role in roles:
                raise InvalidCsv(f"the header row has two {role} columns "
                                 f"({first_row[roles[role]].strip()!r} and {cell.strip()!r})")
            roles[role] = column
        elif key and kind is ListKind.CONTACTS:
            fields.append((column, _field_name(cell.strip(), fields)))
    if "number" not in roles:
        raise InvalidCsv("the header row names no number column (contact_number, number, "
                         "phone or mobile)")
    if len(fields) > MAX_FIELDS:
        raise InvalidCsv(f"the header row names {len(fields)} contact fields; at most "
                         f"{MAX_FIELDS} are allowed")
    return Layout(kind, header=True, number=roles["number"], name=roles.get("name"),
                  unique_id=roles.get("unique_id") if kind is ListKind.CONTACTS else None,
                  fields=tuple(fields), width=len(first_row))


def _field_name(name: str, seen: Sequence[tuple[int, str]]) -> str:
    if not FIELD_KEY.fullmatch(name):
        raise InvalidCsv(f"the header column {name[:64]!r} is not a valid field name "
                         "(letters, digits and _, at most 64, not starting with a digit)")
    if any(name == other for _, other in seen):
        raise InvalidCsv(f"the header row names the field {name!r} twice")
    return name
