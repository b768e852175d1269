"""What a contact list holds, and the limits every way in (JSON or CSV) shares."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from engine.domain.errors import InvalidField, Rejected

MAX_LIST_NAME_CHARS = 128
MAX_NAME_CHARS = 200
MAX_UNIQUE_ID_CHARS = 128
MAX_FIELDS = 50
MAX_FIELD_VALUE_CHARS = 1000
MAX_CONTACTS_PER_REQUEST = 10_000
FIELD_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# C0 controls and DEL: names and ids end up in CDRs, logs and dial-time templates.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

INVALID_CSV = "invalid_csv"


class ListKind(StrEnum):
    """What a list holds; the values are ``import_jobs.target_kind``'s."""

    CONTACTS = "contacts"
    DND = "dnd"


class ContactRecord(NamedTuple):
    """One valid contact, in the staging table's column order (``COPY`` takes it as is)."""

    row: int
    number: str
    name: str
    fields: str  # a JSON object of strings
    zones: list[str]
    unique_id: str | None


class DndRecord(NamedTuple):
    row: int
    number: str
    name: str


class RowError(NamedTuple):
    """Why row ``row`` (1-based: the array index or the file's line) was rejected."""

    row: int
    field: str
    reason: str


class InvalidCsv(Rejected):
    """The file is not a CSV of contacts at all: nothing of it is imported."""

    code = INVALID_CSV

    def __init__(self, message: str, errors: tuple[RowError, ...] = (),
                 rejected: int = 0) -> None:
        super().__init__(message, code=INVALID_CSV)
        self.errors = errors
        self.rejected = rejected


def validate_list_name(value: str, field: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidField(field, f"{field} must not be empty")
    if len(name) > MAX_LIST_NAME_CHARS:
        raise InvalidField(field, f"{field} is longer than {MAX_LIST_NAME_CHARS} characters")
    if CONTROL_CHARS.search(name):
        raise InvalidField(field, f"{field} must not contain control characters")
    return name
