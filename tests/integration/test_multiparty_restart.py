"""A multi-party call outlives ``kill -9`` of the engine: its bridge and legs are
Asterisk's, so after the restart the engine takes its live members back (they stay
``connected``, their actions work) and the rules apply again: the last agent leaving still
ends the call, and the parties heard each other before and after the restart."""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import pytest

from engine.devstack.stack import Stack
from tests.integration.helpers import eventually, number
from tests.integration.multiparty_kit import Api, Ears, now
from tests.integration.test_multiparty import AGENT_HZ, CUSTOMER_HZ, ears, level

pytestmark = pytest.mark.integration
__all__ = ["ears"]  # the fixture
AGENT = "103"
SIP = f"sip:{AGENT}"


async def test_members_are_taken_back_after_kill_9_and_the_last_agent_still_ends_it(
    http: aiohttp.ClientSession, stack: Stack, ears: Ears,
) -> None:
    api = Api(http)
    phlo = await api.create()
    customer = number("1000")
    before = {n: ears.calls_to(n) for n in (AGENT, customer)}
    await api.add(phlo, SIP, "agent", SIP)
    await api.wait_member(phlo, SIP, "connected")
    await api.add(phlo, customer, "customer", SIP)
    await api.wait_member(phlo, f"+{customer}", "connected")
    joined = await api.members(phlo)

    pid = stack.engine_pid_file.read()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    stack.engine_pid_file.remove()
    await asyncio.to_thread(stack.start_engine)
    await asyncio.to_thread(stack.wait_engine_ready)
    restarted = now()

    await asyncio.sleep(3)
    talking_until = now()

    # Taken back: the member actions work again (hold answers 404 until then) ...
    async def held() -> bool:
        status, _ = await api.send("POST", f"{phlo.node}/members/+{customer}/",
                                   {"action": "hold"})
        return status == 200
    await eventually(held, timeout=20, what="the customer held after the restart")
    # ... and nobody was marked left meanwhile: the same members, with their join times.
    members = await api.members(phlo)
    assert members[SIP] == joined[SIP]
    assert {k: v for k, v in members[f"+{customer}"].items() if k != "state"} == {
        k: v for k, v in joined[f"+{customer}"].items() if k != "state"}
    assert members[f"+{customer}"]["state"] == "on hold"
    await api.act(phlo, f"+{customer}", "unhold")
    # The rules apply again: the last agent leaving ends the call.
    await api.act(phlo, SIP, "hangup")
    await api.wait_member(phlo, f"+{customer}", "left", timeout=30)
    assert {m["state"] for m in (await api.members(phlo)).values()} == {"left"}

    heard_agent = await ears.heard(AGENT, before[AGENT])
    heard_customer = await ears.heard(customer, before[customer])
    # They heard each other across the restart.
    assert level(heard_agent, CUSTOMER_HZ, restarted, talking_until) > 500
    assert level(heard_customer, AGENT_HZ, restarted, talking_until) > 500
