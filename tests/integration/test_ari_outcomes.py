"""The engine's ARI client and event stream against the real PBX: a raw originate through
the trunk gets exactly the outcome the carrier's number scheme prescribes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from engine.ari.backoff import Backoff
from engine.ari.client import AriClient
from engine.ari.events import AriEvent, ChannelDestroyed, ChannelStateChange
from engine.ari.stream import AriEventStream
from engine.devstack.stack import Stack
from engine.settings import Settings
from tests.integration.helpers import ANSWER, BUSY, CONGESTION, NOANSWER, UNREACHABLE, number

pytestmark = pytest.mark.integration
APP = "outcome-probe"


@pytest.fixture(scope="module")
async def probe(
    stack: Stack, settings: Settings
) -> AsyncIterator[tuple[AriClient, asyncio.Queue[AriEvent]]]:
    events: asyncio.Queue[AriEvent] = asyncio.Queue()
    password = settings.ari_password.get_secret_value()
    async with aiohttp.ClientSession() as session:
        client = AriClient(session, settings.ari_url, settings.ari_user, password, APP)
        stream = AriEventStream(session, settings.ari_url, settings.ari_user, password, APP,
                                backoff=Backoff(0.2, 1.0), deliver=events.put_nowait)
        task = asyncio.create_task(stream.run())
        while not stream.connected:
            await asyncio.sleep(0.05)
        yield client, events
        task.cancel()


async def outcome(client: AriClient, events: asyncio.Queue[AriEvent], line: str,
                  channel_id: str) -> tuple[bool, int]:
    """(answered, hangup cause) of an originate to a carrier number ending in ``line``."""
    await client.originate(f"PJSIP/{number(line)}@carrier", channel_id, app_args="probe",
                           caller_id="15168148111", timeout=3)
    answered = False
    while True:
        event = await asyncio.wait_for(events.get(), timeout=15)
        channel = getattr(event, "channel", None)
        if channel is None or channel.id != channel_id:
            continue
        if isinstance(event, ChannelStateChange) and event.channel.state == "Up":
            answered = True
            await client.hangup(channel_id)
        if isinstance(event, ChannelDestroyed):
            return answered, event.cause


@pytest.mark.parametrize(("line", "answered", "causes"), [
    (ANSWER, True, {16}),
    (BUSY, False, {17}),
    (NOANSWER, False, {19}),
    (CONGESTION, False, {34}),
    (UNREACHABLE, False, {1}),
])
async def test_originate_through_the_trunk_gets_the_prescribed_outcome(
    probe: tuple[AriClient, asyncio.Queue[AriEvent]], line: str, answered: bool,
    causes: set[int],
) -> None:
    client, events = probe
    result = await outcome(client, events, line, f"probe-{line}")
    assert result[0] is answered
    assert result[1] in causes
