"""Identifiers in the seed's formats."""

from __future__ import annotations

import re
import secrets

REQUEST_ID = re.compile(r"[0-9a-f]{10}")


def new_request_id() -> str:
    """10 lowercase hex characters, like the seed's "57362de4f0"."""
    return secrets.token_hex(5)


def is_request_id(value: str) -> bool:
    return bool(REQUEST_ID.fullmatch(value))
