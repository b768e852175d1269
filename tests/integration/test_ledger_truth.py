"""The ledger tells the truth through faults: database outages, engine crashes, PBX restarts,
DTMF. Every CDR is checked against the carrier's own evidence (its recordings), never the
engine's."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.devstack.stack import Stack
from engine.domain.cdr import http_date
from engine.settings import Settings
from tests.integration.helpers import (
    ANSWER,
    call_api,
    eventually,
    leg_channel,
    live_call,
    number,
    wait_ended,
    wait_state,
)
from tests.integration.test_click2call import click2call

pytestmark = pytest.mark.integration
TOLERANCE = 0.2  # seconds between a CDR's billsec and the carrier's recording
ENGINE_UNAVAILABLE, PBX_UNAVAILABLE = 900, 901


def heard_seconds(settings: Settings, dialled: str) -> float:
    """How long the call to ``dialled`` was answered, by the carrier's own clock
    (``answered.log``: number, uniqueid, answered epoch, ended epoch)."""
    log = settings.var_dir / "asterisk" / "carrier" / "spool" / "heard" / "answered.log"
    lines = log.read_text().splitlines() if log.exists() else []
    (seconds,) = [float(f[3]) - float(f[2]) for f in map(str.split, lines) if f[0] == dialled]
    return seconds


def row_for(rows: list[dict[str, Any]], dialled: str) -> dict[str, Any]:
    (row,) = [r for r in rows if r["dialed_number"] == dialled]
    return row


def assert_agrees(settings: Settings, rows: list[dict[str, Any]], dialled: str) -> None:
    row = row_for(rows, dialled)
    heard = heard_seconds(settings, dialled)
    assert row["billsec"] is not None, row
    assert abs(row["billsec"] - heard) <= TOLERANCE, (dialled, row["billsec"], heard, row)


async def statistics(http: aiohttp.ClientSession) -> dict[str, int]:
    status, body = await call_api(http, "GET", "/api/get_cdr_statistics")
    assert status == 200, body
    return {k: v[0] for k, v in body["response"]["result"].items()}


def kill_engine(stack: Stack) -> None:
    pid = stack.engine_pid_file.read()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    stack.engine_pid_file.remove()


async def start_engine(stack: Stack) -> None:
    await asyncio.to_thread(stack.start_engine)
    await asyncio.to_thread(stack.wait_engine_ready)


async def start_postgres(stack: Stack) -> None:
    await asyncio.to_thread(stack.postgres.start)
    await asyncio.to_thread(stack.postgres.wait_ready)


async def test_dtmf_from_the_carrier_lands_in_dtmf_inputs(http: aiohttp.ClientSession) -> None:
    customer = number("5123")  # answers, then sends 1, 2, 3
    request_id = await click2call(http, number(ANSWER), customer)
    call = await wait_state(http, request_id, "bridged")
    await asyncio.sleep(3)
    await call_api(http, "POST", "/api/modify_call",
                   {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    rows = await wait_ended(http, request_id)
    assert row_for(rows, customer)["dtmf_inputs"] == "123"


async def test_cdr_uniqueids_are_the_ids_in_asterisks_own_record(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    request_id = await click2call(http, number(ANSWER), number("7001"))
    rows = await wait_ended(http, request_id)
    witnessed = await asyncio.to_thread(settings.cel_file.read_text)
    cel = [json.loads(line) for line in witnessed.splitlines()]
    for row in rows:
        hangups = [r for r in cel if r["uniqueid"] == row["uniqueid"]
                   and r["eventtype"] == "HANGUP"]
        assert len(hangups) == 1, row
        assert row["end"] == http_date(datetime.fromtimestamp(float(hangups[0]["eventtime"]),
                                                             UTC))


async def test_a_call_ending_during_a_database_outage_keeps_its_true_end(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings
) -> None:
    before = await statistics(http)
    agent, customer = number(ANSWER), number("7006")  # the customer hangs up after 6 s
    request_id = await click2call(http, agent, customer)
    await wait_state(http, request_id, "bridged")
    await asyncio.to_thread(stack.postgres.stop)
    try:
        await asyncio.sleep(12)  # the customer hangs up while PostgreSQL is away
    finally:
        await start_postgres(stack)
    rows = await wait_ended(http, request_id, timeout=40)
    assert {r["call_status"] for r in rows} == {"ANSWERED"}
    assert_agrees(settings, rows, customer)
    assert_agrees(settings, rows, agent)
    after = await statistics(http)
    assert after["answer_calls"] - before["answer_calls"] == 2
    assert after["total_calls"] - before["total_calls"] == 2


async def test_engine_killed_during_a_database_outage_loses_no_ending(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings
) -> None:
    agent, customer = number(ANSWER), number("7004")
    request_id = await click2call(http, agent, customer)
    await wait_state(http, request_id, "bridged")
    await asyncio.to_thread(stack.postgres.stop)
    try:
        await asyncio.sleep(8)  # the call ends; the engine can only journal it
        kill_engine(stack)
    finally:
        await start_postgres(stack)
    await start_engine(stack)
    rows = await wait_ended(http, request_id)
    assert_agrees(settings, rows, customer)
    assert_agrees(settings, rows, agent)
    assert row_for(rows, customer)["hangup_cause"] == 16


async def test_kill_9_in_every_state_leaves_cdrs_the_carrier_agrees_with(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings
) -> None:
    # The agent answers 3 s in (the dial timeout is 4 s): the engine is gone by then.
    ringing_agent = number("6003")
    ring_agent_call = await click2call(http, ringing_agent, number(ANSWER))
    agent_b, ringing_customer = number(ANSWER), number("6003")
    ring_customer_call = await click2call(http, agent_b, ringing_customer)
    agent_c, customer_c = number(ANSWER), number(ANSWER)
    bridged_call = await click2call(http, agent_c, customer_c)
    agent_d, leaving = number(ANSWER), number("7005")  # hangs up while the engine is down
    leaving_call = await click2call(http, agent_d, leaving)
    await wait_state(http, ring_customer_call, "dialing_customer")
    await wait_state(http, bridged_call, "bridged")
    await wait_state(http, leaving_call, "bridged")
    await asyncio.to_thread(kill_engine, stack)
    await asyncio.sleep(8)
    await start_engine(stack)

    bridged = await wait_state(http, bridged_call, "bridged")
    await call_api(http, "POST", "/api/modify_call",
                   {"channel": leg_channel(bridged, "agent"), "modify_type": "2"})
    rows = {rid: await wait_ended(http, rid) for rid in
            (ring_agent_call, ring_customer_call, bridged_call, leaving_call)}

    # Answered while the engine was down: Asterisk dropped it; the platform failed, the
    # callee did not (never NOANSWER), and the times are Asterisk's.
    (agent_row,) = rows[ring_agent_call]
    assert agent_row["hangup_cause"] == ENGINE_UNAVAILABLE, agent_row
    assert agent_row["dial_status"] == "ANSWER"
    assert_agrees(settings, rows[ring_agent_call], ringing_agent)
    customer_row = row_for(rows[ring_customer_call], ringing_customer)
    assert customer_row["hangup_cause"] == ENGINE_UNAVAILABLE, customer_row
    assert_agrees(settings, rows[ring_customer_call], ringing_customer)
    assert_agrees(settings, rows[ring_customer_call], agent_b)
    for dialled in (agent_c, customer_c):
        assert_agrees(settings, rows[bridged_call], dialled)
    leaving_row = row_for(rows[leaving_call], leaving)
    assert leaving_row["hangup_cause"] == 16, leaving_row
    assert_agrees(settings, rows[leaving_call], leaving)
    assert_agrees(settings, rows[leaving_call], agent_d)


async def test_a_pbx_going_down_under_a_request_is_named_in_the_cdr(
    http: aiohttp.ClientSession, stack: Stack
) -> None:
    before = await statistics(http)
    request_id = await click2call(http, number("6015"), number(ANSWER))

    async def agent_ringing() -> bool:
        call = await live_call(http, request_id)
        return call is not None and [leg["state"] for leg in call["legs"]] == ["ringing"]

    # The PBX goes down under a leg it is ringing (not under the dial request itself).
    await eventually(agent_ringing, what="the agent leg ringing")
    await asyncio.to_thread(stack.pbx.stop)
    try:
        await asyncio.sleep(1)
    finally:
        await asyncio.to_thread(stack.pbx.start)
        await asyncio.to_thread(stack.pbx.wait_ready)
        await asyncio.to_thread(stack.wait_agents_registered)
        await asyncio.to_thread(stack.wait_engine_ready)  # its ARI connection is back too
    rows = await wait_ended(http, request_id, timeout=60)
    assert [(r["dial_status"], r["hangup_cause"]) for r in rows] == [
        ("CHANUNAVAIL", PBX_UNAVAILABLE)]
    after = await statistics(http)
    assert after["platform_failed_calls"] - before["platform_failed_calls"] == 1
    assert after["chanunavail_calls"] == before["chanunavail_calls"]


async def test_the_journal_is_empty_once_the_database_took_everything(
    settings: Settings, http: aiohttp.ClientSession
) -> None:
    journal: Path = settings.journal_path

    def empty() -> bool:
        return not journal.exists() or journal.stat().st_size == 0

    async def emptied() -> bool:
        return await asyncio.to_thread(empty)

    await eventually(emptied, what="the journal to be emptied")
