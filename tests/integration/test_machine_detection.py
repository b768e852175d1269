"""Plivo's machine detection on the real stack, through ``POST /v1/Account/{id}/Call/``:
Asterisk's AMD decides on the carrier's person (01xx, a short "hello") and answering
machine (02xx, a long greeting then a beep), and the application hears the verdict on its
webhooks, on machine_detection_url as soon as it is known, and in the call's details."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from engine.ari.query import basic_auth_header
from tests.integration.helpers import CALLER_ID, eventually, number
from tests.integration.webhook_server import Received, WebhookServer

pytestmark = pytest.mark.integration
PERSON, MACHINE = "0100", "0200"
ACCOUNT, TOKEN = "account_1", "test-token-1"
AUTH = basic_auth_header(ACCOUNT, TOKEN)
WAIT = '<Response><Wait length="2"/><Hangup/></Response>'
LONG_WAIT = '<Response><Wait length="20"/></Response>'


async def make_call(http: aiohttp.ClientSession, webhooks: WebhookServer, line: str,
                    answer: str = WAIT, **params: str) -> str:
    """An API call to a carrier line with answer_url and hangup_url on the test's server;
    its request_uuid (= CallUUID)."""
    body = {"from": CALLER_ID, "to": number(line), "answer_url": webhooks.serve("/answer", answer),
            "hangup_url": webhooks.url("/hangup"), **params}
    async with http.post(f"/v1/Account/{ACCOUNT}/Call/", json=body, headers=AUTH) as response:
        answer_body: dict[str, Any] = await response.json()
        assert response.status == 201, answer_body
    return str(answer_body["request_uuid"])


async def details(http: aiohttp.ClientSession, request_uuid: str) -> dict[str, Any]:
    async with http.get(f"/v1/Account/{ACCOUNT}/Call/{request_uuid}/", headers=AUTH) as r:
        body: dict[str, Any] = await r.json()
        assert r.status == 200, body
        return body


async def seed_cdrs(http: aiohttp.ClientSession, request_uuid: str) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        async with http.post("/api/get_cdr_by_request_id", json={"request_id": request_uuid},
                             headers={"account": ACCOUNT, "auth": TOKEN}) as r:
            body: dict[str, Any] = await r.json()
            assert r.status == 200, body
            rows: list[dict[str, Any]] = body["response"]["result"]
            return rows if rows and rows[0]["end"] != cdr_epoch() else None

    return await eventually(probe, timeout=20, what=f"the CDR of {request_uuid}")


def cdr_epoch() -> str:
    return "Thu, 01 Jan 1970 00:00:00 GMT"


async def hung_up(webhooks: WebhookServer, request_uuid: str) -> Received:
    async def probe() -> Received | None:
        return next((r for r in webhooks.requests_to("/hangup")
                     if r.params.get("CallUUID") == request_uuid), None)

    return await eventually(probe, timeout=40, what=f"hangup_url of {request_uuid}")


async def test_a_person_is_no_machine_on_every_webhook(
    http: aiohttp.ClientSession, webhooks: WebhookServer
) -> None:
    call = await make_call(http, webhooks, PERSON, machine_detection="true")
    fetched = (await webhooks.wait_for("/answer", timeout=30))[0]
    assert fetched.params["CallUUID"] == call
    assert fetched.params["Machine"] == "false"
    hangup = await hung_up(webhooks, call)
    assert hangup.params["Machine"] == "false"
    assert hangup.params["HangupCause"] == "NORMAL_CLEARING"
    record = await details(http, call)
    assert record["machine"] == "false"
    assert record["machine_detection_status"].startswith("HUMAN/HUMAN-")


async def test_a_machine_is_a_machine_and_the_program_still_runs(
    http: aiohttp.ClientSession, webhooks: WebhookServer
) -> None:
    call = await make_call(http, webhooks, MACHINE, machine_detection="true",
                           machine_detection_time="4000")
    fetched = (await webhooks.wait_for("/answer", timeout=30))[0]
    assert fetched.params["Machine"] == "true"
    hangup = await hung_up(webhooks, call)
    assert hangup.params["Machine"] == "true"
    record = await details(http, call)
    assert record["machine"] == "true"
    assert record["machine_detection_status"].startswith("MACHINE/")
    # The seed-001 CDR of the leg carries the verdict too.
    (cdr,) = await seed_cdrs(http, call)
    assert cdr["machine_detection"] == "true"
    assert cdr["machine_detection_status"] == record["machine_detection_status"]


async def test_hangup_mode_hangs_a_machine_up_at_once(
    http: aiohttp.ClientSession, webhooks: WebhookServer
) -> None:
    call = await make_call(http, webhooks, MACHINE, machine_detection="hangup")
    hangup = await hung_up(webhooks, call)
    assert hangup.params["Machine"] == "true"
    assert hangup.params["HangupCause"] == "MACHINE_DETECTED"
    assert webhooks.requests_to("/answer") == []  # its program never ran
    record = await details(http, call)
    assert record["machine"] == "true"
    assert record["hangup_cause"] == "MACHINE_DETECTED"


async def test_hangup_mode_lets_a_person_through(
    http: aiohttp.ClientSession, webhooks: WebhookServer
) -> None:
    call = await make_call(http, webhooks, PERSON, machine_detection="hangup")
    fetched = (await webhooks.wait_for("/answer", timeout=30))[0]
    assert fetched.params["Machine"] == "false"
    hangup = await hung_up(webhooks, call)
    assert hangup.params["HangupCause"] == "NORMAL_CLEARING"


async def test_machine_detection_url_hears_the_verdict_while_the_call_is_up(
    http: aiohttp.ClientSession, webhooks: WebhookServer
) -> None:
    call = await make_call(http, webhooks, MACHINE, answer=LONG_WAIT,
                           machine_detection="true",
                           machine_detection_url=webhooks.url("/machine"),
                           machine_detection_method="POST")
    verdict = (await webhooks.wait_for("/machine", timeout=30))[0]
    assert verdict.method == "POST"
    assert verdict.params["CallUUID"] == call
    assert verdict.params["Machine"] == "true"
    assert verdict.params["MachineDetectionStatus"].startswith("MACHINE/")
    # As soon as it is known: the call is still up, nobody has hung up yet.
    assert (await details(http, call))["call_status"] == "in-progress"
    assert not [r for r in webhooks.requests_to("/hangup") if r.params["CallUUID"] == call]
    async with http.delete(f"/v1/Account/{ACCOUNT}/Call/{call}/", headers=AUTH) as r:
        assert r.status in (200, 204), await r.text()
    assert (await hung_up(webhooks, call)).params["Machine"] == "true"


async def test_without_detection_no_machine_parameter(
    http: aiohttp.ClientSession, webhooks: WebhookServer
) -> None:
    call = await make_call(http, webhooks, MACHINE)
    fetched = (await webhooks.wait_for("/answer", timeout=30))[0]
    assert "Machine" not in fetched.params
    assert "Machine" not in (await hung_up(webhooks, call)).params
