"""The document fetch executor against a real in-process HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer

from engine.calls.fetch import MAX_DOCUMENT_BYTES, FetchExecutor
from engine.domain.commands import Fetch
from engine.domain.events import CallEvent, DocumentFetched, FetchFailed
from engine.domain.programs.verbs import Hangup, Verb, Wait

seen: list[dict[str, str]] = []


async def document(request: web.Request) -> web.Response:
    form = dict(await request.post()) if request.method == "POST" else dict(request.query)
    seen.append({k: str(v) for k, v in form.items()})
    return web.Response(text="wait 2", content_type="text/plain")


async def broken(request: web.Request) -> web.Response:
    return web.Response(status=500)


async def huge(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * (MAX_DOCUMENT_BYTES + 10))


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response(text="wait 1")


def parse(body: bytes, content_type: str) -> tuple[Verb, ...]:
    words = body.decode().split()
    if words[:1] != ["wait"]:
        raise ValueError("not a document")
    return (Wait(float(words[1])), Hangup())


@pytest.fixture
async def server() -> AsyncIterator[BaseTestServer]:
    app = web.Application()
    app.router.add_route("*", "/doc", document)
    app.router.add_get("/broken", broken)
    app.router.add_get("/huge", huge)
    app.router.add_get("/slow", slow)
    async with TestServer(app) as test_server:
        yield test_server


async def run(server: BaseTestServer, command: Fetch, *, parser: bool = True) -> CallEvent:
    fed: list[CallEvent] = []
    async with aiohttp.ClientSession() as http:
        executor = FetchExecutor(http, parse if parser else None,
                                 lambda rid, event: fed.append(event), timeout_seconds=0.5)
        await executor.fetch("r", command)
    (event,) = fed
    return event


async def test_a_posted_document_becomes_verbs(server: BaseTestServer) -> None:
    seen.clear()
    url = str(server.make_url("/doc"))
    event = await run(server, Fetch("r.f1", url, "POST", {"Digits": "42"}))
    assert isinstance(event, DocumentFetched)
    assert (event.fetch_id, event.verbs) == ("r.f1", (Wait(2.0), Hangup()))
    assert seen == [{"Digits": "42"}]
    event = await run(server, Fetch("r.f2", url, "GET", {"Digits": "7"}))
    assert isinstance(event, DocumentFetched) and seen[-1] == {"Digits": "7"}


@pytest.mark.parametrize(("path", "method", "reason"), [
    ("/broken", "GET", "HTTP 500"),
    ("/huge", "GET", "larger than"),
    ("/slow", "GET", "TimeoutError"),
    ("/doc", "PUT", "is not GET or POST"),
])
async def test_failures_are_reported_not_raised(
    server: BaseTestServer, path: str, method: str, reason: str,
) -> None:
    event = await run(server, Fetch("r.f1", str(server.make_url(path)), method))
    assert isinstance(event, FetchFailed) and reason in event.reason, event


async def test_bad_urls_unrunnable_documents_and_no_parser_fail(server: BaseTestServer) -> None:
    bad = await run(server, Fetch("r.f1", "file:///etc/passwd", "GET"))
    assert isinstance(bad, FetchFailed) and "http or https" in bad.reason
    unparsable = await run(server, Fetch("r.f2", str(server.make_url("/broken")) + "x", "GET"))
    assert isinstance(unparsable, FetchFailed)
    no_parser = await run(server, Fetch("r.f3", str(server.make_url("/doc")), "GET"),
                          parser=False)
    assert isinstance(no_parser, FetchFailed) and "no document parser" in no_parser.reason
