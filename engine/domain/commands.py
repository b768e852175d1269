"""Commands the state machine asks call control to carry out (pure data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from engine.domain.numbers import Party
from engine.domain.speech import Utterance


@dataclass(frozen=True)
class Dial:
    channel_id: str
    party: Party
    caller_id: str
    timeout: int


@dataclass(frozen=True)
class Answer:
    """Answer an inbound channel (it is billed from here)."""

    channel_id: str


@dataclass(frozen=True)
class Hangup:
    channel_id: str


@dataclass(frozen=True)
class BridgeLegs:
    bridge_id: str
    channel_ids: tuple[str, ...]


@dataclass(frozen=True)
class RemoveFromBridge:
    bridge_id: str
    channel_id: str


@dataclass(frozen=True)
class DestroyBridge:
    bridge_id: str


@dataclass(frozen=True)
class Play:
    channel_id: str
    media: tuple[str, ...]
    playback_id: str


@dataclass(frozen=True)
class StartRinging:
    channel_id: str


@dataclass(frozen=True)
class StopRinging:
    channel_id: str


@dataclass(frozen=True)
class StartHold:
    channel_id: str


@dataclass(frozen=True)
class StopHold:
    channel_id: str


@dataclass(frozen=True)
class RecordBridge:
    bridge_id: str
    name: str


@dataclass(frozen=True)
class RecordLeg:
    """Record one side only: a snoop channel hears what ``channel_id`` says."""

    channel_id: str
    snoop_id: str
    name: str


@dataclass(frozen=True)
class CallFinished:
    """The call is over: persist the final CDRs and release every per-call resource."""

    request_id: str


# ---- call programs: media, timers, documents -------------------------------------------


@dataclass(frozen=True)
class StopPlayback:
    playback_id: str


@dataclass(frozen=True)
class Synthesize:
    """Turn ``utterance`` into audio; the edge answers SpeechReady or SpeechFailed."""

    synthesis_id: str
    utterance: Utterance


@dataclass(frozen=True)
class RecordChannel:
    """Record what one answered leg says; the edge answers RecordingDone."""

    channel_id: str
    name: str
    max_seconds: int
    silence_seconds: int
    beep: bool
    terminate_on: str  # DTMF keys that stop the recording ("" for none)


@dataclass(frozen=True)
class StopRecording:
    name: str


@dataclass(frozen=True)
class StartTimer:
    """Deliver TimerFired(timer_id) at ``fire_at``; timers are kept in the call's snapshot,
    so they survive an engine restart."""

    timer_id: str
    fire_at: datetime


@dataclass(frozen=True)
class CancelTimer:
    timer_id: str


@dataclass(frozen=True)
class SendDtmf:
    """Play ``digits`` to the leg; the edge answers DtmfSent(ref)."""

    channel_id: str
    digits: str
    ref: str


@dataclass(frozen=True)
class Fetch:
    """Fetch the next program (answer_url, action, Redirect); the edge answers
    DocumentFetched or FetchFailed."""

    fetch_id: str
    url: str
    method: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JoinConference:
    channel_id: str
    conference: str
    muted: bool = False
    start_on_enter: bool = True
    end_on_exit: bool = False


Command = (
    Dial | Answer | Hangup | BridgeLegs | RemoveFromBridge | DestroyBridge | Play | StartRinging
    | StopRinging | StartHold | StopHold | RecordBridge | RecordLeg | CallFinished
    | StopPlayback | Synthesize | RecordChannel | StopRecording | StartTimer | CancelTimer
    | SendDtmf | Fetch | JoinConference
)
