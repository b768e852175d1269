from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from engine.logs import JsonFormatter
from tests.unit.api.support import AUTH, Api


class _Lines(logging.Handler):
    """Formats at emit time, as the daemon's stderr handler does (context vars still set)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_lines() -> Iterator[list[dict[str, object]]]:
    logger = logging.getLogger("engine.api.access")
    handler = _Lines()
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


async def test_one_json_line_per_request(api: Api, access_lines: list[dict[str, object]]) -> None:
    ok = await api.client.post("/api/echo", json={"count": 1}, headers=AUTH)
    refused = await api.client.post("/api/echo", json={"count": 1})
    assert len(access_lines) == 2
    first, second = access_lines
    assert {key: first[key] for key in ("method", "path", "status", "account")} == {
        "method": "POST", "path": "/api/echo", "status": 200, "account": "account_1",
    }
    assert first["request_id"] == ok.headers["X-Request-Id"]
    assert isinstance(first["ms"], float)
    assert second["status"] == 401
    assert "account" not in second
    assert second["request_id"] == refused.headers["X-Request-Id"]
