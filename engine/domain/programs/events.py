"""What a call program hears: the edge's reports, plus one fact the call flow reports.

Most of these are the call's own domain events (``engine.domain.events``): the flow forwards
them to the program unchanged. ``DialEnded`` is told by the call flow itself, because
dialling involves other legs the program does not own.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.events import (
    ConferenceLeft,
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
    ``cancel``); ``duration_seconds`` is how long the bridged conversation lasted;
    ``b_leg`` the channel that answered (else the last one rung) and ``hangup_cause`` its
    Q.850 cause (0: unknown).
    """

    dial_id: str
    status: str
    duration_seconds: int = 0
    b_leg: str = ""
    hangup_cause: int = 0


ProgramEvent = (
    PlaybackDone | LegDtmf | RecordingDone | SpeechReady | SpeechFailed | TimerFired | DtmfSent
    | DocumentFetched | FetchFailed | LegGone | DialEnded | ConferenceLeft
)

__all__ = [
    "ConferenceLeft", "DialEnded", "DocumentFetched", "DtmfSent", "FetchFailed", "LegDtmf",
    "LegGone", "PlaybackDone", "ProgramEvent", "RecordingDone", "SpeechFailed", "SpeechReady",
    "TimerFired",
]
