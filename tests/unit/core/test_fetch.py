"""The document fetch executor against a real in-process HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from plivo.utils.signature_v3 import validate_v3_signature

from engine.calls.fetch import FetchExecutor
from engine.domain.commands import Fetch
from engine.domain.events import CallEvent, DocumentFetched, FetchFailed
from engine.domain.programs.verbs import Hangup, Verb, Wait
from engine.webhooks.addresses import AddressPolicy
from engine.webhooks.guard import GuardedHttp, UrlPolicy

MAX_BYTES = 4096
TOKEN = "account-token-1"


class Seen:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.flaky_left = 0

    def paths(self) -> list[str]:
        return [path for path, *_ in self.requests]


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, Seen]]:
    seen = Seen()

    async def record(request: web.Request) -> None:
        form = dict(await request.post()) if request.method == "POST" else dict(request.query)
        seen.requests.append((request.path, request.method, {k: str(v) for k, v in form.items()},
                              dict(request.headers)))

    async def document(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(text="wait 2", content_type="text/plain")

    async def broken(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=500)

    async def flaky(request: web.Request) -> web.Response:
        await record(request)
        if seen.flaky_left > 0:
            seen.flaky_left -= 1
            return web.Response(status=503)
        return web.Response(text="wait 3")

    async def nonsense(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(text="<Response><Nope/></Response>")

    async def huge(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(body=b"x" * (MAX_BYTES + 10))

    async def slow(request: web.Request) -> web.Response:
        await record(request)
        await asyncio.sleep(5)
        return web.Response(text="wait 1")

    app = web.Application()
    app.router.add_route("*", "/doc", document)
    app.router.add_route("*", "/broken", broken)
    app.router.add_route("*", "/flaky", flaky)
    app.router.add_route("*", "/nonsense", nonsense)
    app.router.add_get("/huge", huge)
    app.router.add_get("/slow", slow)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield test_server, seen
    finally:
        await test_server.close()


def parse(body: bytes, content_type: str) -> tuple[Verb, ...]:
    words = body.decode().split()
    if words[:1] != ["wait"]:
        raise ValueError("not a document")
    return (Wait(float(words[1])), Hangup())


async def token_of(account_id: str) -> str | None:
    return TOKEN if account_id == "acct" else None


async def run(command: Fetch, *, parser: bool = True, loopback: bool = True,
              timeout: float = 0.5) -> CallEvent:
    fed: list[CallEvent] = []
    http = GuardedHttp(UrlPolicy(AddressPolicy(allow_loopback=loopback), max_bytes=MAX_BYTES))
    try:
        executor = FetchExecutor(http, parse if parser else None,
                                 lambda rid, event: fed.append(event), tokens=token_of,
                                 timeout_seconds=timeout, retry_pauses=(0.01,))
        await executor.fetch("r", command)
    finally:
        await http.close()
    (event,) = fed
    return event


async def test_a_posted_document_becomes_verbs(server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    url = str(test_server.make_url("/doc"))
    event = await run(Fetch("r.f1", url, "POST", {"Digits": "42"}))
    assert isinstance(event, DocumentFetched)
    assert (event.fetch_id, event.verbs) == ("r.f1", (Wait(2.0), Hangup()))
    assert [r[2] for r in seen.requests] == [{"Digits": "42"}]
    event = await run(Fetch("r.f2", url, "GET", {"Digits": "7"}))
    assert isinstance(event, DocumentFetched) and seen.requests[-1][2] == {"Digits": "7"}


async def test_fetches_are_signed_with_the_account_token(
        server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    url = str(test_server.make_url("/doc"))
    params = {"CallUUID": "u-1", "CallStatus": "in-progress"}
    for method in ("POST", "GET"):
        event = await run(Fetch("r.f1", url, method, params, account_id="acct"))
        assert isinstance(event, DocumentFetched)
        _path, got_method, form, headers = seen.requests[-1]
        assert got_method == method and form == params
        nonce = headers["X-Plivo-Signature-V3-Nonce"]
        assert validate_v3_signature(method, url, nonce, TOKEN,
                                     headers["X-Plivo-Signature-V3"], form)
        assert not validate_v3_signature(method, url, nonce, "other-token",
                                         headers["X-Plivo-Signature-V3"], form)
    await run(Fetch("r.f1", url, "POST", params, account_id="unknown"))
    assert "X-Plivo-Signature-V3" not in seen.requests[-1][3]


@pytest.mark.parametrize(("path", "method", "reason"), [
    ("/broken", "GET", "HTTP 500"),
    ("/huge", "GET", f"more than {MAX_BYTES}"),
    ("/slow", "GET", "within 0.5 s"),
    ("/nonsense", "POST", "the document cannot run: not a document"),
    ("/doc", "PUT", "is not GET or POST"),
])
async def test_failures_are_reported_not_raised(
    server: tuple[TestServer, Seen], path: str, method: str, reason: str,
) -> None:
    test_server, _ = server
    event = await run(Fetch("r.f1", str(test_server.make_url(path)), method))
    assert isinstance(event, FetchFailed) and reason in event.reason, event


async def test_unsafe_urls_unrunnable_documents_and_no_parser_fail(
        server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    bad = await run(Fetch("r.f1", "file:///etc/passwd", "GET"))
    assert isinstance(bad, FetchFailed) and "only http and https" in bad.reason
    meta = await run(Fetch("r.f1", "http://169.254.169.254/latest/meta-data/", "GET",
                           attempts=3))
    assert isinstance(meta, FetchFailed)
    assert meta.reason == "refused: 169.254.169.254 is a cloud metadata address"
    loop = await run(Fetch("r.f1", str(test_server.make_url("/doc")), "GET"), loopback=False)
    assert isinstance(loop, FetchFailed) and "loopback" in loop.reason
    assert seen.requests == []
    no_parser = await run(Fetch("r.f3", str(test_server.make_url("/doc")), "GET"),
                          parser=False)
    assert isinstance(no_parser, FetchFailed) and "no document parser" in no_parser.reason


async def test_attempts_are_retried_then_succeed(server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    seen.flaky_left = 2
    event = await run(Fetch("r.f1", str(test_server.make_url("/flaky")), "POST", {"a": "1"},
                            attempts=3))
    assert isinstance(event, DocumentFetched) and event.verbs[0] == Wait(3.0)
    assert seen.paths() == ["/flaky"] * 3


async def test_after_every_try_fails_the_fallback_is_fetched_once(
        server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    event = await run(Fetch("r.f1", str(test_server.make_url("/broken")), "POST", {"a": "1"},
                            attempts=3, fallback_url=str(test_server.make_url("/doc")),
                            fallback_method="GET"))
    assert isinstance(event, DocumentFetched) and event.verbs[0] == Wait(2.0)
    assert [(p, m) for p, m, *_ in seen.requests] == [("/broken", "POST")] * 3 + [("/doc", "GET")]
    assert seen.requests[-1][2] == {"a": "1"}


async def test_the_failure_reason_tells_every_try(server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    event = await run(Fetch("r.f1", str(test_server.make_url("/broken")), "POST",
                            attempts=3, fallback_url=str(test_server.make_url("/nonsense"))))
    assert isinstance(event, FetchFailed)
    assert event.reason == ("try 1: HTTP 500; try 2: HTTP 500; try 3: HTTP 500; "
                            "fallback_url: the document cannot run: not a document")
    assert seen.paths() == ["/broken"] * 3 + ["/nonsense"]


async def test_the_deadline_bounds_all_tries(server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    event = await run(Fetch("r.f1", str(test_server.make_url("/slow")), "GET", attempts=3,
                            deadline_seconds=0.3,
                            fallback_url=str(test_server.make_url("/broken"))), timeout=5)
    assert isinstance(event, FetchFailed)
    assert event.reason.startswith("try 1: no complete answer from http://127.0.0.1:")
    assert "try 2: no time left of 0.3 s" in event.reason
    assert event.reason.endswith("fallback_url: HTTP 500")
    assert seen.paths() == ["/slow", "/broken"]


async def test_a_refused_url_is_not_retried_but_the_fallback_is_fetched(
        server: tuple[TestServer, Seen]) -> None:
    test_server, seen = server
    event = await run(Fetch("r.f1", "http://169.254.169.254/answer", "POST", attempts=3,
                            fallback_url=str(test_server.make_url("/doc"))))
    assert isinstance(event, DocumentFetched)
    assert seen.paths() == ["/doc"]
