"""The webhook dispatcher's decisions against a real loopback server and an in-memory store
(the claims themselves are proven on PostgreSQL in tests/integration/test_webhooks_store.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from plivo.utils.signature_v3 import validate_v3_signature

from engine.calls.notify import NotifyExecutor
from engine.domain.commands import Notify
from engine.store.webhooks import AttemptOutcome, WebhookDelivery
from engine.webhooks.addresses import AddressPolicy
from engine.webhooks.dispatcher import WebhookDispatcher, retry_delay
from engine.webhooks.guard import GuardedHttp, UrlPolicy

TOKEN = "tok-123"


class MemoryDeliveries:
    """Enough of WebhookRepository: rows, claims and settles, in memory."""

    def __init__(self) -> None:
        self.rows: dict[int, WebhookDelivery] = {}
        self.log: list[tuple[int, int, int | None, str, str, float]] = []

    async def enqueue(self, callback: Notify) -> int:
        now = datetime.now(UTC)
        delivery_id = len(self.rows) + 1
        self.rows[delivery_id] = WebhookDelivery(
            delivery_id, callback.account_id, callback.request_id, callback.kind, callback.url,
            callback.method, dict(callback.params), "pending", 0, now, None, "", now, now, None)
        return delivery_id

    async def claim_due(self, worker: str, lease_seconds: float,
                        limit: int) -> list[WebhookDelivery]:
        due = [r for r in self.rows.values() if r.state == "pending"][:limit]
        for row in due:
            self.rows[row.delivery_id] = replace(row, state="delivering",
                                                 attempts=row.attempts + 1)
        return [self.rows[r.delivery_id] for r in due]

    async def settle(self, delivery: WebhookDelivery, worker: str,
                     outcome: AttemptOutcome) -> bool:
        self.log.append((delivery.delivery_id, delivery.attempts, outcome.status,
                         outcome.error, outcome.state, outcome.retry_seconds))
        self.rows[delivery.delivery_id] = replace(delivery, state=outcome.state,
                                                  last_status=outcome.status,
                                                  last_error=outcome.error)
        return True

    async def seconds_to_next_due(self) -> float | None:
        return None

    @asynccontextmanager
    async def listen(self, wake: Callable[[], None]) -> AsyncIterator[Callable[[], bool]]:
        yield lambda: True


class App:
    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[tuple[str, dict[str, str], dict[str, str]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.method == "POST" else dict(request.query)
        self.received.append((request.method, {k: str(v) for k, v in form.items()},
                              dict(request.headers)))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)


@pytest.fixture
async def app() -> AsyncIterator[tuple[App, TestServer]]:
    application = App()
    web_app = web.Application()
    web_app.router.add_route("*", "/hook", application.handle)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        yield application, server
    finally:
        await server.close()


async def token_of(account_id: str) -> str | None:
    return TOKEN


async def drain(dispatcher: WebhookDispatcher, store: MemoryDeliveries) -> None:
    """Deliver until nothing is pending (retries are immediate in this store)."""
    while await dispatcher.deliver_due():
        await dispatcher.idle()
    await dispatcher.idle()


async def dispatch(store: MemoryDeliveries, *, loopback: bool = True,
                   max_attempts: int = 3) -> None:
    http = GuardedHttp(UrlPolicy(AddressPolicy(allow_loopback=loopback), timeout_seconds=2))
    try:
        dispatcher = WebhookDispatcher(store, http, token_of, max_attempts=max_attempts,
                                       worker_id="w1")
        await drain(dispatcher, store)
    finally:
        await http.close()


N = Notify


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [retry_delay(n, 2.0, 30.0) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


async def test_a_callback_is_delivered_signed(app: tuple[App, TestServer]) -> None:
    application, server = app
    store = MemoryDeliveries()
    url = str(server.make_url("/hook"))
    params = {"CallUUID": "u1", "CallStatus": "completed", "HangupCause": "NORMAL_CLEARING"}
    await store.enqueue(N("acct", "u1", "hangup", url, "POST", params))
    await store.enqueue(N("acct", "u1", "ring", url, "GET", {"CallUUID": "u1"}))
    await dispatch(store)
    assert sorted((m, p) for m, p, _h in application.received) == [
        ("GET", {"CallUUID": "u1"}), ("POST", params)]
    for method, form, headers in application.received:
        assert validate_v3_signature(method, url, headers["X-Plivo-Signature-V3-Nonce"], TOKEN,
                                     headers["X-Plivo-Signature-V3"], form)
    assert sorted((d, a, s, st) for d, a, s, _e, st, _r in store.log) == [
        (1, 1, 200, "delivered"), (2, 1, 200, "delivered")]


async def test_failures_are_retried_with_backoff_then_given_up(
        app: tuple[App, TestServer]) -> None:
    application, server = app
    application.statuses = [500, 503, 200]
    store = MemoryDeliveries()
    await store.enqueue(N("acct", "u1", "hangup", str(server.make_url("/hook")), "POST", {}))
    await dispatch(store)
    assert [(a, s, e, st, r) for _d, a, s, e, st, r in store.log] == [
        (1, 500, "HTTP 500", "pending", 2.0), (2, 503, "HTTP 503", "pending", 4.0),
        (3, 200, "", "delivered", 0.0)]
    application.statuses = [500] * 5
    store = MemoryDeliveries()
    await store.enqueue(N("acct", "u1", "hangup", str(server.make_url("/hook")), "POST", {}))
    await dispatch(store, max_attempts=2)
    assert [(a, st) for _d, a, _s, _e, st, _r in store.log] == [(1, "pending"), (2, "failed")]


async def test_refused_urls_fail_at_once_and_dead_servers_are_retried() -> None:
    store = MemoryDeliveries()
    await store.enqueue(N("acct", "u1", "ring", "http://169.254.169.254/x", "POST", {}))
    await store.enqueue(N("acct", "u1", "ring", "file:///etc/passwd", "POST", {}))
    await store.enqueue(N("acct", "u1", "ring", "http://127.0.0.1:1/x", "POST", {}))
    await dispatch(store, max_attempts=2)
    outcome = [(d, a, st) for d, a, _s, _e, st, _r in store.log]
    assert (1, 1, "failed") in outcome and (2, 1, "failed") in outcome
    assert [(a, st) for d, a, _s, _e, st, _r in store.log if d == 3] == [
        (1, "pending"), (2, "failed")]
    assert "metadata" in store.rows[1].last_error
    assert "cannot connect" in store.rows[3].last_error


class StuckQueue:
    """A database that never answers, then one that refuses, then one that works."""

    def __init__(self) -> None:
        self.mode = "hang"
        self.stored: list[tuple[str, str]] = []

    async def enqueue(self, callback: Notify) -> int:
        if self.mode == "hang":
            await asyncio.sleep(3600)
        if self.mode == "down":
            raise OSError("database is down")
        self.stored.append((callback.kind, callback.method))
        return len(self.stored)


async def test_notify_never_wedges_the_call_worker() -> None:
    queue = StuckQueue()
    woken: list[int] = []
    executor = NotifyExecutor(queue, lambda: woken.append(1), record_seconds=0.05)
    command = Notify("acct", "u1", "ring", "http://app/hook", "post", {"a": "1"})
    await asyncio.wait_for(executor.notify("u1", command), 1.0)  # returns although stuck
    queue.mode = "down"
    await asyncio.wait_for(executor.notify("u1", replace(command, kind="hangup")), 1.0)
    assert executor.backlog == 1  # the hung insert is still going on
    queue.mode = "ok"
    for _ in range(200):
        if executor.backlog == 0:
            break
        await asyncio.sleep(0.05)
    assert queue.stored == [("hangup", "post")] and woken == [1]
    await executor.notify("u1", replace(command, kind="answer", url=""))  # no URL: nothing
    await executor.close()
