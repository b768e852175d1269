"""The conference executor: decisions carried out in order, legs told when they leave.

A narrow unit test with a recording stand-in for ARI; the real behaviour on Asterisk is
proven by tests/integration/test_plivo_conference.py.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any

from engine.ari.events import AriEvent, parse_event
from engine.ari.models import Channel
from engine.calls.conferences import Conferences
from engine.domain.commands import JoinConference, Notify
from engine.domain.errors import NotFound
from engine.domain.events import CallEvent, ConferenceLeft

BRIDGE = "conference-acct-room"
WAIT, BEEP = "conference-wait-", "conference-beep-"
NOW = "2026-01-01T00:00:00.000+0000"


class RecordingAri:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.gone: set[str] = set()

    async def create_bridge(self, bridge_id: str, bridge_type: str) -> object:
        self.calls.append(("create", bridge_id))
        return None

    async def destroy_bridge(self, bridge_id: str) -> None:
        self.calls.append(("destroy", bridge_id))

    async def add_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        if channel_ids[0] in self.gone:
            raise NotFound("gone")
        self.calls.append(("add", bridge_id, *channel_ids))

    async def remove_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        self.calls.append(("remove", bridge_id, *channel_ids))

    async def get_channel(self, channel_id: str) -> Channel:
        if channel_id in self.gone:
            raise NotFound("gone")
        return Channel.model_validate(_channel(channel_id))

    async def mute(self, channel_id: str, direction: str) -> None:
        self.calls.append(("mute", channel_id, direction))

    async def unmute(self, channel_id: str, direction: str) -> None:
        self.calls.append(("unmute", channel_id, direction))

    async def play_bridge(self, bridge_id: str, media: Sequence[str] | str,
                          playback_id: str) -> None:
        self.calls.append(("play", bridge_id, str(media), playback_id))

    async def stop_playback(self, playback_id: str) -> None:
        self.calls.append(("stop", playback_id))

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None) -> None:
        self.calls.append(("moh", bridge_id, moh_class or ""))

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        self.calls.append(("moh-stop", bridge_id))


def _channel(channel_id: str) -> dict[str, Any]:
    return {"id": channel_id, "name": f"PJSIP/{channel_id}", "state": "Up",
            "creationtime": NOW}


def event(kind: str, channel_id: str = "", **more: Any) -> AriEvent:
    data: dict[str, Any] = {"type": kind, "application": "cpaas", "timestamp": NOW, **more}
    if channel_id:
        data["channel"] = _channel(channel_id)
    if kind in ("ChannelEnteredBridge", "ChannelLeftBridge"):
        data["bridge"] = {"id": BRIDGE}
    if kind == "ChannelDestroyed":
        data.update(cause=16, cause_txt="Normal Clearing")
    return parse_event(data)


def finished(playback_id: str, media: str, state: str = "done") -> AriEvent:
    return event("PlaybackFinished", playback={
        "id": playback_id, "media_uri": media, "target_uri": f"bridge:{BRIDGE}",
        "state": state})


class Harness:
    def __init__(self, **options: Any) -> None:
        self.ari = RecordingAri()
        self.told: list[tuple[str, CallEvent]] = []
        self.posted: list[Notify] = []
        ids = itertools.count(1)

        async def notify(request_id: str, command: Notify) -> None:
            self.posted.append(command)

        options.setdefault("still_up_grace", 0.0)
        self.conferences = Conferences(
            self.ari, lambda rid, e: self.told.append((rid, e)), notify=notify,
            new_id=lambda: f"id{next(ids)}", stasis_pauses=(), **options)

    async def join(self, channel_id: str, **options: Any) -> None:
        command = JoinConference(channel_id, "acct-room", account_id="acct", **options)
        await self.conferences.join(channel_id.split(".", maxsplit=1)[0], command)

    async def see(self, *events: AriEvent) -> None:
        for e in events:
            self.conferences.observe(e)
        for _ in range(5):  # let the queued work run
            await asyncio.sleep(0)

    def left(self) -> list[str]:
        return [e.channel_id for _, e in self.told if isinstance(e, ConferenceLeft)]


async def test_a_conference_opens_plays_its_wait_sound_beeps_and_closes() -> None:
    h = Harness()
    await h.join("a.1", wait_sound="sound:hold", callback_url="http://app/conf")
    await h.see(event("ChannelEnteredBridge", "a.1"))
    await h.join("b.1", beep=True)
    await h.see(event("ChannelEnteredBridge", "b.1"),
                finished("conference-wait-id2", "sound:hold", "canceled"))
    assert h.ari.calls == [
        ("create", BRIDGE), ("add", BRIDGE, "a.1"), ("play", BRIDGE, "sound:hold", WAIT + "id2"),
        ("add", BRIDGE, "b.1"), ("stop", WAIT + "id2"),
        ("play", BRIDGE, "sound:beep", BEEP + "id3"),
    ]
    await h.see(event("ChannelHangupRequest", "b.1"), event("ChannelLeftBridge", "b.1"),
                event("ChannelDestroyed", "b.1"))
    await h.see(event("ChannelHangupRequest", "a.1"), event("ChannelLeftBridge", "a.1"))
    assert h.ari.calls[6:] == [("play", BRIDGE, "sound:beep", BEEP + "id4"),
                               ("play", BRIDGE, "sound:hold", WAIT + "id5"),
                               ("destroy", BRIDGE)]
    assert h.left() == []  # both hung up: nobody to tell
    assert [(n.kind, n.params["ConferenceAction"]) for n in h.posted] == [
        ("conference", "enter"), ("conference", "exit")]


async def test_the_wait_sound_loops_until_it_is_stopped() -> None:
    h = Harness()
    await h.join("a.1", wait_sound="sound:hold")
    await h.see(event("ChannelEnteredBridge", "a.1"))
    await h.see(finished(WAIT + "id2", "sound:hold"), finished("other", "sound:hold"))
    await h.see(finished(WAIT + "id3", "sound:hold", "failed"),
                finished(WAIT + "id3", "sound:hold"))
    plays = [c for c in h.ari.calls if c[0] == "play"]
    assert [p[3] for p in plays] == [WAIT + "id2", WAIT + "id3"]  # replayed, then failed


async def test_refused_and_kicked_legs_are_told_hung_up_ones_are_not() -> None:
    h = Harness()
    await h.join("mod.1", end_on_exit=True, max_members=3)
    await h.join("b.1", max_members=3)
    await h.join("c.1", max_members=3)
    await h.join("d.1", max_members=3)
    assert h.left() == ["d.1"]  # refused at once
    await h.see(*(event("ChannelEnteredBridge", c) for c in ("mod.1", "b.1", "c.1")))
    await h.see(event("ChannelHangupRequest", "mod.1"), event("ChannelLeftBridge", "mod.1"))
    assert ("remove", BRIDGE, "b.1") in h.ari.calls and ("remove", BRIDGE, "c.1") in h.ari.calls
    await h.see(event("ChannelLeftBridge", "b.1"), event("ChannelHangupRequest", "c.1"),
                event("ChannelLeftBridge", "c.1"))
    assert h.left() == ["d.1", "b.1"]
    assert h.ari.calls[-1] == ("destroy", BRIDGE)


async def test_a_leg_that_left_on_its_own_is_told_only_if_still_up() -> None:
    h = Harness()
    await h.join("a.1")
    await h.join("b.1")
    await h.see(event("ChannelEnteredBridge", "a.1"), event("ChannelEnteredBridge", "b.1"))
    await h.see(event("ChannelLeftBridge", "a.1"))  # moved away by someone else: up
    h.ari.gone.add("b.1")
    await h.see(event("ChannelLeftBridge", "b.1"))  # no hangup request seen, but gone
    assert h.left() == ["a.1"]


async def test_a_leg_gone_before_it_could_join_leaves_no_trace() -> None:
    h = Harness()
    h.ari.gone.add("a.1")
    await h.join("a.1", muted=True)
    await asyncio.sleep(0)
    assert h.ari.calls == [("create", BRIDGE), ("mute", "a.1", "in"), ("destroy", BRIDGE)]
    assert h.left() == [] and h.conferences.roster.rooms() == []


async def test_music_on_hold_and_fetched_wait_sounds() -> None:
    fetched: list[str] = []

    async def prepare(url: str) -> str:
        fetched.append(url)
        return "sound:/var/media/x"

    h = Harness(prepare_media=prepare)
    await h.join("a.1", wait_sound="moh:jazz")
    await h.see(event("ChannelEnteredBridge", "a.1"))
    await h.join("b.1")
    await h.see(event("ChannelEnteredBridge", "b.1"))
    assert h.ari.calls[-2:] == [("add", BRIDGE, "b.1"), ("moh-stop", BRIDGE)]
    assert ("moh", BRIDGE, "jazz") in h.ari.calls
    await h.see(event("ChannelHangupRequest", "a.1"), event("ChannelLeftBridge", "a.1"),
                event("ChannelHangupRequest", "b.1"), event("ChannelLeftBridge", "b.1"))
    await h.join("c.1", wait_sound="https://media.example/hold.mp3")
    await h.see(event("ChannelEnteredBridge", "c.1"))
    assert fetched == ["https://media.example/hold.mp3"]
    assert h.ari.calls[-1][:3] == ("play", BRIDGE, "sound:/var/media/x")


async def test_a_leg_back_in_a_conference_is_not_told_it_left_the_old_stay() -> None:
    h = Harness(still_up_grace=0.01)
    await h.join("a.1")
    await h.join("b.1")
    await h.see(event("ChannelEnteredBridge", "a.1"), event("ChannelEnteredBridge", "b.1"))
    await h.see(event("ChannelLeftBridge", "a.1"))  # a transfer took it out…
    await h.join("a.1")  # …and its new document joins the room again
    await asyncio.sleep(0.05)
    assert h.left() == []
