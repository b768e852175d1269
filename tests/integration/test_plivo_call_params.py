"""Parameters of ``POST /v1/Account/{id}/Call/`` on the real stack, proven by what the
simulated carrier logged and by what the application's ring_url and hangup_url received:
HangupCause per carrier outcome, time_limit and hangup_on_ring cutting the call at the right
second, send_digits (with its pauses, and in early media), sip_headers and caller_name.

Carrier lines (last four digits): 1xxx answers; 2xxx busy; 3xxx never answers; 4xxx
congestion; 6nnn rings nnn s then answers; 7nnn answers and hangs up after nnn s; 9xxx
unreachable; 03xx logs the digits it hears; 04nn logs the digits it hears in early media
for nn s; 05xx logs the X-PH-* headers and the caller's display name it received.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.plivo_app import SLACK, App, Carrier, app, carrier, core_params, signed

pytestmark = pytest.mark.integration
__all__ = ["app", "carrier"]  # the fixtures
HOLD = '<Response><Wait length="60"/></Response>'
BRIEF = '<Response><Wait length="1"/><Hangup/></Response>'
PLIVO_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


async def test_ring_url_hears_the_ringing_and_hangup_url_the_end(
        app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("6001", BRIEF)
    ring = await app.first("/ring", uuid)
    core_params(ring, uuid, to, "ringing")
    assert signed(ring)
    assert "HangupCause" not in ring.params
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, "completed")
    assert signed(hangup)
    assert hangup.params["HangupCause"] == "NORMAL_CLEARING"
    answered = await carrier.answered_once(to)
    assert abs(int(hangup.params["Duration"]) - answered.seconds) <= SLACK
    assert hangup.params["BillDuration"] == hangup.params["Duration"]
    for key in ("StartTime", "AnswerTime", "EndTime"):
        assert PLIVO_TIME.fullmatch(hangup.params[key]), hangup.params
    assert hangup.params["StartTime"] <= hangup.params["AnswerTime"] <= hangup.params["EndTime"]


async def test_the_carrier_hanging_up_is_normal_clearing(app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("7003", HOLD)
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, "completed")
    assert hangup.params["HangupCause"] == "NORMAL_CLEARING"
    answered = await carrier.answered_once(to)
    assert abs(answered.seconds - 3) <= SLACK
    assert abs(int(hangup.params["Duration"]) - answered.seconds) <= SLACK, hangup.params
    assert hangup.params["AnswerTime"], hangup.params


@pytest.mark.parametrize(("line", "status", "cause"), [
    ("2000", "busy", "USER_BUSY"),
    ("4000", "failed", "NORMAL_CIRCUIT_CONGESTION"),
    ("9000", "failed", "UNALLOCATED_NUMBER"),
])
async def test_an_unanswered_call_says_why_on_hangup_url(
        app: App, carrier: Carrier, line: str, status: str, cause: str) -> None:
    uuid, to = await app.call(line, HOLD)
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, status)
    assert hangup.params["HangupCause"] == cause
    assert (hangup.params["Duration"], hangup.params["BillDuration"]) == ("0", "0")
    assert hangup.params["AnswerTime"] == ""
    assert PLIVO_TIME.fullmatch(hangup.params["StartTime"])
    assert PLIVO_TIME.fullmatch(hangup.params["EndTime"])
    assert carrier.reached(to) and carrier.answered(to) == []
    assert app.webhooks.requests_to("/answer") == []


async def test_ring_timeout_gives_up_on_a_call_nobody_answers(
        app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("3000", HOLD, ring_timeout="3")
    ring = await app.first("/ring", uuid)
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, "no-answer")
    assert hangup.params["HangupCause"] == "NO_ANSWER"
    assert hangup.params["Duration"] == "0"
    assert abs((hangup.at - ring.at) - 3) <= SLACK, hangup.at - ring.at
    assert carrier.reached(to) and carrier.answered(to) == []


async def test_time_limit_cuts_the_call_from_answer(app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("1000", HOLD, time_limit="3")
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, "completed")
    assert hangup.params["HangupCause"] == "ALLOTTED_TIMEOUT"
    assert hangup.params["HangupReason"] == "time_limit reached"
    answered = await carrier.answered_once(to)
    assert abs(answered.seconds - 3) <= SLACK, answered
    assert abs(int(hangup.params["Duration"]) - 3) <= SLACK, hangup.params


async def test_hangup_on_ring_cuts_the_call_from_ringing(app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("6006", HOLD, hangup_on_ring="4")
    ring = await app.first("/ring", uuid)
    hangup = await app.hangup_of(uuid)
    assert hangup.params["HangupCause"] == "ALLOTTED_TIMEOUT"
    assert abs((hangup.at - ring.at) - 4) <= SLACK, hangup.at - ring.at
    # Cut while ringing: the carrier (which answers after 6 s) never answered it.
    assert hangup.params["Duration"] == "0" and hangup.params["AnswerTime"] == ""
    assert carrier.answered(to) == []
    assert app.webhooks.requests_to("/answer") == []
    status, _ = await app.send("GET", f"{uuid}/?status=live")
    assert status == 404
    core_params(hangup, uuid, to, "no-answer")
    assert hangup.params["HangupReason"] == "hangup_on_ring reached"


async def test_send_digits_reach_the_carrier_with_their_pauses(
        app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("0300", HOLD, send_digits="1w2W3")
    heard = await carrier.digits_heard(to, 3)
    assert [(d.digit, d.phase) for d in heard] == [("1", "up"), ("2", "up"), ("3", "up")]
    half, whole = heard[1].at - heard[0].at, heard[2].at - heard[1].at
    assert 0.5 <= half <= 0.5 + SLACK, half
    assert 1.0 <= whole <= 1.0 + SLACK, whole
    assert 0.3 <= whole - half <= 0.7, (half, whole)  # W waits half a second more than w
    await app.send("DELETE", f"{uuid}/")
    await app.hangup_of(uuid)


async def test_send_on_preanswer_sends_the_digits_in_early_media(
        app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("0405", HOLD, send_digits="159", send_on_preanswer="true")
    heard = await carrier.digits_heard(to, 3)
    assert [(d.digit, d.phase) for d in heard] == [("1", "early"), ("5", "early"),
                                                   ("9", "early")]
    (answer,) = await app.webhooks.wait_for("/answer", timeout=30)  # then it answers
    assert answer.params["CallUUID"] == uuid
    await app.send("DELETE", f"{uuid}/")
    await app.hangup_of(uuid)
    assert [d.digit for d in carrier.digits(to)] == ["1", "5", "9"]  # sent once only


async def test_sip_headers_reach_the_carrier_and_every_webhook(
        app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("0500", BRIEF, sip_headers="team=blue,id=42")
    headers = await carrier.headers(to)
    assert headers == {"X-PH-team": "blue", "X-PH-id": "42"}
    (answer,) = await app.webhooks.wait_for("/answer", timeout=30)
    hangup = await app.hangup_of(uuid)
    for request in (answer, hangup):
        assert request.params["CallUUID"] == uuid
        assert (request.params["X-PH-team"], request.params["X-PH-id"]) == ("blue", "42")
        assert signed(request)


async def test_caller_name_reaches_the_carrier(app: App, carrier: Carrier) -> None:
    uuid, to = await app.call("0500", BRIEF, caller_name="Acme Support")
    assert await carrier.caller_name(to) == "Acme Support"
    hangup = await app.hangup_of(uuid)
    assert hangup.params["CallUUID"] == uuid
