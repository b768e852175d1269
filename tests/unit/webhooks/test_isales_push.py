"""The iSales push through the webhook dispatcher: a delivery with a JSON body and a
bearer_ref is posted as application/json with ``Authorization: Bearer``, without the Plivo
signature; without a token it fails at once (a real loopback server, an in-memory store)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from engine.store.webhooks import WebhookDelivery
from engine.webhooks.addresses import AddressPolicy
from engine.webhooks.dispatcher import WebhookDispatcher
from engine.webhooks.guard import GuardedHttp, UrlPolicy
from tests.unit.webhooks.test_dispatcher import MemoryDeliveries, drain, token_of

BODY = {"subCCNo": 1, "vdnId": 88, "uniqueId": "u-1", "serviceId": "CM0123456789",
        "status": "busy", "callId": "abc"}


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.content_type, json.loads(await request.read()),
                              dict(request.headers)))
        return web.json_response({"result": 0})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, TestServer]]:
    app = Receiver()
    web_app = web.Application()
    web_app.router.add_post("/push", app.handle)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        yield app, server
    finally:
        await server.close()


def push(store: MemoryDeliveries, url: str, ref: str) -> None:
    now = datetime.now(UTC)
    delivery_id = len(store.rows) + 1
    store.rows[delivery_id] = WebhookDelivery(
        delivery_id, "acct", "req-1", "isales", url, "POST", {}, "pending", 0, now, None, "",
        now, now, None, body=BODY, bearer_ref=ref)


async def run(store: MemoryDeliveries, tokens: dict[str, str]) -> None:
    async def bearer(ref: str) -> str | None:
        return tokens.get(ref)

    http = GuardedHttp(UrlPolicy(AddressPolicy(allow_loopback=True), timeout_seconds=2))
    try:
        dispatcher = WebhookDispatcher(store, http, token_of, max_attempts=3, worker_id="w1")
        dispatcher.use_bearer_tokens(bearer)
        await drain(dispatcher, store)
    finally:
        await http.close()


async def test_a_push_is_json_with_the_bearer_token(
        receiver: tuple[Receiver, TestServer]) -> None:
    app, server = receiver
    store = MemoryDeliveries()
    push(store, str(server.make_url("/push")), "CM0123456789")
    await run(store, {"CM0123456789": "secret-1"})
    ((content_type, body, headers),) = app.received
    assert content_type == "application/json" and body == BODY
    assert headers["Authorization"] == "Bearer secret-1"
    assert not any(h.startswith("X-Plivo-Signature") for h in headers)
    assert [(s, st) for _d, _a, s, _e, st, _r in store.log] == [(200, "delivered")]


async def test_a_push_without_a_token_fails_at_once(
        receiver: tuple[Receiver, TestServer]) -> None:
    app, server = receiver
    store = MemoryDeliveries()
    push(store, str(server.make_url("/push")), "CMgone")
    await run(store, {})
    assert app.received == []
    assert [(a, st) for _d, a, _s, _e, st, _r in store.log] == [(1, "failed")]
