"""Named SQL queries loaded from ``queries/*.sql`` (``-- name: NAME`` headers)."""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


class UnknownQuery(KeyError):
    """No query of that name exists."""


def parse_queries(text: str) -> dict[str, str]:
    """Split a file of ``-- name:`` blocks into {name: sql}."""
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"duplicate query name {name!r}")
        queries[name] = body.strip().rstrip(";")
    return queries


def load_queries() -> dict[str, str]:
    folder = resources.files("engine.store").joinpath("queries")
    queries: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            for name, sql in parse_queries(entry.read_text()).items():
                if name in queries:
                    raise ValueError(f"duplicate query name {name!r}")
                queries[name] = sql
    return queries


class Queries:
    """Read-only access to the named queries."""

    def __init__(self, queries: dict[str, str] | None = None) -> None:
        self._queries = load_queries() if queries is None else queries

    def __getitem__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise UnknownQuery(name) from None
