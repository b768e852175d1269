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
    # Plivo API calls: the caller's display name, and SIP headers sent as "X-PH-<key>"
    # (keys and values already validated: letters and digits only).
    caller_name: str = ""
    sip_headers: tuple[tuple[str, str], ...] = ()


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
    """Play ``digits`` to the leg (``w`` pauses 0.5 s, ``W`` 1 s); the edge answers
    DtmfSent(ref). ``tone_ms`` is each tone's length (0: Asterisk's default)."""

    channel_id: str
    digits: str
    ref: str
    tone_ms: int = 0


@dataclass(frozen=True)
class Fetch:
    """Fetch the next program (answer_url, action, Redirect); the edge answers
    DocumentFetched or FetchFailed."""

    fetch_id: str
    url: str
    method: str
    params: Mapping[str, str] = field(default_factory=dict)
    # answer_url: tried ``attempts`` times within ``deadline_seconds`` overall (a connection
    # error, a timeout, a non-2xx answer or a document that cannot run each count as one);
    # then ``fallback_url`` once, if given. The edge signs every fetch with the account's
    # token (X-Plivo-Signature-V3) and refuses unsafe addresses.
    attempts: int = 1
    deadline_seconds: float = 60.0
    fallback_url: str = ""
    fallback_method: str = "POST"
    account_id: str = ""


@dataclass(frozen=True)
class FetchMedia:
    """Download the audio at ``url`` (Plivo's <Play>) into a file the PBX can play; the
    edge answers SpeechReady(media_id, media) or SpeechFailed(media_id, reason)."""

    media_id: str
    url: str


@dataclass(frozen=True)
class Notify:
    """A status callback (ring_url, hangup_url, machine_detection_url, a conference
    callbackUrl): delivered off the call path, signed, retried with backoff, logged per
    call. ``kind`` names it in the delivery log (``ring``, ``hangup``, ``machine``, …)."""

    account_id: str
    request_id: str
    kind: str
    url: str
    method: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DetectMachine:
    """Run answering-machine detection on the answered leg (Asterisk's AMD, for at most
    ``total_ms``); the edge answers MachineVerdict, or LegGone if the leg goes meanwhile."""

    channel_id: str
    total_ms: int


@dataclass(frozen=True)
class JoinConference:
    """Put the leg in the mixing bridge of ``conference`` (already scoped to the account).

    The edge keeps the roster: over ``max_members`` the leg is refused at once, a member
    with ``end_on_exit`` ends the conference for everyone when it leaves, ``wait_sound``
    (a media URI or an http(s) URL) plays while a member is alone, and ``callback_url``
    hears enter/exit events. The edge answers ConferenceLeft when the leg leaves while
    still up (kicked, refused, or the conference ended)."""

    channel_id: str
    conference: str
    muted: bool = False
    start_on_enter: bool = True
    end_on_exit: bool = False
    max_members: int = 20
    wait_sound: str = ""
    beep: bool = False
    callback_url: str = ""
    callback_method: str = "POST"
    account_id: str = ""


def conference_bridge(conference: str) -> str:
    """The mixing bridge of a conference (its name already scoped to the account)."""
    return f"conference-{conference}"


Command = (
    Dial | Answer | Hangup | BridgeLegs | RemoveFromBridge | DestroyBridge | Play | StartRinging
    | StopRinging | StartHold | StopHold | RecordBridge | RecordLeg | CallFinished
    | StopPlayback | Synthesize | RecordChannel | StopRecording | StartTimer | CancelTimer
    | SendDtmf | Fetch | JoinConference | FetchMedia | Notify | DetectMachine
)
