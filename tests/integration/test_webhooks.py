"""Webhooks on the real stack: what an application receives from calls made with the Plivo
Call API. Callbacks are signed so Plivo's own SDK validator accepts them; a status callback
that fails is retried with backoff and every attempt shows in the call's delivery log
(``GET /v1/Account/{id}/Call/{uuid}/Webhooks/``); a dead webhook server neither blocks
nor leaks a call; an answer_url the engine must not fetch fails the call cleanly.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
from plivo.utils.signature_v3 import validate_v3_signature

from engine.ari.query import basic_auth_header
from tests.integration.helpers import ANSWER, CALLER_ID, eventually, number
from tests.integration.webhook_server import Received, WebhookServer

pytestmark = pytest.mark.integration

ACCOUNT, TOKEN = "account_1", "test-token-1"
SHORT = "<Response><Speak>Webhooks</Speak><Hangup/></Response>"
CALLS = f"/v1/Account/{ACCOUNT}/Call/"
RINGS_THEN_ANSWERS = "6001"  # carrier line 6xxx: rings for x seconds, then answers


async def send(http: aiohttp.ClientSession, method: str, path: str = "",
               body: Any = None, **query: str) -> tuple[int, Any]:
    async with http.request(method, CALLS + path, json=body, params=query,
                            headers=basic_auth_header(ACCOUNT, TOKEN)) as response:
        text = await response.text()
        return response.status, (await response.json() if text else None)


async def make_call(http: aiohttp.ClientSession, line: str = ANSWER, **params: str) -> str:
    status, body = await send(http, "POST", body={"from": CALLER_ID, "to": number(line),
                                                  **params})
    assert status == 201, body
    return str(body["request_uuid"])


def verifies(request: Received, token: str = TOKEN) -> bool:
    return bool(validate_v3_signature(
        request.method, request.url, request.headers["X-Plivo-Signature-V3-Nonce"], token,
        request.headers["X-Plivo-Signature-V3"],
        request.params if request.method == "POST" else None))


async def deliveries(http: aiohttp.ClientSession, uuid: str) -> list[dict[str, Any]]:
    status, body = await send(http, "GET", f"{uuid}/Webhooks/")
    assert status == 200, body
    assert body["call_uuid"] == uuid
    return list(body["deliveries"])


async def delivery(http: aiohttp.ClientSession, uuid: str, kind: str, *, settled: bool = True,
                   attempts: int = 1, timeout: float = 40) -> dict[str, Any]:
    """The call's ``kind`` delivery once it has ``attempts`` logged attempts (and, with
    ``settled``, is delivered or failed)."""
    async def probe() -> dict[str, Any] | None:
        for row in await deliveries(http, uuid):
            if row["kind"] == kind and len(row["attempt_log"]) >= attempts and (
                    not settled or row["state"] in ("delivered", "failed")):
                return row
        return None
    return await eventually(probe, timeout=timeout, what=f"{kind} delivery of {uuid}")


async def ended(http: aiohttp.ClientSession, uuid: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        status, body = await send(http, "GET", f"{uuid}/")
        return body if status == 200 and "call_direction" in body else None
    return await eventually(probe, timeout=40, what=f"{uuid} to end")


async def live_uuids(http: aiohttp.ClientSession) -> list[str]:
    status, body = await send(http, "GET", status="live")
    assert status == 200, body
    return list(body["calls"])


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[str, list[int]]]:
    """A server that accepts connections and never answers; the URL and its accept count."""
    accepted: list[int] = []
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hangup", accepted
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def closed_port_url(path: str) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"  # nothing listens there: connection refused


async def test_callbacks_and_fetches_are_signed_as_plivo_signs(
        http: aiohttp.ClientSession, webhooks: WebhookServer) -> None:
    uuid = await make_call(http, RINGS_THEN_ANSWERS,
                           answer_url=webhooks.serve("/answer", SHORT),
                           ring_url=webhooks.url("/ring"), ring_method="GET",
                           hangup_url=webhooks.url("/hangup"))
    (ring,) = await webhooks.wait_for("/ring", timeout=30)
    (answer,) = await webhooks.wait_for("/answer", timeout=30)
    (hangup,) = await webhooks.wait_for("/hangup", timeout=40)
    assert (ring.method, answer.method, hangup.method) == ("GET", "POST", "POST")
    for request in (ring, answer, hangup):
        assert request.params["CallUUID"] == uuid
        assert verifies(request), request
        assert not verifies(request, "test-token-2")
        assert request.headers["X-Plivo-Signature-Ma-V3"] == \
            request.headers["X-Plivo-Signature-V3"]
    assert ring.headers["X-Plivo-Signature-V3-Nonce"] != hangup.headers[
        "X-Plivo-Signature-V3-Nonce"]
    log = {row["kind"]: row for row in [await delivery(http, uuid, "ring"),
                                        await delivery(http, uuid, "hangup")]}
    for row in log.values():
        assert (row["state"], row["attempts"], row["last_status"]) == ("delivered", 1, 200)
        assert [a["status"] for a in row["attempt_log"]] == [200]
    assert log["hangup"]["params"]["HangupCause"] == hangup.params["HangupCause"]
    assert log["ring"]["url"] == webhooks.url("/ring") and log["ring"]["method"] == "GET"


async def test_a_failing_status_callback_is_retried_with_backoff_then_delivered(
        http: aiohttp.ClientSession, webhooks: WebhookServer) -> None:
    uuid = await make_call(http, answer_url=webhooks.serve("/answer", SHORT),
                           hangup_url=webhooks.serve("/hangup", 500, 503, 200))
    sent = await webhooks.wait_for("/hangup", 3, timeout=60)
    assert {r.params["CallUUID"] for r in sent} == {uuid}
    assert all(verifies(r) for r in sent)
    row = await delivery(http, uuid, "hangup", attempts=3)
    assert (row["state"], row["attempts"], row["last_status"]) == ("delivered", 3, 200)
    log = row["attempt_log"]
    assert [(a["attempt"], a["status"], a["error"]) for a in log] == [
        (1, 500, "HTTP 500"), (2, 503, "HTTP 503"), (3, 200, "")]
    starts = [datetime.fromisoformat(a["started_at"]) for a in log]
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(starts)]
    assert gaps[0] >= 2.0 and gaps[1] >= 4.0  # the backoff's lower bounds: 2 s, then 4 s


async def test_a_dead_webhook_server_never_blocks_or_leaks_the_call(
        http: aiohttp.ClientSession, webhooks: WebhookServer,
        silent_server: tuple[str, list[int]]) -> None:
    silent_url, accepted = silent_server
    refused_url = closed_port_url("/ring")
    uuid = await make_call(http, RINGS_THEN_ANSWERS,
                           answer_url=webhooks.serve("/answer", SHORT),
                           ring_url=refused_url, hangup_url=silent_url)
    # The program runs although the ring webhook cannot be reached, and the call ends.
    (answer,) = await webhooks.wait_for("/answer", timeout=30)
    assert answer.params["CallUUID"] == uuid
    record = await ended(http, uuid)
    assert record["hangup_cause"] == "NORMAL_CLEARING", record
    assert uuid not in await live_uuids(http)
    ring = await delivery(http, uuid, "ring", settled=False)
    assert "cannot connect" in ring["attempt_log"][0]["error"]
    assert ring["attempt_log"][0]["status"] is None
    hangup = await delivery(http, uuid, "hangup", settled=False, timeout=40)
    assert accepted
    assert "no complete answer" in hangup["attempt_log"][0]["error"]
    assert hangup["state"] in ("pending", "delivering", "failed")


async def test_an_answer_url_on_a_metadata_address_fails_the_call_cleanly(
        http: aiohttp.ClientSession, webhooks: WebhookServer) -> None:
    uuid = await make_call(http, answer_url="http://169.254.169.254/latest/meta-data/",
                           hangup_url=webhooks.url("/hangup"))
    record = await ended(http, uuid)
    assert record["failure_reason"].startswith("DOCUMENT_FAILED"), record
    assert "169.254.169.254 is a cloud metadata address" in record["failure_reason"]
    (hangup,) = await webhooks.wait_for("/hangup", timeout=30)
    assert hangup.params["CallUUID"] == uuid and verifies(hangup)
    assert hangup.params["HangupCause"] == "DOCUMENT_FAILED"
    assert "cloud metadata address" in hangup.params["HangupReason"]
    assert uuid not in await live_uuids(http)


async def test_a_metadata_answer_url_goes_to_the_fallback(
        http: aiohttp.ClientSession, webhooks: WebhookServer) -> None:
    uuid = await make_call(http, answer_url="http://169.254.169.254/answer",
                           fallback_url=webhooks.serve("/fallback", SHORT),
                           hangup_url=webhooks.url("/hangup"))
    (fallback,) = await webhooks.wait_for("/fallback", timeout=30)
    assert fallback.params["CallUUID"] == uuid and verifies(fallback)
    record = await ended(http, uuid)
    assert not record["failure_reason"], record


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/answer.xml",
                                 "gopher://127.0.0.1:6379/_INFO"])
async def test_an_answer_url_that_is_not_http_is_refused(http: aiohttp.ClientSession,
                                                          url: str) -> None:
    status, body = await send(http, "POST", body={"from": CALLER_ID, "to": number(ANSWER),
                                                  "answer_url": url})
    assert status == 400, body
    assert "answer_url" in body["error"] and "http" in body["error"]
    assert "request_uuid" not in body
