"""ARI's HTTP wire conventions for paths and query strings (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

QueryValue = str | int | bool | None


def path_segment(value: str) -> str:
    """One URL path segment: ids and recording names are quoted, '/' included."""
    return quote(value, safe="")


def build_query(**params: QueryValue) -> dict[str, str]:
    """ARI query parameters: None dropped, booleans as ``true``/``false``."""
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        else:
            query[key] = str(value)
    return query


def join_list(values: Sequence[str] | str) -> str:
    """ARI's ``allowMultiple`` parameters take one comma-separated value."""
    return values if isinstance(values, str) else ",".join(values)
