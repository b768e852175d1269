"""Agent presence on the real stack: the simulated agents (PJSIP registrations of the
carrier Asterisk to the PBX) unregister and register again through the carrier's AMI, and
the engine follows them over the PBX's AMI.

Every test that unregisters an agent registers it again (and waits until the PBX has its
contact) before it ends, so other test files find agents 101..105 as the stack left them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from engine.ami.client import AmiClient
from engine.ari.backoff import Backoff
from engine.devstack.stack import Stack
from engine.settings import Settings
from tests.integration.helpers import (
    ANSWER,
    CALLER_ID,
    call_api,
    eventually,
    leg_channel,
    number,
    wait_ended,
    wait_state,
)
from tests.integration.multiparty_kit import Api
from tests.integration.stack import ACCOUNT_2
from tests.integration.test_callbacks import schedule, wait_status
from tests.integration.test_click2call import click2call

pytestmark = pytest.mark.integration

# The engine sees a (un)registration within this bound: one AMI event after the REGISTER.
PRESENCE_BOUND = 10.0
GMT_SUFFIX = " GMT"


@pytest.fixture
async def carrier(settings: Settings) -> AsyncIterator[AmiClient]:
    """The carrier's AMI: it owns the agents' outbound registrations."""
    ami = AmiClient("127.0.0.1", settings.carrier_ami_port, settings.ami_user,
                    settings.ami_password.get_secret_value(), backoff=Backoff(0.1, 1.0),
                    event_mask="off")
    task = asyncio.create_task(ami.run())
    await eventually(_connected(ami), timeout=10, what="the carrier's AMI")
    yield ami
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _connected(ami: AmiClient) -> Any:
    async def probe() -> bool:
        return ami.connected
    return probe


async def agents(http: aiohttp.ClientSession,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
    status, body = await call_api(http, "GET", "/api/agents", headers=headers)
    assert status == 200, body
    response: dict[str, Any] = body["response"]
    return response


async def agent(http: aiohttp.ClientSession, extension: str) -> dict[str, Any]:
    listing = (await agents(http))["result"]
    found: dict[str, Any] = next(a for a in listing if a["extension"] == extension)
    return found


async def wait_agent(http: aiohttp.ClientSession, extension: str, *,
                     registration: str | None = None, state: str | None = None,
                     timeout: float = PRESENCE_BOUND) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        seen = await agent(http, extension)
        wanted = ((registration is None or seen["registration"] == registration)
                  and (state is None or seen["state"] == state))
        return seen if wanted else None

    return await eventually(probe, timeout=timeout,
                            what=f"agent {extension} {registration or ''} {state or ''}")


async def unregister(carrier: AmiClient, extension: str) -> None:
    reply = await carrier.action("PJSIPUnregister", {"Registration": f"agent-{extension}"})
    assert reply.ok, reply


async def register(carrier: AmiClient, http: aiohttp.ClientSession, extension: str) -> None:
    """Register the simulated agent again, until the engine sees it registered.

    ``PJSIPRegister`` unregisters, then schedules the REGISTER after a random 1-10 s
    (Asterisk's res_pjsip_outbound_registration): wait that long before asking again,
    since asking again starts the random wait over."""
    for _ in range(3):
        await carrier.action("PJSIPRegister", {"Registration": f"agent-{extension}"})
        with contextlib.suppress(AssertionError):
            await wait_agent(http, extension, registration="registered",
                             timeout=10.0 + PRESENCE_BOUND)
            return
    raise AssertionError(f"agent {extension} did not register again")


@pytest.fixture
async def away_agent(carrier: AmiClient,
                     http: aiohttp.ClientSession) -> AsyncIterator[str]:
    """Agent 105, unregistered for the test and registered again after it."""
    extension = "105"
    await wait_agent(http, extension, registration="registered", timeout=30)
    await unregister(carrier, extension)
    try:
        yield extension
    finally:
        await register(carrier, http, extension)


async def test_agents_lists_every_extension_registered_and_idle(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    response = await agents(http)
    assert response["success"] == "true"
    assert response["presence"] == "known"
    listing = response["result"]
    assert [a["extension"] for a in listing] == sorted(settings.agent_extensions)
    for item in listing:
        assert set(item) == {"extension", "registration", "state", "since",
                             "registration_since", "state_since"}
        assert all(isinstance(value, str) for value in item.values())
        assert item["since"].endswith(GMT_SUFFIX)
        if item["extension"] in settings.simulated_agents:
            assert item["registration"] == "registered"
    # Another account sees the engine's agent extensions too; no credentials, nothing.
    assert [a["extension"] for a in (await agents(http, ACCOUNT_2))["result"]] == [
        a["extension"] for a in listing]
    async with http.get("/api/agents") as anonymous:
        assert anonymous.status == 401
        assert (await anonymous.json())["response"]["error"] == "unauthorized"


async def test_unregistered_agent_is_refused_with_409_and_a_cdr_then_works_again(
    http: aiohttp.ClientSession, carrier: AmiClient, away_agent: str
) -> None:
    seen = await wait_agent(http, away_agent, registration="unregistered")
    assert seen["state"] == "unavailable"
    customer = number(ANSWER)
    status, body = await call_api(http, "POST", "/api/click2call", {
        "agent_number": away_agent, "caller_id": CALLER_ID, "destination_number": customer})
    assert status == 409, body
    error = body["response"]
    assert (error["success"], error["error"]) == ("false", "agent_unregistered")
    assert error["details"]["field"] == "agent_number"
    assert error["details"]["extension"] == away_agent
    refused = error["details"]["call_request_id"]
    status, body = await call_api(http, "POST", "/api/get_cdr_by_request_id",
                                  {"request_id": refused})
    assert status == 200, body
    (row,) = body["response"]["result"]  # the agent's leg only: nobody else was dialled
    assert (row["dial_status"], row["call_status"], row["hangup_cause"]) == (
        "CHANUNAVAIL", "FAILED", 20)
    assert (row["agent_number"], row["customer_number"]) == (away_agent, customer)
    assert row["destination_context"] == "click2call"

    await register(carrier, http, away_agent)
    request_id = await click2call(http, away_agent, number(ANSWER))
    call = await wait_state(http, request_id, "bridged")
    await call_api(http, "POST", "/api/modify_call",
                   {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    rows = await wait_ended(http, request_id)
    assert {r["dial_status"] for r in rows} == {"ANSWER"}


async def test_a_callback_for_an_unregistered_agent_fails_with_the_reason_and_a_cdr(
    http: aiohttp.ClientSession, away_agent: str
) -> None:
    await wait_agent(http, away_agent, registration="unregistered")
    request_id, _ = await schedule(http, number(ANSWER), 2, agent_number=away_agent)
    item = await wait_status(http, request_id, "failed")
    assert f"agent extension {away_agent} is not registered" in item["reason"]
    status, body = await call_api(http, "POST", "/api/get_cdr_by_request_id",
                                  {"request_id": request_id})
    assert status == 200, body
    (row,) = body["response"]["result"]
    assert (row["dial_status"], row["hangup_cause"]) == ("CHANUNAVAIL", 20)
    assert row["destination_context"] == "callback"


async def test_an_agent_in_a_click2call_rings_is_in_call_then_idle(
    http: aiohttp.ClientSession
) -> None:
    await wait_agent(http, "104", registration="registered", state="idle", timeout=30)
    request_id = await click2call(http, "104", number(ANSWER))
    # The simulated agent rings for one second before it answers.
    await wait_agent(http, "104", state="ringing", timeout=5)
    call = await wait_state(http, request_id, "bridged")
    during = await wait_agent(http, "104", state="in call")
    assert during["registration"] == "registered"
    await call_api(http, "POST", "/api/modify_call",
                   {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    await wait_ended(http, request_id)
    await wait_agent(http, "104", state="idle")


async def test_presence_is_unknown_while_the_pbx_is_away_and_listed_again_after(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings
) -> None:
    await asyncio.to_thread(stack.pbx.stop)
    try:
        async def unknown() -> dict[str, Any] | None:
            response = await agents(http)
            return response if response["presence"] == "unknown" else None

        response = await eventually(unknown, what="presence to become unknown")
        assert {(a["registration"], a["state"]) for a in response["result"]} == {
            ("unknown", "unknown")}
    finally:
        await asyncio.to_thread(stack.pbx.start)
        await asyncio.to_thread(stack.pbx.wait_ready)
        await asyncio.to_thread(stack.wait_agents_registered)
        await asyncio.to_thread(stack.wait_engine_ready)

    # Reconnected: the listing at connect says who is there, with no event needed.
    async def known() -> dict[str, Any] | None:
        response = await agents(http)
        return response if response["presence"] == "known" else None

    response = await eventually(known, timeout=30, what="presence to be known again")
    registered = {a["extension"] for a in response["result"]
                  if a["registration"] == "registered"}
    assert registered >= set(settings.simulated_agents)


async def test_a_multi_party_call_refuses_an_unregistered_agent_with_409_and_a_cdr(
    http: aiohttp.ClientSession, away_agent: str
) -> None:
    await wait_agent(http, away_agent, registration="unregistered")
    api = Api(http)
    phlo = await api.create()
    address = f"sip:{away_agent}"
    status, answer = await api.send("POST", f"{phlo.node}/", {
        "action": "call", "to": address, "role": "agent", "trigger_source": address})
    assert status == 409, answer
    assert set(answer) == {"api_id", "error"}
    assert f"agent extension {away_agent} is not registered" in answer["error"]
    assert (await api.details(phlo))["members"] == []  # nobody was dialled
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    status, body = await call_api(http, "POST", "/api/get_cdr_by_date", {
        "start_call_date": today, "end_call_date": today, "record_count": "50"})
    assert status == 200, body
    (row,) = [r for r in body["response"]["result"]
              if r["destination_context"] == f"multi_party_call:{phlo.node_id}"]
    assert (row["dial_status"], row["call_status"], row["hangup_cause"]) == (
        "CHANUNAVAIL", "FAILED", 20)
