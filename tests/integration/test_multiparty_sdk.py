"""Plivo's own Python SDK, its PHLO client pointed at the engine, drives a multi-party call:
it fetches the phlo and its multi-party call node, adds an agent and a customer, holds and
hangs members up. The phlo itself is made through the engine's API (Plivo makes it in its
console)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import plivo
import pytest
from plivo.rest import phlo_client

from engine.ari.query import basic_auth_header
from tests.integration.helpers import CALLER_ID, eventually, number
from tests.integration.stack import BASE_URL
from tests.integration.test_plivo_sdk import AUTH_ID, AUTH_TOKEN, ensure_account

pytestmark = pytest.mark.integration


@pytest.fixture
def phlos(monkeypatch: pytest.MonkeyPatch, stack: object) -> Iterator[Any]:
    """Plivo's PHLO client with its base URL (a module constant) pointed at the engine."""
    ensure_account()
    monkeypatch.setattr(phlo_client, "PHLO_API_BASE_URI", f"{BASE_URL}/v1")
    yield plivo.phlo.RestClient(AUTH_ID, AUTH_TOKEN)


async def _members(http: aiohttp.ClientSession, path: str) -> dict[str, str]:
    async with http.get(path, headers=basic_auth_header(AUTH_ID, AUTH_TOKEN)) as r:
        body: dict[str, Any] = await r.json()
        assert r.status == 200, body
    return {m["address"]: m["state"] for m in body["members"]}


async def test_plivos_sdk_adds_members_to_a_multi_party_call_of_the_engine(
    phlos: Any, http: aiohttp.ClientSession,
) -> None:
    auth = basic_auth_header(AUTH_ID, AUTH_TOKEN)
    async with http.post("/v1/phlo/", json={"name": "sdk", "caller_id": CALLER_ID},
                         headers=auth) as r:
        made = await r.json()
        assert r.status == 201, made
    phlo_id, node_id = made["phlo_id"], made["node_id"]
    path = f"/v1/phlo/{phlo_id}/multi_party_call/{node_id}/"

    phlo = await asyncio.to_thread(phlos.phlo.get, phlo_id)
    assert phlo.phlo_id == phlo_id
    node = await asyncio.to_thread(phlo.multi_party_call, node_id)
    assert node.node_id == node_id and node.node_type == "multi_party_call"

    answer = await asyncio.to_thread(node.call, "sip:101", "sip:101@pbx", "agent")
    assert answer.error == "" and answer.api_id

    async def connected(address: str) -> bool:
        return (await _members(http, path)).get(address) == "connected"
    await eventually(lambda: connected("sip:101"), what="the agent to connect")

    customer = number("1000")
    answer = await asyncio.to_thread(phlos.phlo.multi_party_call, phlo_id, node_id, "call",
                                     trigger_source="sip:101", to=f"+{customer}",
                                     role="customer")
    assert answer.error == ""
    await eventually(lambda: connected(f"+{customer}"), what="the customer to connect")

    held = await asyncio.to_thread(lambda: node.member(f"+{customer}").hold())
    assert held.error == ""
    assert (await _members(http, path))[f"+{customer}"] == "on hold"
    # A refusal reaches the SDK as its own exception (409: not a connected agent).
    with pytest.raises(plivo.exceptions.PlivoRestError):
        await asyncio.to_thread(node.call, f"+{customer}", "sip:102", "agent")

    await asyncio.to_thread(lambda: node.member("sip:101").hangup())

    async def all_left() -> bool:
        return set((await _members(http, path)).values()) == {"left"}
    await eventually(all_left, timeout=30, what="the last agent's leaving to end the call")
