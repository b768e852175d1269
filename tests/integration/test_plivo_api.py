"""Plivo's Call API on the real stack: calls made with ``POST /v1/Account/{id}/Call/``, their
answer_url documents served by the test's own webhook server, live-call control, and the
details of live and ended calls, as an application would see them.

Carrier lines (last four digits of the number): 1xxx answers and stays up, 3xxx rings and
never answers, 03xx answers and logs every DTMF digit it hears.
"""

from __future__ import annotations

import io
import wave
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from engine.ari.query import basic_auth_header
from engine.settings import Settings
from tests.integration.helpers import ANSWER, CALLER_ID, NOANSWER, eventually, number
from tests.integration.webhook_server import Received, WebhookServer

pytestmark = pytest.mark.integration
TOKENS = {"account_1": "test-token-1", "account_2": "test-token-2"}
DTMF_LISTENER = "0300"
HOLD = '<Response><Speak>Hello from the answer URL</Speak><Wait length="120"/></Response>'
NEXT = '<Response><Speak>Transferred</Speak><Wait length="120"/></Response>'


class Plivo:
    """An application using the Call API of one account."""

    def __init__(self, http: aiohttp.ClientSession, webhooks: WebhookServer,
                 account: str = "account_1") -> None:
        self.http = http
        self.webhooks = webhooks
        self.account = account
        self.base = f"/v1/Account/{account}/Call/"

    async def send(self, method: str, path: str = "", body: Any = None,
                   **query: str) -> tuple[int, Any]:
        headers = basic_auth_header(self.account, TOKENS[self.account])
        async with self.http.request(method, self.base + path, json=body, params=query,
                                     headers=headers) as response:
            text = await response.text()
            return response.status, (await response.json() if text else None)

    def body(self, to: str, answer: str = "/answer", **extra: str) -> dict[str, str]:
        return {"from": CALLER_ID, "to": to, "answer_url": self.webhooks.url(answer),
                "hangup_url": self.webhooks.url("/hangup"),
                "ring_url": self.webhooks.url("/ring"), **extra}

    async def make(self, to: str, answer: str = "/answer", **extra: str) -> str:
        status, answer_body = await self.send("POST", body=self.body(to, answer, **extra))
        assert status == 201, answer_body
        assert answer_body["message"] == "call fired"
        return str(answer_body["request_uuid"])

    async def details(self, uuid: str, **query: str) -> tuple[int, Any]:
        return await self.send("GET", f"{uuid}/", **query)

    async def in_progress(self, uuid: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            status, body = await self.details(uuid, status="live")
            return body if status == 200 and body["call_status"] == "in-progress" else None
        return await eventually(probe, what=f"{uuid} in progress")

    async def ended(self, uuid: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            status, body = await self.details(uuid)
            return body if status == 200 and "call_direction" in body else None
        return await eventually(probe, timeout=30, what=f"{uuid} to end")


def hangups(webhooks: WebhookServer) -> dict[str, dict[str, str]]:
    return {r.params["CallUUID"]: r.params for r in webhooks.requests_to("/hangup")}


def tone_wav() -> bytes:
    """Half a second of a 16-bit 8 kHz WAV (silence), as an application would serve."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 4000)
    return out.getvalue()


def serve_wav(received: Received) -> web.StreamResponse:
    return web.Response(body=tone_wav(), content_type="audio/wav")


@pytest.fixture
def app(http: aiohttp.ClientSession, webhooks: WebhookServer) -> Plivo:
    webhooks.serve("/answer", HOLD)
    webhooks.serve("/next", NEXT)
    webhooks.serve("/tone.wav", serve_wav)
    return Plivo(http, webhooks)


def heard_digits(settings: Settings, to: str) -> str:
    log = settings.var_dir / "asterisk" / "carrier" / "spool" / "heard" / "dtmf.log"
    if not log.exists():
        return ""
    rows = [line.split() for line in log.read_text().splitlines()]
    return "".join(row[2] for row in rows if len(row) >= 3 and row[0] == to)


async def test_a_call_runs_its_answer_url_is_controlled_live_then_hung_up(
        app: Plivo, webhooks: WebhookServer, settings: Settings) -> None:
    to = number(DTMF_LISTENER)
    uuid = await app.make(to)
    (fetched,) = await webhooks.wait_for("/answer")
    assert (fetched.params["CallUUID"], fetched.params["RequestUUID"]) == (uuid, uuid)
    assert (fetched.params["From"], fetched.params["To"]) == (CALLER_ID, to)
    assert fetched.params["Direction"] == "outbound"

    live = await app.in_progress(uuid)
    assert (live["call_uuid"], live["from"], live["to"]) == (uuid, CALLER_ID, to)
    status, listed = await app.send("GET", status="live")
    assert status == 200 and uuid in listed["calls"]

    status, spoken = await app.send("POST", f"{uuid}/Speak/", {"text": "A live message",
                                                               "voice": "WOMAN"})
    assert (status, spoken["message"]) == (202, "speak started")
    status, played = await app.send("POST", f"{uuid}/Play/",
                                    {"urls": webhooks.url("/tone.wav")})
    assert (status, played["message"]) == (202, "play started")
    status, sent = await app.send("POST", f"{uuid}/DTMF/", {"digits": "159"})
    assert (status, sent["message"]) == (202, "digits sent")
    async def heard() -> bool:
        return heard_digits(settings, to) == "159"
    await eventually(heard, timeout=20, what="the carrier to hear 159")

    status, _ = await app.send("DELETE", f"{uuid}/")
    assert status == 204
    record = await app.ended(uuid)
    assert (record["call_uuid"], record["call_direction"]) == (uuid, "outbound")
    assert (record["from_number"], record["to_number"]) == (CALLER_ID, to)
    assert (record["call_status"], record["hangup_source"]) == ("completed", "API Request")
    assert record["answer_time"] and record["end_time"] and record["initiation_time"]
    assert record["bill_duration"] >= 1
    await webhooks.wait_for("/hangup")
    assert hangups(webhooks)[uuid]["CallStatus"] == "completed"
    status, _ = await app.details(uuid, status="live")
    assert status == 404


async def test_transfer_runs_the_new_aleg_url(app: Plivo, webhooks: WebhookServer) -> None:
    uuid = await app.make(number(ANSWER))
    await webhooks.wait_for("/answer")
    await app.in_progress(uuid)
    status, moved = await app.send("POST", f"{uuid}/", {
        "legs": "aleg", "aleg_url": webhooks.url("/next"), "aleg_method": "GET"})
    assert (status, moved["message"]) == (202, "call transferred")
    (fetched,) = await webhooks.wait_for("/next")
    assert fetched.method == "GET" and fetched.params["CallUUID"] == uuid
    assert (await app.send("DELETE", f"{uuid}/"))[0] == 204
    await app.ended(uuid)


async def test_bulk_calls_fire_one_call_per_destination(app: Plivo,
                                                       webhooks: WebhookServer) -> None:
    destinations = [number(ANSWER) for _ in range(3)]
    status, body = await app.send("POST", body=app.body("<".join(destinations)))
    assert status == 201, body
    uuids = body["request_uuid"]
    assert isinstance(uuids, list) and len(set(uuids)) == 3
    fetched = await webhooks.wait_for("/answer", count=3)
    assert {r.params["CallUUID"]: r.params["To"] for r in fetched} == dict(
        zip(uuids, destinations, strict=True))
    for uuid in uuids:
        assert (await app.send("DELETE", f"{uuid}/"))[0] == 204
    for uuid in uuids:
        await app.ended(uuid)


async def test_the_seeds_exact_body_is_accepted_and_the_ringing_call_cancelled(
        app: Plivo, webhooks: WebhookServer) -> None:
    seed = {"from": "+14152225555", "to": "+1" + number(NOANSWER)[1:],
            "answer_url": "https://answer.url", "answer_method": "POST",
            "ring_url": webhooks.url("/ring"), "ring_method": "POSt",
            "hangup_url": webhooks.url("/hangup"), "hangup_method": "POST",
            "fallback_url": "https://fallback.url", "fallback_method": "POST",
            "caller_name": "friendly_name", "send_digits": "1w2W3",
            "send_on_preanswer": "true", "time_limit": "300"}
    status, body = await app.send("POST", body=seed)
    assert (status, body["message"]) == (201, "call fired"), body
    uuid = body["request_uuid"]
    (ring,) = await webhooks.wait_for("/ring")
    assert ring.method == "POST" and ring.params["CallStatus"] == "ringing"
    assert ring.params["From"] == "+14152225555"
    status, live = await app.details(uuid, status="live")
    assert (status, live["call_status"]) == (200, "ringing")
    assert (await app.send("DELETE", f"{uuid}/"))[0] == 204
    record = await app.ended(uuid)
    assert record["hangup_source"] == "API Request"
    assert record["answer_time"] is None and record["bill_duration"] == 0
    await webhooks.wait_for("/hangup")
    assert hangups(webhooks)[uuid]["HangupCause"] == "ORIGINATOR_CANCEL"


async def test_another_accounts_call_is_not_found(http: aiohttp.ClientSession,
                                                  app: Plivo, webhooks: WebhookServer) -> None:
    theirs = Plivo(http, webhooks, "account_2")
    uuid = await theirs.make(number(ANSWER))
    await webhooks.wait_for("/answer")
    for method, path, body in (("GET", f"{uuid}/", None), ("DELETE", f"{uuid}/", None),
                               ("POST", f"{uuid}/Speak/", {"text": "hi"}),
                               ("POST", f"{uuid}/", {"aleg_url": webhooks.url("/next")})):
        status, answer = await app.send(method, path, body)
        assert status == 404, answer
        assert set(answer) == {"api_id", "error"}
    status, listed = await app.send("GET", status="live")
    assert uuid not in listed["calls"]
    assert (await theirs.send("DELETE", f"{uuid}/"))[0] == 204
    await theirs.ended(uuid)


async def test_errors_in_plivos_shape(app: Plivo, http: aiohttp.ClientSession) -> None:
    status, body = await app.send("POST", body={"from": CALLER_ID, "to": "12"})
    assert status == 400 and set(body) == {"api_id", "error"}
    async with http.post(app.base, json={}, headers=basic_auth_header("account_1", "no")) as r:
        assert r.status == 401 and set(await r.json()) == {"api_id", "error"}
    async with http.put(app.base, json={}, headers=basic_auth_header("account_1",
                                                                     TOKENS["account_1"])) as r:
        assert r.status == 405 and set(await r.json()) == {"api_id", "error"}
