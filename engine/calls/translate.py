"""ARI events to domain events (pure)."""

from __future__ import annotations

from engine.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    ChannelStateChange,
    Dial,
    PlaybackFinished,
    RecordingFailed,
    RecordingFinished,
    StasisStart,
    UnknownEvent,
)
from engine.domain.cdr import CAUSE_PBX_UNAVAILABLE
from engine.domain.events import (
    CallEvent,
    LegAnswered,
    LegDialStatus,
    LegDroppedByPbx,
    LegDtmf,
    LegGone,
    LegNamed,
    LegRinging,
    MachineVerdict,
    PlaybackDone,
    RecordingDone,
)

# The ARI events the router acts on; the stream drops the rest before validating them.
ROUTED_EVENT_TYPES = frozenset({
    "StasisStart", "ChannelStateChange", "ChannelDestroyed", "Dial", "ChannelDtmfReceived",
    "PlaybackFinished", "ChannelHangupRequest", "RecordingFinished", "RecordingFailed",
})
# A soft hangup request's ``cause`` carries Asterisk's soft-hangup flags;
# AST_SOFTHANGUP_SHUTDOWN (4) is the PBX hanging every channel up on its way down.
# (An ARI DELETE shows 32, AST_SOFTHANGUP_EXPLICIT.)
SOFTHANGUP_SHUTDOWN = 4
# The Stasis args of a leg back from answering-machine detection (the PBX's "amd" context):
# "amd", AMD's status (MACHINE, HUMAN, NOTSURE, HANGUP) and cause (e.g. TOOLONG-5000).
AMD_ARG = "amd"


def channel_of(event: AriEvent) -> tuple[str, str] | None:
    """(channel id, channel name) the event is about, if any."""
    if isinstance(event, Dial):
        return event.peer.id, event.peer.name
    channel = getattr(event, "channel", None)
    if channel is None:
        return None
    return channel.id, channel.name


def translate(event: AriEvent) -> list[CallEvent]:
    """The domain events an ARI event means for a leg; [] when it means nothing.

    Times are Asterisk's own (the event's ``timestamp``), never the engine's clock: a
    CDR must not depend on how long the event waited in a queue.
    """
    if isinstance(event, UnknownEvent):
        return []
    now = event.timestamp
    if isinstance(event, ChannelStateChange):
        if event.channel.state == "Up":
            return [LegAnswered(event.channel.id, now, event.channel.name)]
        if event.channel.state == "Ringing":
            return [LegRinging(event.channel.id, now)]
        return []
    if isinstance(event, ChannelDestroyed):
        # No cause at all means nobody hung the channel up: Asterisk dropped it (shutting
        # down, or failing). The engine was listening, so it was the PBX, not the callee.
        return [LegGone(event.channel.id, now, event.cause or CAUSE_PBX_UNAVAILABLE)]
    if isinstance(event, Dial):
        if event.dialstatus in ("RINGING", "PROGRESS"):
            # The far end rings or plays early media (SIP 180/183). A 183 then 180 does not
            # always surface as a "Ringing" state change, so this says it too.
            return [LegRinging(event.peer.id, now)]
        if event.dialstatus:
            return [LegDialStatus(event.peer.id, event.dialstatus)]
        return [LegNamed(event.peer.id, event.peer.name)]
    if isinstance(event, StasisStart):
        if event.args[:1] == [AMD_ARG]:
            return [machine_verdict(event)]
        named: list[CallEvent] = [LegNamed(event.channel.id, event.channel.name)]
        if event.channel.state == "Up":
            named.append(LegAnswered(event.channel.id, now, event.channel.name))
        return named
    if isinstance(event, ChannelHangupRequest):
        if event.soft and event.cause is not None and event.cause & SOFTHANGUP_SHUTDOWN:
            return [LegDroppedByPbx(event.channel.id)]
        return []
    if isinstance(event, ChannelDtmfReceived):
        return [LegDtmf(event.channel.id, event.digit, now)]
    if isinstance(event, PlaybackFinished):
        return [PlaybackDone(event.playback.id, now)]
    if isinstance(event, RecordingFinished | RecordingFailed):
        return [RecordingDone(event.recording.name, event.recording.duration or 0, now)]
    return []


def machine_verdict(event: StasisStart) -> MachineVerdict:
    """The verdict a leg brings back from AMD. It re-enters Stasis already answered: that
    is no second answer, so only the verdict is told."""
    status = event.args[1] if len(event.args) > 1 else ""
    cause = event.args[2] if len(event.args) > 2 else ""
    return MachineVerdict(event.channel.id, machine=status == "MACHINE", status=status,
                          cause=cause, at=event.timestamp)
