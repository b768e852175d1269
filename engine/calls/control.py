"""Call control: carries out the state machine's ARI commands on Asterisk."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from engine.ami.client import AmiClient
from engine.ari.client import AriClient
from engine.ari.errors import AriUnreachable
from engine.calls.executors import CommandExecutors, Feedback
from engine.domain.cdr import (
    CAUSE_ENGINE_UNAVAILABLE,
    CAUSE_PBX_UNAVAILABLE,
    CAUSE_UNREACHABLE,
)
from engine.domain.commands import (
    Answer,
    BridgeLegs,
    Command,
    DestroyBridge,
    DetectMachine,
    Dial,
    Hangup,
    Play,
    RecordBridge,
    RecordChannel,
    RecordLeg,
    RemoveFromBridge,
    SendDtmf,
    StartHold,
    StartRinging,
    StopHold,
    StopPlayback,
    StopRecording,
    StopRinging,
)
from engine.domain.errors import Conflict, EngineError, NotFound, TimedOut
from engine.domain.events import (
    DtmfSent,
    LegGone,
    MachineVerdict,
    PlaybackDone,
    RecordingDone,
)
from engine.domain.numbers import dial_endpoint

log = logging.getLogger(__name__)

# Usually the channel is in Stasis a few milliseconds after it reports Up: retry soon,
# then back off (about 2.5 s in all).
STASIS_READY_PAUSES = (0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28)
# "dtmf_events" keeps Asterisk from bridging the two RTP streams natively (packet to packet):
# a native bridge relays RFC 4733 packets without decoding them, so no DTMF ever reaches
# the core and ARI never reports a digit pressed in a conversation.
BRIDGE_TYPE = "mixing,dtmf_events"
# The PBX dialplan context that runs AMD() and brings the leg back with its verdict
# (asterisk-conf/pbx/extensions.conf); the extension is the total analysis time in ms.
AMD_CONTEXT = "amd"
# DTMF played over AMI (a leg not in Stasis yet): ARI's default tone length and gap.
AMI_TONE_MS = 100
AMI_GAP_SECONDS = 0.1
AMI_PAUSES = {"w": 0.5, "W": 1.0}
# What the call is told when AMD could not even start: no verdict, so not a machine.
AMD_UNAVAILABLE = MachineVerdict("", machine=False, status="NOTSURE", cause="AMD-UNAVAILABLE")

ARI_COMMANDS: tuple[type, ...] = (
    Dial, Answer, Hangup, BridgeLegs, RemoveFromBridge, DestroyBridge, Play, StartRinging,
    StopRinging, StartHold, StopHold, RecordBridge, RecordLeg, StopPlayback,
    RecordChannel, StopRecording, SendDtmf, DetectMachine,
)


async def in_stasis(action: Callable[[], Awaitable[object]],
                    pauses: tuple[float, ...] = STASIS_READY_PAUSES) -> None:
    """Run ``action`` on a channel that may not be in Stasis yet.

    A channel reports itself answered (ChannelStateChange Up) a moment before it enters
    the Stasis application, and a snoop channel exists before it enters Stasis; until
    then Asterisk refuses to act on it ("Channel not in Stasis application", 409).
    """
    for pause in pauses:
        try:
            await action()
            return
        except Conflict:
            await asyncio.sleep(pause)
    await action()


def terminate_on(keys: str) -> str:
    """ARI stops a recording on one key, on any key, or never."""
    if not keys:
        return "none"
    if keys in ("*", "#"):
        return keys
    return "any"


def caller_id_of(command: Dial) -> str:
    """ARI's callerId: ``"name" <number>`` with a display name, else the number alone.

    Quotes, angle brackets and backslashes would end the name early: they are dropped."""
    if not command.caller_name:
        return command.caller_id
    name = command.caller_name.translate(str.maketrans("", "", '"<>\\'))
    return f'"{name}" <{command.caller_id}>'


def header_variables(command: Dial) -> dict[str, str] | None:
    """Originate variables that add each SIP header as ``X-PH-<key>`` to the INVITE."""
    if not command.sip_headers:
        return None
    return {f"PJSIP_HEADER(add,X-PH-{key})": value for key, value in command.sip_headers}


class CallControl:
    """Executes commands; never raises for a channel that is already gone."""

    def __init__(self, ari: AriClient, trunk: str, feedback: Feedback, *,
                 stasis_pauses: tuple[float, ...] = STASIS_READY_PAUSES,
                 ami: AmiClient | None = None) -> None:
        self._ari = ari
        self._ami = ami
        self._trunk = trunk
        self._feedback = feedback
        self._bridges: set[str] = set()
        self._stasis_pauses = stasis_pauses

    def register(self, executors: CommandExecutors) -> None:
        for command_type in ARI_COMMANDS:
            executors.register(command_type, self.execute)

    async def execute(self, request_id: str, command: Command) -> None:
        try:
            await self._execute(request_id, command)
        except NotFound:
            log.debug("target already gone", extra={"command": type(command).__name__})
            self._on_gone(request_id, command)
        except EngineError as exc:
            log.warning("command failed",
                        extra={"command": type(command).__name__, "error": exc.message})
            self._on_failure(request_id, command, exc)

    def _on_gone(self, request_id: str, command: Command) -> None:
        # Whoever waits for the outcome of a command on a vanished target is told it is over.
        if isinstance(command, RecordChannel):
            self._feedback(request_id, RecordingDone(command.name, 0))

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
            self._feedback(request_id, PlaybackDone(command.playback_id, now))
        elif isinstance(command, RecordChannel):
            self._feedback(request_id, RecordingDone(command.name, 0, now))
        elif isinstance(command, SendDtmf):
            self._feedback(request_id, DtmfSent(command.ref, now))
        elif isinstance(command, DetectMachine):
            # AMD never started: the call must not wait for a verdict that cannot come.
            self._feedback(request_id, replace(AMD_UNAVAILABLE, channel_id=command.channel_id,
                                               at=now))

    async def _execute(self, request_id: str, command: Command) -> None:
        ari = self._ari
        match command:
            case Dial():
                await ari.originate(
                    dial_endpoint(command.party, self._trunk), command.channel_id,
                    app_args="leg", caller_id=caller_id_of(command), timeout=command.timeout,
                    variables=header_variables(command),
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
                await self._in_stasis(lambda: ari.add_channels(command.bridge_id,
                                                               list(command.channel_ids)))
            case RemoveFromBridge():
                await ari.remove_channels(command.bridge_id, [command.channel_id])
            case DestroyBridge():
                self._bridges.discard(command.bridge_id)
                await ari.destroy_bridge(command.bridge_id)
            case Play():
                await self._in_stasis(lambda: ari.play(command.channel_id, list(command.media),
                                                       command.playback_id))
            case StartRinging():
                await self._in_stasis(lambda: ari.ring(command.channel_id))
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
                await self._in_stasis(lambda: ari.record_channel(
                    command.snoop_id, command.name, if_exists="overwrite"))
            case StopPlayback():
                await ari.stop_playback(command.playback_id)
            case RecordChannel():
                await self._in_stasis(lambda: ari.record_channel(
                    command.channel_id, command.name, if_exists="overwrite", beep=command.beep,
                    max_duration_seconds=command.max_seconds or None,
                    max_silence_seconds=command.silence_seconds or None,
                    terminate_on=terminate_on(command.terminate_on)))
            case StopRecording():
                await ari.stop_recording(command.name)
            case SendDtmf():
                await self._send_dtmf(command)
                self._feedback(request_id, DtmfSent(command.ref, datetime.now(UTC)))
            case DetectMachine():
                await self._detect_machine(command)

    async def _send_dtmf(self, command: SendDtmf) -> None:
        # Asterisk's DTMF streams pause on "w" (half a second) and "W" (a second), as
        # Plivo's send_digits do; any other character (",") is refused with a warning.
        try:
            await self._ari.send_dtmf(command.channel_id, command.digits,
                                      duration_ms=command.tone_ms or None)
        except Conflict:
            # Not in Stasis: an originated leg enters it only when answered, so digits
            # for early media (Plivo's send_on_preanswer) go through AMI instead.
            if self._ami is None:
                raise
            await self._send_dtmf_over_ami(self._ami, command)

    @staticmethod
    async def _send_dtmf_over_ami(ami: AmiClient, command: SendDtmf) -> None:
        """One PlayDTMF per digit (AMI finds the channel by its id, Asterisk's uniqueid);
        Asterisk answers once the tone has played, then the usual gap follows."""
        tone_ms = str(command.tone_ms or AMI_TONE_MS)
        for digit in command.digits:
            if digit in AMI_PAUSES:
                await asyncio.sleep(AMI_PAUSES[digit])
                continue
            await ami.action("PlayDTMF", {"Channel": command.channel_id,
                                                "Digit": digit, "Duration": tone_ms})
            await asyncio.sleep(AMI_GAP_SECONDS)

    async def _detect_machine(self, command: DetectMachine) -> None:
        """Send the answered leg through AMD in the dialplan; it comes back into Stasis
        with the verdict (translated to MachineVerdict).

        The explicit subscription comes first: out of Stasis, only it brings the app the
        leg's events, so a hangup during detection still reaches the call as LegGone."""
        channel_id = command.channel_id
        await self._ari.subscribe(f"channel:{channel_id}")
        await self._in_stasis(lambda: self._ari.continue_in_dialplan(
            channel_id, AMD_CONTEXT, str(max(command.total_ms, 10))))

    async def _in_stasis(self, action: Callable[[], Awaitable[object]]) -> None:
        await in_stasis(action, self._stasis_pauses)
