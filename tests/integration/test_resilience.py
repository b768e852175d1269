"""Inbound DIDs, engine restarts mid-call, and readiness while the PBX is down."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from panoramisk import Manager

from engine.ari.query import basic_auth_header
from engine.devstack.stack import Stack
from engine.settings import Settings
from tests.integration.helpers import (
    ANSWER,
    call_api,
    eventually,
    leg_channel,
    number,
    wait_ended,
    wait_state,
)
from tests.integration.test_click2call import click2call

pytestmark = pytest.mark.integration


async def carrier_calls_in(settings: Settings, did: str, caller: str) -> None:
    """The carrier places a call to ``did`` on the PBX (an inbound call)."""
    manager = Manager(host="127.0.0.1", port=settings.carrier_ami_port,
                      username=settings.ami_user,
                      secret=settings.ami_password.get_secret_value(), ping_delay=0)
    await manager.connect()
    try:
        reply = await manager.send_action({
            "Action": "Originate", "Channel": f"PJSIP/{did}@pbx", "Context": "caller",
            "Exten": "s", "Priority": "1", "CallerID": caller, "Async": "true"})
        assert "Success" in str(reply), reply
    finally:
        manager.close()


async def test_inbound_did_rings_its_agent_and_counts_as_inbound(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    status, body = await call_api(http, "POST", "/api/dids", {"did": "15551230001",
                                                              "agent": "104"})
    assert status == 200, body
    caller = number(ANSWER)
    await carrier_calls_in(settings, "15551230001", caller)

    async def inbound_call() -> dict[str, Any] | None:
        _, body = await call_api(http, "GET", "/api/live_calls")
        calls = [c for c in body["response"]["result"] if c["origin"] == "inbound"]
        return calls[0] if calls and calls[0]["state"] == "bridged" else None

    call = await eventually(inbound_call, what="the inbound call to reach agent 104")
    _, body = await call_api(http, "GET", "/api/get_live_call_statistics")
    assert body["response"]["result"]["live_calls_inbound"] == 1
    await call_api(http, "POST", "/api/modify_call",
                   {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    rows = await wait_ended(http, call["request_id"])
    assert {r["call_direction"] for r in rows} == {"inbound"}
    assert {r["dialed_number"] for r in rows} == {"104", caller}
    assert all(r["call_status"] == "ANSWERED" for r in rows)


@dataclass(frozen=True)
class CarrierAttempt:
    """The carrier's own account of one call it placed into the PBX (from its AMI)."""

    seconds: float  # from the Originate until the carrier had its OriginateResponse
    originate: dict[str, str]  # the OriginateResponse event
    hangup: dict[str, str]  # the Hangup event of the carrier's channel


async def carrier_attempt(settings: Settings, did: str, caller: str,
                          ring_timeout: float) -> CarrierAttempt:
    """The carrier calls ``did`` and gives up by itself after ``ring_timeout`` seconds."""
    manager = Manager(host="127.0.0.1", port=settings.carrier_ami_port,
                      username=settings.ami_user,
                      secret=settings.ami_password.get_secret_value(), ping_delay=0)
    events: list[dict[str, str]] = []
    manager.register_event("*", lambda _manager, message: events.append(dict(message)))
    await manager.connect()
    try:
        started = time.monotonic()
        reply = await asyncio.wait_for(manager.send_action({
            "Action": "Originate", "Channel": f"PJSIP/{did}@pbx", "Context": "caller",
            "Exten": "s", "Priority": "1", "CallerID": caller, "Async": "true",
            "Timeout": str(int(ring_timeout * 1000))}), ring_timeout + 10)
        seconds = time.monotonic() - started
        # panoramisk completes an async Originate with its OriginateResponse event.
        originate = next(dict(m) for m in reply if m.get("Event") == "OriginateResponse")

        def carrier_channel() -> str | None:
            return next((e["DestUniqueid"] for e in events if e.get("Event") == "DialBegin"
                         and e.get("DialString") == f"{did}@pbx"), None)

        def hangup() -> dict[str, str] | None:
            uniqueid = carrier_channel()
            return next((e for e in events if e.get("Event") == "Hangup"
                         and uniqueid is not None and e.get("Uniqueid") == uniqueid), None)

        async def hung_up() -> dict[str, str] | None:
            return hangup()

        return CarrierAttempt(seconds, originate,
                              await eventually(hung_up, timeout=5, what="the carrier's Hangup"))
    finally:
        manager.close()


async def test_unrouted_did_is_hung_up(http: aiohttp.ClientSession, settings: Settings) -> None:
    async with http.get("/readyz") as response:
        assert (await response.json())["components"]["ari"] == "up"  # Stasis reaches the engine
    did, ring_timeout = "15559990000", 20.0
    attempt = await carrier_attempt(settings, did, number(ANSWER), ring_timeout)
    # The carrier's side: its call failed within a couple of seconds, not after ringing
    # ring_timeout seconds into a channel nobody hung up (that ends 20 s later with cause
    # 19, "User alerting, no answer": the carrier giving up by itself).
    assert attempt.originate["Response"] == "Failure", attempt
    assert attempt.seconds < 2.0, attempt
    assert attempt.hangup["Cause"] != "19", attempt
    # The engine's side: it saw the call in Stasis, refused it, and never counted it.
    log = await asyncio.to_thread(
        (settings.var_dir / "log" / "engine.log").read_text, errors="replace")
    assert any("unrouted DID" in line and did in line for line in log.splitlines())
    _, body = await call_api(http, "GET", "/api/get_live_call_statistics")
    assert body["response"]["result"]["live_calls_inbound"] == 0


async def restart_engine(stack: Stack) -> None:
    await asyncio.to_thread(stack.stop_engine)
    await asyncio.to_thread(stack.start_engine)
    await asyncio.to_thread(stack.wait_engine_ready)


async def test_restart_readopts_a_live_call(
    http: aiohttp.ClientSession, stack: Stack
) -> None:
    request_id = await click2call(http, "101", number(ANSWER))
    await wait_state(http, request_id, "bridged")
    await restart_engine(stack)
    call = await wait_state(http, request_id, "bridged")
    status, _ = await call_api(http, "POST", "/api/modify_call",
                               {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    assert status == 200
    rows = await wait_ended(http, request_id)
    assert len(rows) == 2
    assert all(r["call_status"] == "ANSWERED" and r["billsec"] > 0 for r in rows)


async def test_call_ending_while_engine_is_down_is_closed_on_restart(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings
) -> None:
    request_id = await click2call(http, "102", number(ANSWER))
    await wait_state(http, request_id, "bridged")
    await asyncio.to_thread(stack.stop_engine)
    auth = basic_auth_header(settings.ari_user, settings.ari_password.get_secret_value())
    async with aiohttp.ClientSession(headers=auth) as ari:
        for leg in (1, 2):
            async with ari.delete(f"{settings.ari_url}/ari/channels/{request_id}.{leg}") as r:
                assert r.status in (204, 404)
    await asyncio.to_thread(stack.start_engine)
    await asyncio.to_thread(stack.wait_engine_ready)
    rows = await wait_ended(http, request_id)
    assert len(rows) == 2
    for row in rows:
        assert row["call_status"] == "ANSWERED"
        assert row["end"] != "Thu, 01 Jan 1970 00:00:00 GMT"


async def test_sigterm_drains_refusing_new_requests_while_calls_finish(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings
) -> None:
    request_id = await click2call(http, "103", number(ANSWER))
    await wait_state(http, request_id, "bridged")
    pid = stack.engine_pid_file.read()
    assert pid is not None
    os.kill(pid, signal.SIGTERM)

    async def refused() -> dict[str, Any] | None:
        status, body = await call_api(http, "GET", "/api/get_live_call_statistics")
        return body if status == 503 else None

    body = await eventually(refused, what="new requests to be refused while draining")
    assert body["response"]["error"] == "shutting_down"
    async with http.get("/healthz") as response:
        assert response.status == 200
    # The live call is still up, and the engine with it; when the call ends, the engine exits.
    assert stack.engine_pid_file.read() == pid
    auth = basic_auth_header(settings.ari_user, settings.ari_password.get_secret_value())
    async with (aiohttp.ClientSession(headers=auth) as ari,
                ari.delete(f"{settings.ari_url}/ari/channels/{request_id}.2") as response):
        assert response.status == 204

    async def exited() -> bool:
        return stack.engine_pid_file.read() is None

    await eventually(exited, timeout=settings.shutdown_grace_seconds + 5,
                     what="the engine to exit")
    await asyncio.to_thread(stack.start_engine)
    await asyncio.to_thread(stack.wait_engine_ready)
    rows = await wait_ended(http, request_id)
    assert len(rows) == 2 and all(r["end"] != "Thu, 01 Jan 1970 00:00:00 GMT" for r in rows)


async def test_readyz_follows_the_pbx_without_an_engine_restart(
    http: aiohttp.ClientSession, stack: Stack
) -> None:
    async def readiness() -> tuple[int, dict[str, Any]]:
        async with http.get("/readyz") as response:
            return response.status, await response.json()

    await asyncio.to_thread(stack.pbx.stop)
    try:
        async def down() -> dict[str, Any] | None:
            status, body = await readiness()
            return body if status == 503 and body["components"]["ari"] == "down" else None

        body = await eventually(down, what="/readyz to report ARI down")
        assert body["components"]["db"] == "up"
        status, payload = await call_api(http, "POST", "/api/click2call", {
            "agent_number": "101", "caller_id": "15168148111",
            "destination_number": number(ANSWER)})
        assert status == 503, payload
        assert payload["response"]["success"] == "false"
    finally:
        await asyncio.to_thread(stack.pbx.start)
        await asyncio.to_thread(stack.pbx.wait_ready)

    async def up() -> bool:
        status, body = await readiness()
        return status == 200 and body["status"] == "ready"

    await eventually(up, timeout=40, what="/readyz to report ready again")
    await asyncio.to_thread(stack.wait_agents_registered)
