"""The state of a running call program (pure, frozen data) and the small helpers that edit it.

A program is a stack of frames: the bottom frame holds the program's own verbs, a
``PreAnswer`` pushes a frame of its nested verbs. At most one thing is awaited at a time
(``waiting``): a playback, a synthesis, a timer, a recording, a fetch, a DTMF send, a dial or
a conference. Besides it, ``live`` lists every PBX resource the program started and has not
seen end (playbacks, recordings, timers): whatever happens, the program releases those before
it finishes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from engine.domain.programs.verbs import Dial, GetDigits, Prompt, Verb

# A Play (or Speak) with loop=0 plays "forever": at most this many playbacks in a row.
FOREVER_CAP = 1000

OutcomeKind = Literal["completed", "hangup", "leg_gone", "stopped", "failed"]


@dataclass(frozen=True)
class ProgramOutcome:
    """How a program finished. ``completed``: it ran out of verbs; ``hangup``: a Hangup verb
    (``reason`` is the verb's reason); ``leg_gone``: the leg hung up; ``stopped``: the call
    ended it (``stop``); ``failed``: a document could not be fetched (``reason`` says why)."""

    kind: OutcomeKind
    reason: str = ""


class Awaiting(StrEnum):
    SPEECH = "speech"  # a Synthesize's SpeechReady / SpeechFailed
    MEDIA = "media"  # a FetchMedia's SpeechReady / SpeechFailed (a Play of an http(s) URL)
    PLAYBACK = "playback"  # a Play's PlaybackDone
    BEEP = "beep"  # the beep before a Record
    TIMER = "timer"  # Wait, a Wait prompt, or GetDigits' input timeout
    RECORDING = "recording"
    FETCH = "fetch"  # Redirect or an action URL
    DTMF_SENT = "dtmf_sent"
    CONFERENCE = "conference"


@dataclass(frozen=True)
class Pending:
    """The one thing the program waits for; ``ref`` is the id its event must carry.

    For a playback, ``media`` and ``repeats_left`` say what to play again once it is done
    (a looping Play); for a synthesis, ``loop`` is the Speak's loop; for a media download,
    ``media`` is the Play's media (its first URL is the one being fetched) and ``loop`` its
    loop.
    """

    kind: Awaiting
    ref: str
    media: tuple[str, ...] = ()
    repeats_left: int = 0
    loop: int = 1


@dataclass(frozen=True)
class DialRequest:
    """A Dial the call flow must carry out; it answers with ``DialEnded(dial_id, …)``."""

    dial_id: str
    verb: Dial


@dataclass(frozen=True)
class Frame:
    """Verbs still to run at one level; ``pre_answer`` marks a PreAnswer's nested verbs."""

    verbs: tuple[Verb, ...]
    pre_answer: bool = False


@dataclass(frozen=True)
class Collect:
    """A GetDigits in progress: ``prompts`` still to play in this attempt, then input.

    ``input`` is True once the prompts are over or a key interrupted them; from then on the
    awaited timer is the input timeout. ``attempts_left`` counts the attempts after this one.
    """

    verb: GetDigits
    prompts: tuple[Prompt, ...]
    attempts_left: int
    digits: str = ""
    input: bool = False


@dataclass(frozen=True)
class ScheduledHangup:
    timer_id: str
    reason: str


ResourceKind = Literal["playback", "recording", "timer"]


@dataclass(frozen=True)
class Live:
    """A PBX resource the program started and has not seen end."""

    kind: ResourceKind
    ref: str


@dataclass(frozen=True)
class ProgramState:
    """Everything a running (or finished) program knows. Frozen: transitions return a copy."""

    channel_id: str
    id_prefix: str
    frames: tuple[Frame, ...]
    answered: bool
    current: Verb | None = None
    waiting: Pending | DialRequest | None = None
    collect: Collect | None = None
    hangup: ScheduledHangup | None = None
    live: tuple[Live, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    counter: int = 0
    outcome: ProgramOutcome | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def pending_dial(self) -> DialRequest | None:
        """The Dial the call flow must carry out now, if the program is waiting for one."""
        return self.waiting if isinstance(self.waiting, DialRequest) else None

    def variable(self, name: str) -> str | None:
        """A result of the program so far (``Digits``, ``RecordUrl``, ``DialStatus``, …)."""
        return next((value for key, value in self.variables if key == name), None)

    def live_refs(self, kind: ResourceKind) -> tuple[str, ...]:
        return tuple(item.ref for item in self.live if item.kind == kind)

    def is_live(self, kind: ResourceKind, ref: str) -> bool:
        return Live(kind, ref) in self.live


def new_id(state: ProgramState, tag: str) -> tuple[ProgramState, str]:
    """A fresh id for playbacks, syntheses, timers, fetches, DTMF refs and dials: the router
    routes their events by the part before the first dot, the call's request_id."""
    n = state.counter + 1
    return replace(state, counter=n), f"{state.id_prefix}.{tag}{n}"


def new_recording_name(state: ProgramState) -> tuple[ProgramState, str]:
    """Recording names become file names: no dot in them."""
    n = state.counter + 1
    return replace(state, counter=n), f"{state.id_prefix}-rec{n}"


def with_live(state: ProgramState, kind: ResourceKind, ref: str) -> ProgramState:
    return replace(state, live=(*state.live, Live(kind, ref)))


def without_live(state: ProgramState, kind: ResourceKind, ref: str) -> ProgramState:
    return replace(state, live=tuple(item for item in state.live if item != Live(kind, ref)))


def with_variables(state: ProgramState, **values: str) -> ProgramState:
    kept = tuple((key, value) for key, value in state.variables if key not in values)
    return replace(state, variables=(*kept, *values.items()))
