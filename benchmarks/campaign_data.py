"""Data of the campaign benchmarks: valid US numbers on the simulated carrier's lines, the
CSV of contacts the import benchmark reads, and fresh ids in the schema's formats."""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from pathlib import Path

# New York area codes: every exchange 201-999 of each is a valid number for phonenumbers.
AREAS = ("516", "631", "914", "845", "212", "718", "347", "646")
EXCHANGES = 799  # 201 … 999
CAPACITY = len(AREAS) * EXCHANGES * 1000  # numbers on one carrier line digit

# The carrier's line 1xxx answers at once and stays up until the far end hangs up.
ANSWER_LINE = "1"


def us_number(index: int, line: str = ANSWER_LINE) -> str:
    """The ``index``-th valid US number (E.164 digits, no "+") whose last four digits are
    ``<line>xxx``: the carrier's behaviour for it is line ``<line>000``'s."""
    if not 0 <= index < CAPACITY:
        raise ValueError(f"number index {index} out of range (0 … {CAPACITY - 1})")
    block, rest = divmod(index, 1000)
    area, exchange = divmod(block, EXCHANGES)
    return f"1{AREAS[area]}{201 + exchange}{line}{rest:03d}"


def contact_rows(count: int, first: int = 0) -> Iterator[tuple[str, str, str, str, str]]:
    """``count`` contacts: name, number, field1 … field3."""
    for n in range(first, first + count):
        yield (f"Contact {n}", us_number(n), f"city{n % 97}", f"plan-{n % 7}", str(n))


def write_contacts_csv(path: Path, count: int, *, header: bool = True) -> int:
    """Write ``count`` contacts as CSV (``name,number,field1,field2,field3``); the size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        if header:
            writer.writerow(("name", "number", "field1", "field2", "field3"))
        writer.writerows(contact_rows(count))
    return path.stat().st_size


def hex_id(prefix: str) -> str:
    """An id in the schema's ``<prefix>[0-9a-f]{10}`` form (lists, campaigns)."""
    return prefix + secrets.token_hex(5)
