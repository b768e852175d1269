"""Answering-machine detection on the real stack, driven at the ARI edge (no engine flow):
call control sends an answered leg through the PBX's "amd" context, the carrier's person
and answering machine get their verdicts, and translate turns what comes back into exactly
the domain events the call must see."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest

from engine.ami.client import AmiClient
from engine.ari.backoff import Backoff
from engine.ari.client import AriClient
from engine.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelVarset,
    StasisEnd,
    StasisStart,
)
from engine.ari.stream import AriEventStream
from engine.calls.control import CallControl
from engine.calls.translate import translate
from engine.devstack.stack import Stack
from engine.domain.commands import DetectMachine, Dial, Hangup
from engine.domain.events import CallEvent, LegAnswered, LegGone, MachineVerdict
from engine.domain.numbers import External
from engine.settings import Settings
from tests.integration.helpers import CALLER_ID, number

pytestmark = pytest.mark.integration
APP = "amd-probe"
PERSON, MACHINE = "0100", "0200"


@dataclass
class Probe:
    """An ARI app of the test's own, with the engine's call control acting in it."""

    client: AriClient
    control: CallControl
    events: asyncio.Queue[AriEvent]
    fed: list[tuple[str, CallEvent]] = field(default_factory=list)
    last_number: str = ""  # the carrier number :meth:`dial` dialled last

    async def next_event(self, channel_id: str, want: Callable[[AriEvent], bool],
                         seen: list[AriEvent] | None = None, timeout: float = 15) -> AriEvent:
        """The next event about ``channel_id`` that ``want`` accepts; every event about
        it on the way goes to ``seen``."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.events.get()
                channel = getattr(event, "channel", None)
                if channel is None or channel.id != channel_id:
                    continue
                if seen is not None:
                    seen.append(event)
                if want(event):
                    return event

    async def dial(self, line: str, caller_name: str = "",
                   sip_headers: tuple[tuple[str, str], ...] = ()) -> str:
        """Dial a carrier number ending in ``line`` through call control; its channel id."""
        channel_id = f"probe-{uuid.uuid4().hex[:12]}"
        self.last_number = number(line)
        await self.control.execute("probe", Dial(
            channel_id, External(self.last_number), CALLER_ID, 10, caller_name=caller_name,
            sip_headers=sip_headers))
        return channel_id

    async def answered_leg(self, line: str, caller_name: str = "",
                           sip_headers: tuple[tuple[str, str], ...] = ()) -> str:
        """:meth:`dial`, then wait until the leg is answered and in this app."""
        channel_id = await self.dial(line, caller_name, sip_headers)
        await self.next_event(channel_id, lambda e: isinstance(e, StasisStart))
        return channel_id

    async def detect(self, channel_id: str, total_ms: int = 5000) -> list[AriEvent]:
        """Run DetectMachine on the leg (bringing it back to this app, not the engine's);
        every event about the leg until it is back in Stasis or gone."""
        await self.client.set_variable(channel_id, "AMD_APP", self.client.app)
        await self.control.execute("probe", DetectMachine(channel_id, total_ms))
        seen: list[AriEvent] = []
        await self.next_event(channel_id, lambda e: isinstance(e, StasisStart | ChannelDestroyed),
                              seen, timeout=20)
        return seen


@contextlib.asynccontextmanager
async def probe_app(settings: Settings, app: str = APP) -> AsyncIterator[Probe]:
    """An ARI app of the test's own, listening, with call control acting in it."""
    events: asyncio.Queue[AriEvent] = asyncio.Queue()
    password = settings.ari_password.get_secret_value()
    async with aiohttp.ClientSession() as session:
        client = AriClient(session, settings.ari_url, settings.ari_user, password, app)
        stream = AriEventStream(session, settings.ari_url, settings.ari_user, password, app,
                                backoff=Backoff(0.2, 1.0), deliver=events.put_nowait)
        ami = AmiClient(settings.ami_host, settings.ami_port, settings.ami_user,
                        settings.ami_password.get_secret_value(), backoff=Backoff(0.2, 1.0))
        tasks = [asyncio.create_task(stream.run()), asyncio.create_task(ami.run())]
        while not (stream.connected and ami.connected):
            await asyncio.sleep(0.05)
        fed: list[tuple[str, CallEvent]] = []
        control = CallControl(client, "carrier", lambda rid, event: fed.append((rid, event)),
                              ami=ami)
        try:
            yield Probe(client, control, events, fed)
        finally:
            for task in tasks:
                task.cancel()


@pytest.fixture(scope="module")
async def probe(stack: Stack, settings: Settings) -> AsyncIterator[Probe]:
    async with probe_app(settings) as app:
        yield app


def domain_events(seen: list[AriEvent]) -> list[CallEvent]:
    return [event for ari_event in seen for event in translate(ari_event)]


async def verdict_of(probe: Probe, line: str, total_ms: int = 5000) -> MachineVerdict:
    leg = await probe.answered_leg(line)
    seen = await probe.detect(leg, total_ms)
    # The leg left the app for the dialplan (StasisEnd, which means nothing to the call),
    # then came back with the verdict, which is all the call hears: no second answer.
    assert [type(e) for e in seen if isinstance(e, StasisEnd | StasisStart)] == [
        StasisEnd, StasisStart]
    assert translate(next(e for e in seen if isinstance(e, StasisEnd))) == []
    events = domain_events(seen)
    assert not any(isinstance(e, LegAnswered | LegGone) for e in events), events
    verdict = events[-1]
    assert isinstance(verdict, MachineVerdict)
    assert verdict.channel_id == leg and verdict.at is not None
    # Back in Stasis and still explicitly subscribed, the leg's events come once each.
    await probe.client.set_variable(leg, "AFTER_AMD", "1")
    after: list[AriEvent] = []
    await probe.next_event(leg, lambda e: isinstance(e, ChannelVarset)
                           and e.variable == "AFTER_AMD", after)
    await probe.control.execute("probe", Hangup(leg))
    await probe.next_event(leg, lambda e: isinstance(e, ChannelDestroyed), after)
    assert [e for e in after if isinstance(e, ChannelVarset) and e.variable == "AFTER_AMD"
            ] == after[:1]
    assert sum(isinstance(e, ChannelDestroyed) for e in after) == 1
    return verdict


async def test_a_person_saying_hello_is_human(probe: Probe) -> None:
    verdict = await verdict_of(probe, PERSON)
    assert (verdict.machine, verdict.status) == (False, "HUMAN"), verdict
    assert verdict.cause.startswith("HUMAN-"), verdict


async def test_an_answering_machine_is_a_machine(probe: Probe) -> None:
    verdict = await verdict_of(probe, MACHINE)
    assert (verdict.machine, verdict.status) == (True, "MACHINE"), verdict
    assert verdict.cause.split("-")[0] in {"LONGGREETING", "MAXWORDS"}, verdict


async def test_the_total_analysis_time_is_the_commands(probe: Probe) -> None:
    # The person waits a second before speaking: one second of analysis ends undecided.
    verdict = await verdict_of(probe, PERSON, total_ms=1000)
    assert (verdict.machine, verdict.status) == (False, "NOTSURE"), verdict
    assert verdict.cause.startswith("TOOLONG-"), verdict


async def test_the_far_end_hanging_up_during_detection_reaches_the_call(probe: Probe) -> None:
    leg = await probe.answered_leg("7001")  # answers, then hangs up after a second
    seen = await probe.detect(leg)
    events = domain_events(seen)
    assert isinstance(seen[-1], ChannelDestroyed)
    assert not any(isinstance(e, MachineVerdict | LegAnswered) for e in events), events
    gone = events[-1]
    assert isinstance(gone, LegGone) and gone.channel_id == leg and gone.cause == 16


async def test_hanging_up_during_detection_reaches_the_call(probe: Probe) -> None:
    leg = await probe.answered_leg(MACHINE)
    await probe.client.set_variable(leg, "AMD_APP", probe.client.app)
    await probe.control.execute("probe", DetectMachine(leg, 5000))
    seen: list[AriEvent] = []
    await probe.next_event(leg, lambda e: isinstance(e, StasisEnd), seen)
    await probe.control.execute("probe", Hangup(leg))  # out of Stasis, in AMD
    await probe.next_event(leg, lambda e: isinstance(e, StasisStart | ChannelDestroyed), seen)
    assert isinstance(seen[-1], ChannelDestroyed)
    events = domain_events(seen)
    assert not any(isinstance(e, MachineVerdict) for e in events), events
    assert isinstance(events[-1], LegGone) and events[-1].channel_id == leg
    assert probe.fed == []  # nothing failed at the edge
