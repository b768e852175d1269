"""Domain events: what happened to a call, translated from Asterisk or asked by the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.domain.numbers import Party
from engine.domain.programs.verbs import Verb
from engine.domain.speech import Utterance


@dataclass(frozen=True)
class LegRinging:
    channel_id: str
    at: datetime


@dataclass(frozen=True)
class LegAnswered:
    channel_id: str
    at: datetime
    channel_name: str = ""


@dataclass(frozen=True)
class LegGone:
    """The channel is destroyed. ``cause`` is the Q.850 hangup cause."""

    channel_id: str
    at: datetime
    cause: int


@dataclass(frozen=True)
class LegWitnessed:
    """Asterisk's own record of a leg that ended while the engine was not listening.

    ``at`` is when it ended and ``cause`` why (Q.850, or one of the engine's platform
    causes); ``answered_at`` is when it was answered, if it was.
    """

    channel_id: str
    at: datetime
    cause: int
    answered_at: datetime | None = None


@dataclass(frozen=True)
class LegDroppedByPbx:
    """The PBX is shutting down and hangs this leg up: however Asterisk words the end that
    follows (a SIP 487 reads as "call rejected"), the PBX, not the callee, ended it."""

    channel_id: str


@dataclass(frozen=True)
class LegNamed:
    """Asterisk told us the channel's name (e.g. PJSIP/101-0000023c)."""

    channel_id: str
    channel_name: str


@dataclass(frozen=True)
class LegDialStatus:
    """Asterisk's own word for how dialling this leg ended (BUSY, NOANSWER, CANCEL, …)."""

    channel_id: str
    dial_status: str


@dataclass(frozen=True)
class LegDtmf:
    channel_id: str
    digit: str
    at: datetime | None = None


@dataclass(frozen=True)
class PlaybackDone:
    playback_id: str
    at: datetime | None = None


# ---- what the edge reports back to call programs ----------------------------------------


@dataclass(frozen=True)
class TimerFired:
    timer_id: str
    at: datetime


@dataclass(frozen=True)
class SpeechReady:
    """``media`` are URIs the PBX plays (``sound:/path/without/extension``), in order."""

    synthesis_id: str
    media: tuple[str, ...]
    at: datetime | None = None


@dataclass(frozen=True)
class SpeechFailed:
    synthesis_id: str
    reason: str
    at: datetime | None = None


@dataclass(frozen=True)
class RecordingDone:
    name: str
    duration_seconds: int
    at: datetime | None = None


@dataclass(frozen=True)
class DtmfSent:
    ref: str
    at: datetime | None = None


@dataclass(frozen=True)
class DocumentFetched:
    """The next program arrived (already parsed into verbs)."""

    fetch_id: str
    verbs: tuple[Verb, ...]
    at: datetime | None = None


@dataclass(frozen=True)
class FetchFailed:
    fetch_id: str
    reason: str
    at: datetime | None = None


@dataclass(frozen=True)
class MachineVerdict:
    """Answering-machine detection ended on ``channel_id``. ``status`` and ``cause`` are
    AMD's own words (MACHINE, HUMAN, NOTSURE, HANGUP; e.g. TOOLONG-5000)."""

    channel_id: str
    machine: bool
    status: str
    cause: str
    at: datetime | None = None


@dataclass(frozen=True)
class ConferenceLeft:
    """The leg left the conference it joined but is still up (kicked, refused at
    ``max_members``, or the conference ended), so its program goes on."""

    channel_id: str
    at: datetime | None = None


@dataclass(frozen=True)
class ProgramReplaced:
    """Plivo's transfer of a live call: the running program stops and the document at
    ``url`` runs instead."""

    url: str
    method: str
    at: datetime


@dataclass(frozen=True)
class LiveActionRequested:
    """An API action on a live call outside its program (Plivo's Play, Speak, DTMF and
    Record resources). ``action``: play | stop_play | speak | stop_speak | dtmf | record |
    stop_record; ``media`` (play), ``utterance`` (speak), ``digits`` (dtmf) as needed."""

    action: str
    at: datetime
    media: tuple[str, ...] = ()
    utterance: Utterance | None = None
    digits: str = ""
    loop: int = 1


@dataclass(frozen=True)
class CallRestored:
    """A restarted engine adopted the call from its snapshot."""

    at: datetime


@dataclass(frozen=True)
class HangupRequested:
    at: datetime


@dataclass(frozen=True)
class BlindTransferRequested:
    channel_id: str
    target: Party
    at: datetime


@dataclass(frozen=True)
class AttendedTransferRequested:
    """``channel_id`` is the party to be transferred (the seed: "provide customer channel")."""

    channel_id: str
    target: Party
    at: datetime


@dataclass(frozen=True)
class AttendedTransferCompleted:
    at: datetime


@dataclass(frozen=True)
class AttendedTransferCancelled:
    at: datetime


@dataclass(frozen=True)
class RecordingRequested:
    at: datetime


CallEvent = (
    LegRinging | LegAnswered | LegGone | LegWitnessed | LegDroppedByPbx | LegNamed | LegDialStatus
    | LegDtmf | PlaybackDone | TimerFired | SpeechReady | SpeechFailed | RecordingDone | DtmfSent
    | DocumentFetched | FetchFailed | MachineVerdict | ConferenceLeft
    | HangupRequested | CallRestored | ProgramReplaced | LiveActionRequested
    | BlindTransferRequested | AttendedTransferRequested | AttendedTransferCompleted
    | AttendedTransferCancelled | RecordingRequested
)
