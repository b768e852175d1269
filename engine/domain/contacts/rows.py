"""One row (an item of the JSON array, or a CSV record) → a valid record or why not.

Rules, the same for JSON and CSV:

* the number is validated and normalised (E.164 digits, no "+"), with its time zones;
* a name is at most 200 characters, without control characters;
* contact fields are a flat map of at most 50 string values of at most 1000 characters,
  keyed ``[A-Za-z_][A-Za-z0-9_]{0,63}`` (numbers are taken as their text);
* ``unique_id`` (optional) is at most 128 characters, without control characters.

A row's first problem is its reason; every string is stripped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from engine.domain.contacts.layout import Layout
from engine.domain.contacts.model import (
    CONTROL_CHARS,
    FIELD_KEY,
    MAX_FIELD_VALUE_CHARS,
    MAX_FIELDS,
    MAX_NAME_CHARS,
    MAX_UNIQUE_ID_CHARS,
    ContactRecord,
    DndRecord,
    RowError,
)
from engine.domain.contacts.phones import number_and_zones
from engine.domain.errors import InvalidField

CONTACT_KEYS = frozenset({"contact_name", "contact_number", "contact_fields", "unique_id"})
DND_KEYS = frozenset({"dnd_contact_name", "dnd_contact_number"})
_MAX_KEY_SHOWN = 64
# One encoder for every row: json.dumps with options builds a new one per call.
_FIELDS_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def contact_from_item(row: int, item: object, region: str) -> ContactRecord | RowError:
    """A contact of ``add_contact_to_list``'s ``contacts`` array."""
    if not isinstance(item, Mapping):
        return RowError(row, "", "a contact must be a JSON object")
    unknown = _unknown_key(item, CONTACT_KEYS)
    if unknown is not None:
        return RowError(row, unknown, f"unknown field {unknown!r}")
    try:
        raw_fields = item.get("contact_fields")
        fields = _fields(raw_fields if raw_fields is not None else {})
        return contact(row, _text(item.get("contact_name"), "contact_name"),
                       _text(item.get("contact_number"), "contact_number"), fields,
                       unique_id=_text(item.get("unique_id"), "unique_id"), region=region)
    except InvalidField as exc:
        return RowError(row, exc.field, exc.message)


def dnd_from_item(row: int, item: object, region: str) -> DndRecord | RowError:
    """A contact of ``add_dnd_contact_to_list``'s ``dnd_contacts`` array."""
    if not isinstance(item, Mapping):
        return RowError(row, "", "a DND contact must be a JSON object")
    unknown = _unknown_key(item, DND_KEYS)
    if unknown is not None:
        return RowError(row, unknown, f"unknown field {unknown!r}")
    try:
        return dnd(row, _text(item.get("dnd_contact_name"), "dnd_contact_name"),
                   _text(item.get("dnd_contact_number"), "dnd_contact_number"), region)
    except InvalidField as exc:
        return RowError(row, exc.field, exc.message)


def contact_from_cells(row: int, cells: Sequence[str], layout: Layout,
                       region: str) -> ContactRecord | RowError:
    """A CSV record of a contacts file."""
    if not layout.header:
        if len(cells) == 1:
            return contact(row, "", cells[0], {}, unique_id="", region=region)
        extra = cells[2:]
        if len(extra) > MAX_FIELDS:
            return RowError(row, "contact_fields",
                            f"a row has at most {MAX_FIELDS + 2} columns (name, number and "
                            f"{MAX_FIELDS} fields)")
        fields = {f"field{i}": value.strip() for i, value in enumerate(extra, 1)}
        return contact(row, cells[0], cells[1], fields, unique_id="", region=region)
    too_wide = _too_wide(row, cells, layout)
    if too_wide is not None:
        return too_wide
    fields = {key: _cell(cells, column).strip() for column, key in layout.fields}
    return contact(row, _cell(cells, layout.name), _cell(cells, layout.number), fields,
                   unique_id=_cell(cells, layout.unique_id), region=region)


def dnd_from_cells(row: int, cells: Sequence[str], layout: Layout,
                   region: str) -> DndRecord | RowError:
    """A CSV record of a DND file (columns other than name and number are ignored)."""
    if not layout.header:
        if len(cells) == 1:
            return dnd(row, "", cells[0], region)
        return dnd(row, cells[0], cells[1], region)
    too_wide = _too_wide(row, cells, layout)
    if too_wide is not None:
        return too_wide
    return dnd(row, _cell(cells, layout.name), _cell(cells, layout.number), region)


def contact(row: int, name: str, number: str, fields: Mapping[str, str], *, unique_id: str,
            region: str) -> ContactRecord | RowError:
    """The record of already textual values (fields checked for shape by the caller)."""
    try:
        digits, zones = number_and_zones(_required(number, "contact_number"),
                                         "contact_number", region)
        clean_name = _name(name, "contact_name")
        for key, value in fields.items():
            if len(value) > MAX_FIELD_VALUE_CHARS:
                raise InvalidField(f"contact_fields.{key}", f"contact_fields.{key} is longer "
                                   f"than {MAX_FIELD_VALUE_CHARS} characters")
            if "\x00" in value:
                raise InvalidField(f"contact_fields.{key}",
                                   f"contact_fields.{key} must not contain NUL characters")
        uid = _unique_id(unique_id)
    except InvalidField as exc:
        return RowError(row, exc.field, exc.message)
    return ContactRecord(row, digits, clean_name,
                         _FIELDS_JSON(fields),
                         list(zones), uid)


def dnd(row: int, name: str, number: str, region: str) -> DndRecord | RowError:
    try:
        digits, _ = number_and_zones(_required(number, "dnd_contact_number"),
                                     "dnd_contact_number", region)
        return DndRecord(row, digits, _name(name, "dnd_contact_name"))
    except InvalidField as exc:
        return RowError(row, exc.field, exc.message)


def _unknown_key(item: Mapping[object, object], known: frozenset[str]) -> str | None:
    for key in item:
        if key not in known:
            return str(key)[:_MAX_KEY_SHOWN]
    return None


def _text(value: object, field: str) -> str:
    """A JSON value as text: strings and numbers (the seed types everything as String)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidField(field, f"{field} must be a string")


def _fields(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidField("contact_fields", "contact_fields must be an object of strings")
    if len(value) > MAX_FIELDS:
        raise InvalidField("contact_fields", f"contact_fields has more than {MAX_FIELDS} keys")
    fields: dict[str, str] = {}
    for key, raw in value.items():
        if not isinstance(key, str) or not FIELD_KEY.fullmatch(key):
            raise InvalidField("contact_fields", f"contact_fields key {str(key)[:64]!r} is not "
                               "a valid name (letters, digits and _, at most 64, not starting "
                               "with a digit)")
        fields[key] = _text(raw, f"contact_fields.{key}").strip()
    return fields


def _required(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidField(field, f"{field} is required")
    return value


def _name(value: str, field: str) -> str:
    name = value.strip()
    if len(name) > MAX_NAME_CHARS:
        raise InvalidField(field, f"{field} is longer than {MAX_NAME_CHARS} characters")
    if CONTROL_CHARS.search(name):
        raise InvalidField(field, f"{field} must not contain control characters")
    return name


def _unique_id(value: str) -> str | None:
    uid = value.strip()
    if not uid:
        return None
    if len(uid) > MAX_UNIQUE_ID_CHARS:
        raise InvalidField("unique_id", f"unique_id is longer than {MAX_UNIQUE_ID_CHARS} "
                           "characters")
    if CONTROL_CHARS.search(uid):
        raise InvalidField("unique_id", "unique_id must not contain control characters")
    return uid


def _cell(cells: Sequence[str], column: int | None) -> str:
    return cells[column] if column is not None and column < len(cells) else ""


def _too_wide(row: int, cells: Sequence[str], layout: Layout) -> RowError | None:
    if len(cells) > layout.width and any(cell.strip() for cell in cells[layout.width:]):
        return RowError(row, "", f"the row has {len(cells)} columns; the header has "
                        f"{layout.width}")
    return None
