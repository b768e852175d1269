"""Conferences on the real stack, driven at the ARI edge (no engine flow): the conference
executor acting in an ARI app of the test's own, with real carrier legs in the bridge.

The carrier records what each answered leg hears, so the mix is proven by ear: a 1xxx
line plays 1000 Hz, an agent 440 Hz, a 01xx line is (nearly) silent; the wait sound here
is an 800 Hz tone. The Plivo API path (answer_url XML, callbackUrl on a real webhook
server) is tests/integration/test_plivo_conference.py.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import time
import uuid
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from engine.ari.backoff import Backoff
from engine.ari.client import AriClient
from engine.ari.events import AriEvent, ChannelDestroyed, StasisStart
from engine.ari.stream import AriEventStream
from engine.calls.conference_ari import AriConferenceOps
from engine.calls.conferences import Conferences
from engine.calls.control import CallControl
from engine.devstack.stack import Stack
from engine.domain.commands import Dial, Hangup, JoinConference, Notify
from engine.domain.conference_roster import Room
from engine.domain.errors import NotFound
from engine.domain.events import CallEvent, ConferenceLeft
from engine.domain.numbers import Extension, External, Party
from engine.settings import Settings
from tests.integration.helpers import CALLER_ID, eventually, finished_recording, number

pytestmark = pytest.mark.integration
APP = "conference-probe"
SPEAKER, LISTENER = "1000", "0100"  # 1000 Hz; silent after a "hello"
AGENT = "101"  # 440 Hz
WAIT_TONE = "tone:800"


@dataclass
class Leg:
    channel_id: str
    number: str
    request_id: str
    # The carrier's calls of this number before this one (agents are shared by the suite).
    earlier: frozenset[str] = frozenset()


@dataclass
class Probe:
    client: AriClient
    control: CallControl
    conferences: Conferences
    heard: Path
    events: list[AriEvent] = field(default_factory=list)
    fed: list[tuple[str, CallEvent]] = field(default_factory=list)
    posted: list[Notify] = field(default_factory=list)

    async def leg(self, line: str) -> Leg:
        """An answered leg in this app: a carrier number ending in ``line``, or an agent."""
        request_id = uuid.uuid4().hex[:12]
        channel_id = f"{request_id}.1"
        party: Party = Extension(line) if len(line) == 3 else External(number(line))
        earlier = frozenset(self._answered(party.number))
        await self.control.execute(request_id, Dial(channel_id, party, CALLER_ID, 10))
        await eventually(self._seen(channel_id, StasisStart), what=f"{line} answered")
        return Leg(channel_id, party.number, request_id, earlier)

    def _answered(self, number: str) -> list[str]:
        """The carrier's uniqueids of ended answered calls to ``number`` (answered.log)."""
        log = self.heard / "answered.log"
        if not log.exists():
            return []
        return [line.split()[1] for line in log.read_text().splitlines()
                if len(line.split()) > 1 and line.split()[0] == number]

    async def join(self, leg: Leg, room: str, **options: object) -> None:
        await self.conferences.join(leg.request_id, JoinConference(
            leg.channel_id, room, account_id="acct", **options))  # type: ignore[arg-type]

    async def hang_up(self, *legs: Leg) -> None:
        for leg in legs:
            await self.control.execute(leg.request_id, Hangup(leg.channel_id))
        for leg in legs:
            await eventually(self._seen(leg.channel_id, ChannelDestroyed), what="hangup")

    def _seen(self, channel_id: str, kind: type) -> Callable[[], Awaitable[bool]]:
        async def probe() -> bool:
            return any(isinstance(e, kind) and _channel_id(e) == channel_id
                       for e in self.events)
        return probe

    async def entered(self, room: str, count: int) -> Room:
        async def probe() -> Room | None:
            found = self.conferences.roster.room(room)
            inside = [m for m in found.members.values() if m.entered] if found else []
            return found if len(inside) == count else None
        return await eventually(probe, what=f"{count} members in {room}")

    def left(self) -> list[str]:
        return [e.channel_id for _, e in self.fed if isinstance(e, ConferenceLeft)]

    async def recording(self, leg: Leg) -> Path:
        """What the carrier heard on ``leg``, once its call has ended there."""
        async def ended() -> list[str]:
            return [u for u in self._answered(leg.number) if u not in leg.earlier]
        (uniqueid,) = await eventually(ended, what=f"the carrier to close {leg.number}")
        return await finished_recording(self.heard / f"{leg.number}-{uniqueid}.wav")


def _channel_id(event: AriEvent) -> str:
    channel = getattr(event, "channel", None)
    return str(channel.id) if channel is not None else ""


def tone_level(path: Path, hz: float, start: float, end: float) -> float:
    """The amplitude of ``hz`` in seconds [start, end) of a 16-bit mono WAV (Goertzel)."""
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    window = samples[int(start * rate):int(end * rate)]
    if not window:
        return 0.0
    coefficient = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for sample in window:
        s1, s2 = sample + coefficient * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / len(window)


def length_of(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return float(wav.getnframes() / wav.getframerate())


@contextlib.asynccontextmanager
async def probe_app(settings: Settings) -> AsyncIterator[Probe]:
    password = settings.ari_password.get_secret_value()
    heard = settings.var_dir / "asterisk" / "carrier" / "spool" / "heard"
    async with aiohttp.ClientSession() as session:
        client = AriClient(session, settings.ari_url, settings.ari_user, password, APP)
        probe: Probe | None = None

        def deliver(event: AriEvent) -> None:
            assert probe is not None
            probe.events.append(event)
            probe.conferences.observe(event)

        stream = AriEventStream(session, settings.ari_url, settings.ari_user, password, APP,
                                backoff=Backoff(0.2, 1.0), deliver=deliver)
        fed: list[tuple[str, CallEvent]] = []
        posted: list[Notify] = []

        async def notify(request_id: str, command: Notify) -> None:
            posted.append(command)

        conferences = Conferences(AriConferenceOps(client),
                                  lambda rid, event: fed.append((rid, event)), notify=notify)
        control = CallControl(client, "carrier", lambda rid, event: fed.append((rid, event)))
        probe = Probe(client, control, conferences, heard, fed=fed, posted=posted)
        task = asyncio.create_task(stream.run())
        while not stream.connected:
            await asyncio.sleep(0.05)
        try:
            yield probe
        finally:
            task.cancel()
            await conferences.close()


@pytest.fixture(scope="module")
async def probe(stack: Stack, settings: Settings) -> AsyncIterator[Probe]:
    async with probe_app(settings) as app:
        yield app


async def bridge_gone(probe: Probe, bridge_id: str) -> bool:
    try:
        await probe.client._request("GET", f"/bridges/{bridge_id}")
    except NotFound:
        return True
    return False


def new_room() -> str:
    return f"acct-room-{uuid.uuid4().hex[:8]}"


async def test_three_members_hear_each_other_but_not_the_muted_one(probe: Probe) -> None:
    room = new_room()
    speaker, agent, listener = (await probe.leg(SPEAKER), await probe.leg(AGENT),
                                await probe.leg(LISTENER))
    await probe.join(speaker, room, callback_url="http://app.test/conf")
    await probe.join(agent, room, muted=True, callback_url="http://app.test/conf")
    await probe.join(listener, room, callback_url="http://app.test/conf")
    open_room = await probe.entered(room, 3)
    await asyncio.sleep(3)  # audio to hear
    await probe.hang_up(speaker, agent, listener)
    assert probe.conferences.roster.room(room) is None
    # The last one out closed the bridge (the roster's effects run a moment later).
    await eventually(lambda: bridge_gone(probe, open_room.bridge_id), what="the bridge gone")
    assert probe.left() == []  # all hung up: nobody is told

    heard = await probe.recording(listener)
    end = length_of(heard) - 0.3
    speaker_hz, agent_hz = (tone_level(heard, 1000, end - 2, end),
                            tone_level(heard, 440, end - 2, end))
    assert speaker_hz > 500 and agent_hz < speaker_hz / 20, (speaker_hz, agent_hz)
    # the muted member hears the others all the same
    heard_by_agent = await probe.recording(agent)
    end = length_of(heard_by_agent) - 0.3
    assert tone_level(heard_by_agent, 1000, end - 2, end) > 500

    events = [(n.params["ConferenceAction"], n.params["CallUUID"]) for n in probe.posted
              if n.params["ConferenceName"] == room.removeprefix("acct-")]
    members = {speaker.request_id, agent.request_id, listener.request_id}
    assert {rid for action, rid in events if action == "enter"} == members
    assert {rid for action, rid in events if action == "exit"} == members
    assert {n.params["ConferenceUUID"] for n in probe.posted} == {open_room.conference_uuid}


async def test_over_max_members_a_leg_is_refused_and_stays_up(probe: Probe) -> None:
    room = new_room()
    first, second, third = [await probe.leg(SPEAKER) for _ in range(3)]
    await probe.join(first, room, max_members=2)
    await probe.join(second, room, max_members=2)
    await probe.join(third, room, max_members=2)
    assert probe.left() == [third.channel_id]
    await probe.entered(room, 2)
    channel = await probe.client.get_channel(third.channel_id)  # refused, still up
    assert channel.state == "Up"
    await probe.hang_up(first, second, third)
    probe.fed.clear()


async def test_end_conference_on_exit_removes_everyone_who_stay_up(probe: Probe) -> None:
    room = new_room()
    moderator, a, b = [await probe.leg(SPEAKER) for _ in range(3)]
    await probe.join(moderator, room, end_on_exit=True)
    await probe.join(a, room)
    await probe.join(b, room)
    await probe.entered(room, 3)
    await probe.hang_up(moderator)

    async def both_told() -> bool:
        return sorted(probe.left()) == sorted([a.channel_id, b.channel_id])

    await eventually(both_told, what="the others to be told the conference ended")
    assert probe.conferences.roster.room(room) is None
    for leg in (a, b):
        assert (await probe.client.get_channel(leg.channel_id)).state == "Up"
    await probe.hang_up(a, b)
    probe.fed.clear()


async def test_waiting_members_hear_the_wait_sound_until_the_moderator_enters(
    probe: Probe,
) -> None:
    room = new_room()
    listener, agent = await probe.leg(LISTENER), await probe.leg(AGENT)
    await probe.join(listener, room, start_on_enter=False, wait_sound=WAIT_TONE)
    await probe.join(agent, room, start_on_enter=False)  # waits muted: not heard
    await probe.entered(room, 2)
    await asyncio.sleep(3)
    started_at = time.time()
    moderator = await probe.leg(SPEAKER)
    await probe.join(moderator, room)
    await probe.entered(room, 3)
    await asyncio.sleep(3)
    await probe.hang_up(listener, agent, moderator)
    ended_at = time.time()

    heard = await probe.recording(listener)
    end = length_of(heard) - 0.3
    # the last 2 s: the conference has started; before the moderator came: waiting
    started = {hz: tone_level(heard, hz, end - 2, end) for hz in (800, 440, 1000)}
    waiting_end = length_of(heard) - (ended_at - started_at)
    waiting = {hz: tone_level(heard, hz, waiting_end - 2, waiting_end) for hz in (800, 440)}
    assert waiting[800] > 500 and waiting[440] < waiting[800] / 20, waiting
    assert started[440] > 500 and started[1000] > 500, started
    assert started[800] < started[1000] / 20, started
