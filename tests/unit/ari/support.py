"""Helpers for the ARI tests: recorded fixtures, a fake ARI REST server, waiting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ari"


def fixture_names() -> list[str]:
    """Every recorded event, by file stem."""
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


def load_fixture(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    assert isinstance(data, dict)
    return data


async def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    raw_path: str
    raw_query: str
    query: dict[str, str]
    body: Any
    authorization: str | None


@dataclass
class FakeAri:
    """A catch-all ARI REST server: records requests, answers from ``replies``.

    ``replies[(method, path)] = (status, json_body)``; unlisted requests get 204.
    ``delay`` makes every answer slow (for timeout tests).
    """

    replies: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)
    delay: float = 0.0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/ari/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        text = await request.text()
        self.seen.append(SeenRequest(
            method=request.method, raw_path=request.raw_path.partition("?")[0],
            raw_query=request.raw_path.partition("?")[2],
            query=dict(request.query), body=json.loads(text) if text else None,
            authorization=request.headers.get("Authorization"),
        ))
        if self.delay:
            await asyncio.sleep(self.delay)
        status, body = self.replies.get((request.method, request.path), (204, None))
        if body is None:
            return web.Response(status=status)
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="application/json")
        return web.json_response(body, status=status)

    @property
    def last(self) -> SeenRequest:
        return self.seen[-1]
