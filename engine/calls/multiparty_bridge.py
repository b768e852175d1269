"""Multi-party calls at the edge: one ARI mixing bridge per call, and its live members.

Each member is an ordinary call under the router (its own legs, state machine, CDR): a
program call whose one verb is ``Conference``. When it answers, the program asks to join
(``JoinConference``); the conference executor hands the request here first
(``Conferences.divert_to``) and this class takes the legs of multi-party members: it puts
them in the call's bridge (``multiparty-<node_id>-<session>``) and applies the role rules of
``engine.domain.multiparty.rules`` after every change:

- a member answers: connected (in the mix);
- hold: the leg leaves the bridge and hears music on hold alone; unhold: back in the mix;
- a member's call ends (the router's finished hook): it left;
- no agent left: the customers hear ``GOODBYE`` played to the bridge, then are hung up;
- the only member in the mix is a customer: music on hold plays to the bridge;
- nobody left: the bridge is destroyed.

The live members are kept here, in this process, like the conference roster; every change
is also saved through ``save`` (the durable view the API shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from engine.ari.client import AriClient
from engine.ari.events import AriEvent, PlaybackFinished
from engine.calls.conference_ari import AriConferenceOps
from engine.calls.control import BRIDGE_TYPE, in_stasis
from engine.calls.executors import Feedback
from engine.domain.call import Call
from engine.domain.commands import JoinConference
from engine.domain.errors import Conflict, EngineError, NotFound
from engine.domain.events import ConferenceLeft
from engine.domain.multiparty import rules
from engine.domain.multiparty.members import Member, MemberState

log = logging.getLogger(__name__)

GOODBYE = "sound:conf-leaderhasleft"  # "The leader has left the conference."
GOODBYE_WAIT_SECONDS = 8.0  # at most this long for the message before customers go

CallKey = tuple[str, str]  # (phlo_id, node_id)
SaveMember = Callable[[CallKey, str, Member], Awaitable[None]]  # (call, session, member)
SaveRecording = Callable[[CallKey, str], Awaitable[None]]
HangUp = Callable[[str, str], Awaitable[None]]  # (account_id, request_id)


class MultipartyAri(Protocol):
    """What the multi-party executor asks of Asterisk."""

    async def create_bridge(self, bridge_id: str, bridge_type: str) -> object: ...

    async def destroy_bridge(self, bridge_id: str) -> None: ...

    async def add_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None: ...

    async def remove_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None: ...

    async def play_bridge(self, bridge_id: str, media: Sequence[str] | str,
                          playback_id: str) -> None: ...

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None) -> None: ...

    async def stop_bridge_moh(self, bridge_id: str) -> None: ...

    async def start_moh(self, channel_id: str) -> None: ...

    async def stop_moh(self, channel_id: str) -> None: ...

    async def record_bridge(self, bridge_id: str, name: str) -> None: ...


class AriMultipartyOps(AriConferenceOps):
    """``MultipartyAri`` on an ``AriClient``."""

    def __init__(self, client: AriClient) -> None:
        super().__init__(client)
        self._ari = client

    async def start_moh(self, channel_id: str) -> None:
        await self._ari.start_moh(channel_id)

    async def stop_moh(self, channel_id: str) -> None:
        await self._ari.stop_moh(channel_id)

    async def record_bridge(self, bridge_id: str, name: str) -> None:
        await self._ari.record_bridge(bridge_id, name, if_exists="overwrite")


def bridge_of(node_id: str, session: str) -> str:
    """One bridge per session of the call (a call that ended and starts again gets a new
    one, so a late destroy of the old bridge never hits the new)."""
    return f"multiparty-{node_id}-{session}"


@dataclass
class LiveCall:
    """A multi-party call with members in this process."""

    key: CallKey
    account_id: str
    record: bool
    session: str
    members: dict[str, Member] = field(default_factory=dict)  # by request_id
    channels: dict[str, str] = field(default_factory=dict)  # request_id -> channel id
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    bridge_up: bool = False
    music: bool = False
    dismissing: bool = False

    @property
    def bridge_id(self) -> str:
        return bridge_of(self.key[1], self.session)

    def snapshot(self) -> list[Member]:
        return list(self.members.values())


class MultipartyBridges:
    """The live multi-party calls of this process and their bridges."""

    def __init__(self, ari: MultipartyAri, feedback: Feedback, *, save: SaveMember,
                 save_recording: SaveRecording, hang_up: HangUp,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:8],
                 goodbye_wait: float = GOODBYE_WAIT_SECONDS) -> None:
        self._ari = ari
        self._feedback = feedback
        self._save = save
        self._save_recording = save_recording
        self._hang_up = hang_up
        self._clock = clock
        self._goodbye_wait = goodbye_wait
        self._new_id = new_id
        self._calls: dict[CallKey, LiveCall] = {}
        self._call_of: dict[str, CallKey] = {}  # member request_id -> its call
        self._goodbyes: dict[str, asyncio.Future[None]] = {}  # playback id -> done
        self._tasks: set[asyncio.Task[None]] = set()
        self._saving: dict[str, asyncio.Task[Any]] = {}  # request_id -> its latest save
        self._transfers: dict[str, str] = {}  # transferer -> the member it is bringing in

    # ---- what the service asks -----------------------------------------------------------

    def members(self, key: CallKey) -> list[Member]:
        """The live view of a call's members (empty when none is in this process)."""
        live = self._calls.get(key)
        return live.snapshot() if live is not None else []

    def member_of(self, request_id: str) -> Member | None:
        key = self._call_of.get(request_id)
        live = self._calls.get(key) if key is not None else None
        return live.members.get(request_id) if live is not None else None

    def expect(self, key: CallKey, account_id: str, record: bool, member: Member, *,
               transfer_of: str = "") -> None:
        """A member is being dialled (synchronous: the caller's checks and this are one
        step, so two requests cannot both pass a check meant for one). ``transfer_of``:
        the member whose warm transfer this is (abort_transfer hangs this one up)."""
        live = self._calls.get(key)
        if live is None:
            live = self._calls[key] = LiveCall(key, account_id, record, self._new_id())
        live.members[member.request_id] = member
        self._call_of[member.request_id] = key
        if transfer_of:
            self._transfers[transfer_of] = member.request_id
        self._spawn(self._persist(live, member))

    def transfer_target(self, request_id: str) -> str | None:
        """The live member the member's warm transfer dialled, if any."""
        target = self._transfers.get(request_id)
        return target if target is not None and target in self._call_of else None

    async def hold(self, request_id: str) -> None:
        live = self._find(request_id)
        async with live.lock:
            self._step(live, request_id, MemberState.ON_HOLD)
            channel = live.channels[request_id]
            await self._quietly(self._ari.remove_channels(live.bridge_id, [channel]))
            await self._quietly(self._ari.start_moh(channel))
            await self._apply_rules(live)

    async def unhold(self, request_id: str) -> None:
        live = self._find(request_id)
        async with live.lock:
            self._step(live, request_id, MemberState.CONNECTED)
            channel = live.channels[request_id]
            await self._quietly(self._ari.stop_moh(channel))
            await self._quietly(self._ari.add_channels(live.bridge_id, [channel]))
            await self._apply_rules(live)

    async def adopt(self, key: CallKey, account_id: str, record: bool, session: str,
                    members: Sequence[tuple[Member, str | None]]) -> None:
        """Take back, after a restart, members whose calls the router restored live:
        each with its leg's channel (None while it rings). Their bridge is still in
        Asterisk (Asterisk outlives the engine), so the rules apply again from here."""
        live = self._calls.get(key)
        if live is None:
            live = self._calls[key] = LiveCall(key, account_id, record, session)
        for member, channel in members:
            live.members[member.request_id] = member
            self._call_of[member.request_id] = key
            if channel is not None and member.present:
                live.channels[member.request_id] = channel
        live.bridge_up = live.bridge_up or any(m.present for m, _ in members)
        async with live.lock:
            await self._apply_rules(live)

    # ---- the diverted JoinConference ----------------------------------------------------

    async def join(self, request_id: str, command: JoinConference) -> bool:
        """Take the join if the leg is a multi-party member's (True), else leave it to the
        conference executor (False)."""
        key = self._call_of.get(request_id)
        live = self._calls.get(key) if key is not None else None
        if live is None or request_id not in live.members:
            return False
        async with live.lock:
            if live.dismissing or rules.agents_left(live.snapshot()):
                self._feedback(request_id, ConferenceLeft(command.channel_id, self._clock()))
                return True
            try:
                await self._open_bridge(live)
                # Answered a moment before it enters Stasis: retried until it has.
                await in_stasis(lambda: self._ari.add_channels(live.bridge_id,
                                                               [command.channel_id]))
            except EngineError as exc:
                log.warning("joining the multi-party call failed", extra={
                    "node_id": live.key[1], "error": exc.message})
                self._feedback(request_id, ConferenceLeft(command.channel_id, self._clock()))
                return True
            live.channels[request_id] = command.channel_id
            self._step(live, request_id, MemberState.CONNECTED)
            await self._apply_rules(live)
        return True

    async def _open_bridge(self, live: LiveCall) -> None:
        if live.bridge_up:
            return
        with contextlib.suppress(Conflict):  # left in Asterisk by an earlier engine
            await self._ari.create_bridge(live.bridge_id, BRIDGE_TYPE)
        live.bridge_up = True
        if live.record:
            name = f"multiparty-{live.key[1]}-{live.session}"
            try:
                await self._ari.record_bridge(live.bridge_id, name)
            except EngineError as exc:
                log.warning("recording the multi-party call failed",
                            extra={"node_id": live.key[1], "error": exc.message})
                return
            await self._guarded(self._save_recording(live.key, name))

    # ---- a member's call ended ----------------------------------------------------------

    async def call_finished(self, call: Call) -> None:
        """The router's finished hook: the member's leg is gone, it left."""
        key = self._call_of.pop(call.request_id, None)
        self._transfers.pop(call.request_id, None)
        live = self._calls.get(key) if key is not None else None
        if live is None or call.request_id not in live.members:
            return
        async with live.lock:
            member = live.members[call.request_id]
            if member.live:
                self._step(live, call.request_id, MemberState.LEFT)
            live.channels.pop(call.request_id, None)
            del live.members[call.request_id]
            await self._apply_rules(live)

    def forget(self, request_id: str) -> None:
        """A member whose call could not even start."""
        key = self._call_of.pop(request_id, None)
        live = self._calls.get(key) if key is not None else None
        if live is not None and request_id in live.members:
            member = live.members.pop(request_id)
            if member.live:
                self._spawn(self._persist(live, member.to(MemberState.LEFT,
                                                              self._clock())))
            if not live.members:
                self._calls.pop(live.key, None)

    # ---- the rules, carried out -------------------------------------------------------------

    async def _apply_rules(self, live: LiveCall) -> None:
        members = live.snapshot()
        if rules.over(members):
            self._calls.pop(live.key, None)
            if live.bridge_up:
                await self._quietly(self._ari.destroy_bridge(live.bridge_id))
            return
        music = rules.customer_alone(members) and not live.dismissing
        if music != live.music:
            live.music = music
            if music:
                await self._quietly(self._ari.start_bridge_moh(live.bridge_id, None))
            else:
                await self._quietly(self._ari.stop_bridge_moh(live.bridge_id))
        dismissed = rules.customers_to_dismiss(members)
        if dismissed and not live.dismissing:
            live.dismissing = True
            self._spawn(self._say_goodbye(live, [m.request_id for m in dismissed]))

    async def _say_goodbye(self, live: LiveCall, request_ids: list[str]) -> None:
        """The last agent left: the customers hear why, then are hung up."""
        if live.bridge_up and any(live.members[r].state is MemberState.CONNECTED
                                  for r in request_ids if r in live.members):
            playback_id = f"multiparty-goodbye-{uuid.uuid4().hex}"
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._goodbyes[playback_id] = done
            try:
                await self._ari.play_bridge(live.bridge_id, GOODBYE, playback_id)
                await asyncio.wait_for(done, self._goodbye_wait)
            except (EngineError, TimeoutError) as exc:
                log.info("multi-party goodbye not played to its end",
                         extra={"node_id": live.key[1], "error": str(exc)})
            finally:
                self._goodbyes.pop(playback_id, None)
        for request_id in request_ids:
            await self._guarded(self._hang_up(live.account_id, request_id))

    def observe(self, event: AriEvent) -> None:
        """ARI events beside the router's: the end of the goodbye message."""
        if isinstance(event, PlaybackFinished):
            done = self._goodbyes.get(event.playback.id)
            if done is not None and not done.done():
                done.set_result(None)

    # ---- plumbing -----------------------------------------------------------------------

    def _find(self, request_id: str) -> LiveCall:
        key = self._call_of.get(request_id)
        live = self._calls.get(key) if key is not None else None
        if live is None or request_id not in live.members:
            raise NotFound("member not found", code="member_not_found")
        return live

    def _step(self, live: LiveCall, request_id: str, state: MemberState) -> Member:
        member = live.members[request_id].to(state, self._clock())
        live.members[request_id] = member
        self._spawn(self._persist(live, member))
        return member

    async def _persist(self, live: LiveCall, member: Member) -> None:
        # Saved in the order the member changed: each save waits for the one before it.
        previous = self._saving.get(member.request_id)
        current = asyncio.current_task()
        if current is not None:
            self._saving[member.request_id] = current
        try:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            await self._guarded(self._save(live.key, live.session, member))
        finally:
            if current is not None and self._saving.get(member.request_id) is current:
                del self._saving[member.request_id]

    async def _guarded(self, action: Awaitable[None]) -> None:
        try:
            await action
        except EngineError as exc:
            log.warning("multi-party step failed", extra={"error": exc.message})

    async def _quietly(self, action: Coroutine[Any, Any, None]) -> None:
        try:
            await action
        except NotFound:
            log.debug("multi-party target already gone")
        except EngineError as exc:
            log.warning("multi-party action failed", extra={"error": exc.message})

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("multi-party task failed", exc_info=task.exception())

        task.add_done_callback(done)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
