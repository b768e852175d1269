"""click2call end to end: PBX, carrier and PostgreSQL, with the ledger checked every time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.settings import Settings
from tests.integration.helpers import (
    ANSWER,
    BUSY,
    CALLER_ID,
    CONGESTION,
    NOANSWER,
    UNREACHABLE,
    call_api,
    carrier_calls,
    leg_channel,
    number,
    wait_ended,
    wait_state,
)

pytestmark = pytest.mark.integration
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


async def click2call(http: aiohttp.ClientSession, agent: str, destination: str,
                     **extra: str) -> str:
    body = {"agent_number": agent, "caller_id": CALLER_ID, "destination_number": destination,
            **extra}
    status, payload = await call_api(http, "POST", "/api/click2call", body)
    assert status == 200, payload
    assert payload["response"]["success"] == "true"
    request_id: str = payload["response"]["request_id"]
    assert len(request_id) == 10 and int(request_id, 16) >= 0
    return request_id


def by_role(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    roles = {"agent": [r for r in rows if r["dialed_number"] == rows[0]["agent_number"]]}
    roles["customer"] = [r for r in rows if r["dialed_number"] == rows[0]["customer_number"]]
    return {k: v[0] for k, v in roles.items() if v}


def heard_dir(settings: Settings) -> Path:
    return settings.var_dir / "asterisk" / "carrier" / "spool" / "heard"


async def test_both_answer_then_hangup_gives_two_answered_cdrs(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    customer = number(ANSWER)
    request_id = await click2call(http, "101", customer)
    call = await wait_state(http, request_id, "bridged")
    assert {leg["role"] for leg in call["legs"]} == {"agent", "customer"}
    status, payload = await call_api(http, "POST", "/api/modify_call", {
        "channel": " " + leg_channel(call, "agent"), "modify_type": "2"})
    assert status == 200, payload
    rows = await wait_ended(http, request_id)
    assert len(rows) == 2
    legs = by_role(rows)
    for row in rows:
        assert row["call_status"] == "ANSWERED"
        assert row["dial_status"] == "ANSWER"
        assert row["billsec"] is not None and row["billsec"] > 0
        assert row["call_duration"] >= row["billsec"]
        assert row["answer"] != EPOCH and row["end"].endswith("GMT")
        assert row["caller_id"] == CALLER_ID
        assert row["destination_context"] == "click2call"
        assert row["call_direction"] == "outbound-api"
        assert row["request_id"] == request_id
        assert row["account_id"] == "account_1"
    assert legs["agent"]["agent_number"] == "101"
    assert legs["customer"]["customer_number"] == customer
    # The carrier saw the destination called with the requested caller id.
    assert (customer, CALLER_ID) in {(n, c) for n, c, _ in carrier_calls(heard_dir(settings))}


@pytest.mark.parametrize(("line", "dial_status", "call_status"), [
    (BUSY, "BUSY", "BUSY"),
    (NOANSWER, "NOANSWER", "NO ANSWER"),
    (UNREACHABLE, "CHANUNAVAIL", "FAILED"),
    (CONGESTION, "CONGESTION", "CONGESTION"),
])
async def test_agent_failure_never_dials_the_destination(
    http: aiohttp.ClientSession, settings: Settings, line: str, dial_status: str,
    call_status: str,
) -> None:
    agent, customer = number(line), number(ANSWER)
    request_id = await click2call(http, agent, customer)
    rows = await wait_ended(http, request_id)
    assert len(rows) == 1
    (row,) = rows
    assert row["dialed_number"] == agent
    assert row["dial_status"] == dial_status
    assert row["call_status"] == call_status
    assert row["answer"] == EPOCH
    assert row["billsec"] is None
    assert customer not in {n for n, _, _ in carrier_calls(heard_dir(settings))}


@pytest.mark.parametrize(("line", "dial_status"), [
    (BUSY, "BUSY"), (NOANSWER, "NOANSWER"), (CONGESTION, "CONGESTION"),
    (UNREACHABLE, "CHANUNAVAIL"),
])
async def test_destination_failure_is_told_to_the_agent_then_hung_up(
    http: aiohttp.ClientSession, line: str, dial_status: str
) -> None:
    request_id = await click2call(http, "102", number(line))
    rows = await wait_ended(http, request_id, timeout=40)
    legs = by_role(rows)
    assert legs["agent"]["dial_status"] == "ANSWER"
    assert legs["customer"]["dial_status"] == dial_status
    assert legs["customer"]["billsec"] is None
    # The agent stayed on for the failure prompt before being hung up.
    assert legs["agent"]["billsec"] > 0.5


async def test_customer_hangs_up_after_the_bridge(http: aiohttp.ClientSession) -> None:
    request_id = await click2call(http, "103", number("7002"))
    await wait_state(http, request_id, "bridged")
    rows = await wait_ended(http, request_id)
    legs = by_role(rows)
    assert 1.0 <= legs["customer"]["billsec"] <= 4.0
    assert legs["agent"]["call_status"] == "ANSWERED"
    assert legs["agent"]["billsec"] >= legs["customer"]["billsec"] - 0.5


async def test_agent_hangs_up_after_the_bridge(http: aiohttp.ClientSession) -> None:
    request_id = await click2call(http, number("7003"), number(ANSWER))
    await wait_state(http, request_id, "bridged")
    rows = await wait_ended(http, request_id)
    legs = by_role(rows)
    assert legs["customer"]["call_status"] == "ANSWERED"
    assert 2.0 <= legs["agent"]["billsec"] <= 5.0


async def test_agent_hangs_up_while_destination_rings_cancels_it(
    http: aiohttp.ClientSession,
) -> None:
    request_id = await click2call(http, number("7002"), number(NOANSWER))
    rows = await wait_ended(http, request_id)
    legs = by_role(rows)
    assert legs["customer"]["dial_status"] == "CANCEL"
    assert legs["customer"]["call_status"] == "NO ANSWER"


async def test_seed_example_body_is_accepted(http: aiohttp.ClientSession) -> None:
    # The contract's own example: 12-digit Indian numbers, recording "on", transcript off.
    body = {"agent_number": "91997927" + "1000", "caller_id": "15168148111",
            "destination_number": "91800068" + "1000", "recording_option": "on",
            "transcript": "off"}
    status, payload = await call_api(http, "POST", "/api/click2call", body)
    assert status == 200, payload
    call = await wait_state(http, payload["response"]["request_id"], "bridged")
    status, _ = await call_api(http, "POST", "/api/modify_call",
                               {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    assert status == 200
    rows = await wait_ended(http, payload["response"]["request_id"])
    assert all(r["recording_name"].endswith("-both.wav") for r in rows)
