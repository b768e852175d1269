"""Conferences at the edge: the JoinConference executor and the roster it keeps.

One ARI mixing bridge per conference (``conference-<account>-<name>``), created on the
first join and destroyed when the last member leaves. The roster (``conference_roster``)
decides; this module carries its decisions out on Asterisk, in order, one room at a time.

Joins and leaves are learnt from ARI events: the daemon hands every event of the stream to
``observe`` (synchronous), and the stream must let ``CONFERENCE_EVENT_TYPES`` through.
A member removed while still up gets ConferenceLeft through ``feedback`` (so its program
goes on, with the Conference's action if it has one); a member whose channel hangs up
just leaves. Enter/exit events go to the member's callbackUrl as ``Notify`` commands
through the injected ``notify`` (the durable webhook delivery). An http(s) wait sound is
turned into a media URI by the injected ``prepare_media`` (the SSRF-safe media fetcher).

The roster lives in this process only: with several engine processes, members of one
conference must be routed to the same process, and a restarted engine does not know the
rooms it had (their bridges stay in Asterisk; their members' calls are settled by the
call's own reconciliation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from engine.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelLeftBridge,
    PlaybackFinished,
)
from engine.calls.conference_ari import ConferenceAri
from engine.calls.control import BRIDGE_TYPE, STASIS_READY_PAUSES, in_stasis
from engine.calls.executors import CommandExecutors, Feedback
from engine.domain.commands import DestroyBridge, JoinConference, Notify
from engine.domain.conference_roster import (
    BEEP,
    Admitted,
    Beep,
    Callback,
    CheckStillUp,
    CreateBridge,
    Effect,
    Kick,
    MuteIn,
    Roster,
    StartWaitSound,
    StopWaitSound,
    TellLeft,
    UnmuteIn,
    bridge_id_of,
)
from engine.domain.errors import Conflict, EngineError, NotFound
from engine.domain.events import ConferenceLeft

log = logging.getLogger(__name__)

# The ARI events ``observe`` needs; the stream must pass them (beside the router's own).
CONFERENCE_EVENT_TYPES = frozenset({
    "ChannelEnteredBridge", "ChannelLeftBridge", "ChannelHangupRequest", "ChannelDestroyed",
    "PlaybackFinished",
})
# A leg that left the bridge while nobody here removed it is told it left only if, after
# this pause, its channel is neither hanging up nor gone.
STILL_UP_GRACE_SECONDS = 0.5

PrepareMedia = Callable[[str], Awaitable[str]]
NotifyHook = Callable[[str, Notify], Coroutine[Any, Any, None]]
# Another feature's bridges (multi-party calls) may take a join first: True if it did.
Divert = Callable[[str, JoinConference], Awaitable[bool]]
Observer = Callable[[AriEvent], None]


def _is_moh(media: str) -> bool:
    return media == "moh" or media.startswith("moh:")


def _is_url(media: str) -> bool:
    return media.startswith(("http://", "https://"))


class Conferences:
    """Executes JoinConference and keeps the live conferences of this process."""

    def __init__(
        self, ari: ConferenceAri, feedback: Feedback, *,
        notify: NotifyHook | None = None, prepare_media: PrepareMedia | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        still_up_grace: float = STILL_UP_GRACE_SECONDS,
        stasis_pauses: tuple[float, ...] = STASIS_READY_PAUSES,
    ) -> None:
        self._ari = ari
        self._feedback = feedback
        self._notify = notify
        self._prepare_media = prepare_media
        self._new_id = new_id
        self._grace = still_up_grace
        self._stasis_pauses = stasis_pauses
        self.roster = Roster(new_id)
        self._tails: dict[str, asyncio.Task[None]] = {}  # last job queued per bridge
        self._tasks: set[asyncio.Task[None]] = set()
        self._wait_playback: dict[str, str] = {}  # bridge -> its wait sound's playback
        self._wait_uri: dict[str, str] = {}  # bridge -> the media URI it loops
        self._prepared: dict[str, str] = {}  # http(s) wait sound -> media URI
        self._checks: dict[str, bool] = {}  # channel -> gone, while its leave is checked
        self._divert: Divert | None = None
        self._divert_observer: Observer | None = None

    def register(self, executors: CommandExecutors) -> None:
        executors.register(JoinConference, self.join)

    def divert_to(self, divert: Divert, observe: Observer | None = None) -> None:
        """Offer every join to ``divert`` first (multi-party calls' legs are its own), and
        every ARI event ``observe`` gets to ``observe`` too."""
        self._divert = divert
        self._divert_observer = observe

    # ---- the command --------------------------------------------------------------

    async def join(self, request_id: str, command: JoinConference) -> None:
        """Admit the leg or refuse it at once (ConferenceLeft: its program goes on)."""
        if self._divert is not None and await self._divert(request_id, command):
            return
        decision = self.roster.admit(request_id, command)
        if not isinstance(decision, Admitted):
            log.info("conference join refused", extra={
                "conference": command.conference, "channel": command.channel_id,
                "reason": decision.reason})
            self._feedback(request_id, ConferenceLeft(command.channel_id, datetime.now(UTC)))
            return
        bridge_id = bridge_id_of(command.conference)
        await self._queue(bridge_id, self._enter(request_id, command, decision.effects))

    async def _enter(self, request_id: str, command: JoinConference,
                     effects: list[Effect]) -> None:
        for effect in effects:
            await self._carry_out(effect)
        bridge_id = bridge_id_of(command.conference)
        try:
            await self._in_stasis(
                lambda: self._ari.add_channels(bridge_id, [command.channel_id]))
        except EngineError as exc:
            log.warning("joining the conference failed", extra={
                "conference": command.conference, "channel": command.channel_id,
                "error": exc.message})
            for effect in self.roster.join_failed(command.channel_id):
                await self._carry_out(effect)
            self._check_still_up(request_id, command.channel_id, grace=0.0)

    # ---- ARI events -----------------------------------------------------------------

    def observe(self, event: AriEvent) -> None:
        """Learn joins and leaves from one ARI event (every event may be handed in)."""
        if self._divert_observer is not None:
            self._divert_observer(event)
        if isinstance(event, ChannelEnteredBridge):
            if event.channel is not None:
                self._decided(event.bridge.id,
                              self.roster.entered(event.channel.id, event.bridge.id))
        elif isinstance(event, ChannelLeftBridge):
            self._decided(event.bridge.id,
                          self.roster.left_bridge(event.channel.id, event.bridge.id))
        elif isinstance(event, ChannelHangupRequest | ChannelDestroyed):
            channel_id = event.channel.id
            if channel_id in self._checks:
                self._checks[channel_id] = True
            if isinstance(event, ChannelHangupRequest):
                self.roster.hangup_requested(channel_id)
                return
            room = self.roster.room_of(channel_id)
            if room is not None:
                self._decided(room.bridge_id, self.roster.destroyed(channel_id))
        elif isinstance(event, PlaybackFinished):
            self._wait_sound_finished(event)

    def _decided(self, bridge_id: str, effects: list[Effect]) -> None:
        if effects:
            self._queue(bridge_id, self._carry_out_all(effects))

    def _wait_sound_finished(self, event: PlaybackFinished) -> None:
        playback = event.playback
        kind, bridge_id = playback.target
        if kind != "bridge" or self._wait_playback.get(bridge_id) != playback.id:
            return
        if playback.state == "failed":
            log.warning("conference wait sound failed", extra={
                "bridge": bridge_id, "media": playback.media_uri})
            self._wait_playback.pop(bridge_id, None)
            return
        self._queue(bridge_id, self._replay_wait(bridge_id, playback.id))

    async def _replay_wait(self, bridge_id: str, finished: str) -> None:
        uri = self._wait_uri.get(bridge_id)
        if self._wait_playback.get(bridge_id) != finished or uri is None:
            return  # stopped meanwhile
        await self._guarded(self._play_wait(bridge_id, uri))

    # ---- carrying decisions out -------------------------------------------------------

    async def _carry_out_all(self, effects: list[Effect]) -> None:
        for effect in effects:
            await self._carry_out(effect)

    async def _carry_out(self, effect: Effect) -> None:
        await self._guarded(self._effect(effect))

    async def _guarded(self, action: Coroutine[Any, Any, None]) -> None:
        try:
            await action
        except NotFound:
            log.debug("conference target already gone")
        except EngineError as exc:
            log.warning("conference action failed", extra={"error": exc.message})

    async def _effect(self, effect: Effect) -> None:
        ari = self._ari
        match effect:
            case CreateBridge(bridge_id):
                # After an engine restart the bridge may be left in Asterisk: use it.
                with contextlib.suppress(Conflict):
                    await ari.create_bridge(bridge_id, BRIDGE_TYPE)
            case MuteIn(channel_id):
                await ari.mute(channel_id, "in")
            case UnmuteIn(channel_id):
                await ari.unmute(channel_id, "in")
            case Beep(bridge_id):
                await ari.play_bridge(bridge_id, BEEP, f"conference-beep-{self._new_id()}")
            case StartWaitSound(bridge_id, media):
                await self._start_wait(bridge_id, media)
            case StopWaitSound(bridge_id, media):
                await self._stop_wait(bridge_id, media)
            case Kick(bridge_id, channel_id):
                await ari.remove_channels(bridge_id, [channel_id])
            case DestroyBridge(bridge_id):
                self._wait_playback.pop(bridge_id, None)
                self._wait_uri.pop(bridge_id, None)
                await ari.destroy_bridge(bridge_id)
            case TellLeft(request_id, channel_id):
                self._feedback(request_id, ConferenceLeft(channel_id, datetime.now(UTC)))
            case CheckStillUp(request_id, channel_id):
                self._check_still_up(request_id, channel_id, grace=self._grace)
            case Callback():
                self._post(effect)

    async def _start_wait(self, bridge_id: str, media: str) -> None:
        if _is_moh(media):
            _, _, moh_class = media.partition(":")
            await self._ari.start_bridge_moh(bridge_id, moh_class or None)
            return
        uri = await self._media_uri(media)
        if uri:
            self._wait_uri[bridge_id] = uri
            await self._play_wait(bridge_id, uri)

    async def _play_wait(self, bridge_id: str, uri: str) -> None:
        playback_id = f"conference-wait-{self._new_id()}"
        self._wait_playback[bridge_id] = playback_id
        await self._ari.play_bridge(bridge_id, uri, playback_id)

    async def _stop_wait(self, bridge_id: str, media: str) -> None:
        if _is_moh(media):
            await self._ari.stop_bridge_moh(bridge_id)
            return
        self._wait_uri.pop(bridge_id, None)
        playback_id = self._wait_playback.pop(bridge_id, None)
        if playback_id is not None:
            await self._ari.stop_playback(playback_id)

    async def _media_uri(self, media: str) -> str:
        """A media URI the PBX plays; "" when there is none to play."""
        if not _is_url(media):
            return media
        if media in self._prepared:
            return self._prepared[media]
        if self._prepare_media is None:
            log.warning("an http(s) wait sound needs the media fetcher; none is wired",
                        extra={"url": media})
            return ""
        try:
            uri = await self._prepare_media(media)
        except EngineError as exc:
            log.warning("fetching the wait sound failed",
                        extra={"url": media, "error": exc.message})
            return ""
        self._prepared[media] = uri
        return uri

    def _post(self, callback: Callback) -> None:
        if self._notify is None:
            log.warning("conference callback dropped: no webhook delivery is wired",
                        extra={"url": callback.url})
            return
        notify = Notify(callback.account_id, callback.request_id, "conference",
                        callback.url, callback.method, dict(callback.params))
        self._spawn(self._notify(callback.request_id, notify))

    def _check_still_up(self, request_id: str, channel_id: str, *, grace: float) -> None:
        self._checks.setdefault(channel_id, False)
        self._spawn(self._tell_if_up(request_id, channel_id, grace))

    async def _tell_if_up(self, request_id: str, channel_id: str, grace: float) -> None:
        try:
            if grace:
                await asyncio.sleep(grace)
            if self._checks.get(channel_id) or self.roster.room_of(channel_id) is not None:
                # Hanging up or gone (the call learns it from the hangup), or back in a
                # conference already (e.g. a transfer to a document that joins again).
                return
            try:
                await self._ari.get_channel(channel_id)
            except NotFound:
                return
            except EngineError as exc:  # cannot tell: better the program goes on
                log.warning("cannot see the leg that left the conference",
                            extra={"channel": channel_id, "error": exc.message})
            if not self._checks.get(channel_id):
                self._feedback(request_id, ConferenceLeft(channel_id, datetime.now(UTC)))
        finally:
            self._checks.pop(channel_id, None)

    # ---- plumbing -----------------------------------------------------------------------

    def _queue(self, bridge_id: str, job: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``job`` after every job queued before it for the same bridge.

        Queued when called, so the order of decisions is the order of their effects on
        Asterisk (a room destroyed, then the same name opened again, in that order)."""
        previous = self._tails.get(bridge_id)

        async def run() -> None:
            try:
                if previous is not None:
                    await asyncio.wait([previous])
            except BaseException:
                job.close()
                raise
            await job

        task = asyncio.create_task(run(), name=f"conference-{bridge_id}")
        self._tails[bridge_id] = task
        self._track(task)

        def done(task: asyncio.Task[None]) -> None:
            if self._tails.get(bridge_id) is task:
                del self._tails[bridge_id]

        task.add_done_callback(done)
        return task

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._track(asyncio.create_task(coroutine))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("conference task failed", exc_info=task.exception())

        task.add_done_callback(done)

    async def _in_stasis(self, action: Callable[[], Awaitable[object]]) -> None:
        await in_stasis(action, self._stasis_pauses)

    async def close(self) -> None:
        """Cancel pending work (the daemon's shutdown)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
