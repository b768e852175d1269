"""What a call program hears: the edge's reports, plus two facts the call flow reports.

Most of these are the call's own domain events (``engine.domain.events``): the flow forwards
them to the program unchanged. ``DialEnded`` and ``ConferenceLeft`` are told by the call flow
itself, because dialling and conferences involve other legs the program does not own.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.events import (
    DocumentFetched,
    DtmfSent,
    FetchFailed,
    LegDtmf,
    LegGone,
    PlaybackDone,
    RecordingDone,
    SpeechFailed,
    SpeechReady,
    TimerFired,
)


@dataclass(frozen=True)
class DialEnded:
    """The call flow carried out ``ProgramState.pending_dial`` and the dialled party is gone.

    ``status`` is Plivo's word for it (``completed``, ``busy``, ``no-answer``, ``failed``,
    ``cancel``); ``duration_seconds`` is how long the bridged conversation lasted.
    """

    dial_id: str
    status: str
    duration_seconds: int = 0


@dataclass(frozen=True)
class ConferenceLeft:
    """The program's leg left the conference it joined but is still up (kicked, or the
    conference ended), so the program goes on."""

    channel_id: str


ProgramEvent = (
    PlaybackDone | LegDtmf | RecordingDone | SpeechReady | SpeechFailed | TimerFired | DtmfSent
    | DocumentFetched | FetchFailed | LegGone | DialEnded | ConferenceLeft
)

__all__ = [
    "ConferenceLeft", "DialEnded", "DocumentFetched", "DtmfSent", "FetchFailed", "LegDtmf",
    "LegGone", "PlaybackDone", "ProgramEvent", "RecordingDone", "SpeechFailed", "SpeechReady",
    "TimerFired",
]
