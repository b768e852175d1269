"""Call control: carries out the state machine's commands on Asterisk through ARI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from engine.ari.client import AriClient
from engine.ari.errors import AriUnreachable
from engine.domain.cdr import (
    CAUSE_ENGINE_UNAVAILABLE,
    CAUSE_PBX_UNAVAILABLE,
    CAUSE_UNREACHABLE,
)
from engine.domain.commands import (
    Answer,
    BridgeLegs,
    CallFinished,
    Command,
    DestroyBridge,
    Dial,
    Hangup,
    Play,
    RecordBridge,
    RecordLeg,
    RemoveFromBridge,
    StartHold,
    StartRinging,
    StopHold,
    StopRinging,
)
from engine.domain.errors import Conflict, EngineError, NotFound, TimedOut
from engine.domain.events import CallEvent, LegGone, PlaybackDone
from engine.domain.numbers import dial_endpoint

log = logging.getLogger(__name__)

SNOOP_READY_ATTEMPTS, SNOOP_READY_PAUSE = 40, 0.05
# "dtmf_events" keeps Asterisk from bridging the two RTP streams natively (packet to packet):
# a native bridge relays RFC 4733 packets without decoding them, so no DTMF ever reaches
# the core and ARI never reports a digit pressed in a conversation.
BRIDGE_TYPE = "mixing,dtmf_events"

# Feedback: what call control learned while executing (e.g. a dial Asterisk refused).
Feedback = Callable[[str, CallEvent], None]


class CallControl:
    """Executes commands; never raises for a channel that is already gone."""

    def __init__(self, ari: AriClient, trunk: str, feedback: Feedback) -> None:
        self._ari = ari
        self._trunk = trunk
        self._feedback = feedback
        self._bridges: set[str] = set()

    async def execute(self, request_id: str, command: Command) -> None:
        try:
            await self._execute(request_id, command)
        except NotFound:
            log.debug("target already gone", extra={"command": repr(command)})
        except EngineError as exc:
            log.warning("command failed", extra={"command": repr(command), "error": exc.message})
            self._on_failure(request_id, command, exc)

    def _on_failure(self, request_id: str, command: Command, exc: EngineError) -> None:
        now = datetime.now(UTC)
        if isinstance(command, Dial):
            # Asterisk refused to create the channel (e.g. an unregistered extension): the
            # subscriber is absent. No answer at all means the PBX is away, and ARI refusing
            # the engine's credentials means the engine cannot use it: say so.
            cause = CAUSE_UNREACHABLE
            if isinstance(exc, AriUnreachable | TimedOut):
                cause = CAUSE_PBX_UNAVAILABLE
            elif exc.details.get("ari_status") in (401, 403):
                cause = CAUSE_ENGINE_UNAVAILABLE
            self._feedback(request_id, LegGone(command.channel_id, now, cause))
        elif isinstance(command, Play):
            self._feedback(request_id, PlaybackDone(command.playback_id))

    async def _execute(self, request_id: str, command: Command) -> None:
        ari = self._ari
        match command:
            case Dial():
                await ari.originate(
                    dial_endpoint(command.party, self._trunk), command.channel_id,
                    app_args="leg", caller_id=command.caller_id, timeout=command.timeout,
                )
            case Answer():
                await ari.answer(command.channel_id)
            case Hangup():
                await ari.hangup(command.channel_id)
            case BridgeLegs():
                if command.bridge_id not in self._bridges:
                    # After an engine restart the bridge may already exist in Asterisk; then
                    # creating it fails and adding the channels is all that is left to do.
                    with contextlib.suppress(EngineError):
                        await ari.create_bridge(command.bridge_id, BRIDGE_TYPE)
                    self._bridges.add(command.bridge_id)
                await ari.add_channels(command.bridge_id, list(command.channel_ids))
            case RemoveFromBridge():
                await ari.remove_channels(command.bridge_id, [command.channel_id])
            case DestroyBridge():
                self._bridges.discard(command.bridge_id)
                await ari.destroy_bridge(command.bridge_id)
            case Play():
                await ari.play(command.channel_id, list(command.media), command.playback_id)
            case StartRinging():
                await ari.ring(command.channel_id)
            case StopRinging():
                await ari.stop_ringing(command.channel_id)
            case StartHold():
                await ari.start_moh(command.channel_id)
            case StopHold():
                await ari.stop_moh(command.channel_id)
            case RecordBridge():
                await ari.record_bridge(command.bridge_id, command.name, if_exists="overwrite")
            case RecordLeg():
                # A snoop channel hears only what the leg says ("in"), so its recording holds
                # one side of the conversation.
                await ari.snoop(command.channel_id, command.snoop_id, spy="in",
                                app_args="snoop")
                await self._record_new_channel(command.snoop_id, command.name)
            case CallFinished():
                pass

    async def _record_new_channel(self, channel_id: str, name: str) -> None:
        # A snoop channel exists as soon as ARI answers, but it enters Stasis a moment later;
        # until then Asterisk refuses to record it ("Channel not in Stasis application").
        for _ in range(SNOOP_READY_ATTEMPTS - 1):
            try:
                await self._ari.record_channel(channel_id, name, if_exists="overwrite")
                return
            except Conflict:
                await asyncio.sleep(SNOOP_READY_PAUSE)
        await self._ari.record_channel(channel_id, name, if_exists="overwrite")
