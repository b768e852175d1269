"""The call-program interpreter under arbitrary programs and event orders (Hypothesis).

A small simulated edge answers the commands the interpreter emits, in any order: playbacks
end, timers fire, syntheses succeed or fail, recordings end, documents arrive (random new
programs) or fail, dials and conferences end. Between them it delivers noise: DTMF on the
leg and on other legs, events for other calls' resources, and events for resources the
program already stopped (ARI still reports a stopped playback; a cancelled timer may race).
At a random moment the leg goes, or the call stops the program, or the program is replaced
by the document at a new URL (Plivo's transfer of a live call).

Programs hold Plivo's variants too: plays of http(s) URLs (downloaded first, FetchMedia),
``redirect=False`` actions (a Notify, then the program goes on), asynchronous DTMF, Record
callbacks, GetDigits with playBeep and digitTimeout.

What must hold:
- every id is new and carries the call's prefix (``prefix.`` for ids, ``prefix-rec`` for
  recording names, which have no dot);
- a release (StopPlayback, CancelTimer, StopRecording) only ever names a resource that is
  still live, and the leg is answered at most once;
- when the program finishes, nothing it started is left live: each playback, recording and
  timer got its done event or a release;
- a LegGone for the leg (or ``stop``) finishes the program at any moment;
- ``replace`` at any moment leaves nothing live but the one fetch of the new document;
- a finished program ignores every event and emits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from hypothesis import strategies as st

from engine.domain import commands as cmd
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
from engine.domain.numbers import Extension
from engine.domain.programs.events import ConferenceLeft, DialEnded, ProgramEvent
from engine.domain.programs.interpreter import ProgramState, advance, replace, start, stop
from engine.domain.programs.verbs import (
    Conference,
    Dial,
    GetDigits,
    Hangup,
    Play,
    PreAnswer,
    Program,
    Record,
    Redirect,
    SendDigits,
    Speak,
    Verb,
    Wait,
)
from engine.domain.speech import SpeechPart, TtsEngine, Utterance, Voice

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CH = "chan-1"
PREFIX = "req-1"
MAX_STEPS = 80
KEYS = "0123456789*#"

_voice = Voice(TtsEngine.STANDARD, "en-us", "en-US", "female")
_media = st.lists(st.sampled_from(["sound:a", "sound:b", "https://app/a.mp3"]),
                  max_size=2).map(tuple)
_speak = st.builds(Speak, st.just(Utterance((SpeechPart("hi"),), _voice)),
                   st.integers(0, 2))
_play = st.builds(Play, _media, st.integers(0, 2))
_wait = st.builds(Wait, st.sampled_from([0.0, 1.0, 2.5]))
_prompts = st.lists(st.one_of(_speak, _play, _wait), max_size=2).map(tuple)
_get_digits = st.builds(
    GetDigits, num_digits=st.integers(1, 3), finish_on_key=st.sampled_from(["#", "", "*"]),
    retries=st.integers(1, 3), prompts=_prompts, valid_digits=st.sampled_from([KEYS, "12"]),
    invalid_digits_media=st.sampled_from([(), ("sound:invalid",), ("https://app/bad.wav",)]),
    action=st.sampled_from([None, "http://app/digits"]),
    digit_timeout=st.sampled_from([None, 1.0]), play_beep=st.booleans(),
    redirect=st.booleans())
_record = st.builds(Record, beep=st.booleans(), action=st.sampled_from([None, "http://app/r"]),
                    redirect=st.booleans(),
                    callback_url=st.sampled_from(["", "http://app/ready"]))
_dial = st.builds(Dial, st.just((Extension("101"),)), st.just("100"),
                  action=st.sampled_from([None, "http://app/dial"]), redirect=st.booleans())
_simple: st.SearchStrategy[Verb] = st.one_of(
    _speak, _play, _wait, _get_digits, _record, _dial,
    st.builds(SendDigits, st.sampled_from(["1", "12w3"]), asynchronous=st.booleans()),
    st.builds(Hangup, st.just("bye"), st.sampled_from([0.0, 0.0, 5.0])),
    st.builds(Redirect, st.just("http://app/next")),
    st.builds(Conference, st.sampled_from(["room"]),
              action=st.sampled_from([None, "http://app/conf"]), redirect=st.booleans()),
)
_verb = st.one_of(_simple, st.builds(PreAnswer, st.lists(_simple, max_size=2).map(tuple)))
programs: st.SearchStrategy[Program] = st.lists(_verb, max_size=5).map(tuple)

NOISE: tuple[ProgramEvent, ...] = (
    LegDtmf("other-chan", "1"),
    PlaybackDone("other-call.p1"),
    PlaybackDone(f"{PREFIX}.p999"),
    TimerFired(f"{PREFIX}.t999", T0),
    RecordingDone(f"{PREFIX}-rec999", 1),
    SpeechReady(f"{PREFIX}.s999", ("sound:x",)),
    SpeechReady(f"{PREFIX}.m999", ("sound:x",)),
    SpeechFailed(f"{PREFIX}.m998", "HTTP 404"),
    DocumentFetched(f"{PREFIX}.f999", ()),
    FetchFailed("other-call.f1", "x"),
    DtmfSent(f"{PREFIX}.d999"),
    DialEnded("other-call.dial1", "completed"),
    ConferenceLeft("other-chan"),
    LegGone("other-chan", T0, 16),
)


@dataclass
class Edge:
    """What the PBX and the call flow hold for the program, and what they may answer."""

    playbacks: set[str] = field(default_factory=set)
    timers: set[str] = field(default_factory=set)
    recordings: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    answered: bool = False
    # Each slot is one answer still to come, with its alternatives (ready or failed, …).
    slots: list[list[ProgramEvent]] = field(default_factory=list)
    dials: set[str] = field(default_factory=set)
    notified: int = 0
    replaced: int = 0

    def new_id(self, ref: str, *, recording: bool = False) -> None:
        assert ref not in self.ids, ref
        self.ids.add(ref)
        if recording:
            assert ref.startswith(f"{PREFIX}-rec") and "." not in ref, ref
        else:
            assert ref.startswith(f"{PREFIX}."), ref

    def observe(self, state: ProgramState, commands: list[cmd.Command]) -> None:
        for command in commands:
            self._observe(command)
        request = state.pending_dial
        if request is not None and request.dial_id not in self.dials:
            self.new_id(request.dial_id)
            self.dials.add(request.dial_id)
            self.slots.append([DialEnded(request.dial_id, status, 30)
                               for status in ("completed", "busy", "no-answer")])
        # The program never holds a resource the edge thinks is over.
        for item in state.live:
            held = {"playback": self.playbacks, "timer": self.timers,
                    "recording": self.recordings}[item.kind]
            assert item.ref in held, item

    def _observe(self, command: cmd.Command) -> None:
        if isinstance(command, cmd.Play):
            assert command.channel_id == CH and command.media
            self.new_id(command.playback_id)
            self.playbacks.add(command.playback_id)
            self.slots.append([PlaybackDone(command.playback_id)])
        elif isinstance(command, cmd.StopPlayback):
            self.playbacks.remove(command.playback_id)  # KeyError: not live
        elif isinstance(command, cmd.StartTimer):
            self.new_id(command.timer_id)
            self.timers.add(command.timer_id)
            self.slots.append([TimerFired(command.timer_id, command.fire_at)])
        elif isinstance(command, cmd.CancelTimer):
            self.timers.remove(command.timer_id)
        elif isinstance(command, cmd.RecordChannel):
            assert command.channel_id == CH
            self.new_id(command.name, recording=True)
            self.recordings.add(command.name)
            self.slots.append([RecordingDone(command.name, 3)])
        elif isinstance(command, cmd.StopRecording):
            self.recordings.remove(command.name)
        elif isinstance(command, cmd.Synthesize):
            self.new_id(command.synthesis_id)
            sid = command.synthesis_id
            self.slots.append([SpeechReady(sid, ("sound:tts",)), SpeechReady(sid, ()),
                               SpeechFailed(sid, "engine down")])
        elif isinstance(command, cmd.FetchMedia):
            assert command.url.startswith("https://")
            self.new_id(command.media_id)
            mid = command.media_id
            self.slots.append([SpeechReady(mid, ("sound:fetched",)), SpeechReady(mid, ()),
                               SpeechFailed(mid, "HTTP 404")])
        elif isinstance(command, cmd.Notify):
            assert command.kind in ("action", "record") and command.url.startswith("http://")
            self.notified += 1
        elif isinstance(command, cmd.SendDtmf):
            assert command.channel_id == CH
            self.new_id(command.ref)
            self.slots.append([DtmfSent(command.ref)])
        elif isinstance(command, cmd.Fetch):
            self.new_id(command.fetch_id)
            # DocumentFetched's verbs are drawn when it is delivered.
            self.slots.append([DocumentFetched(command.fetch_id, ()),
                               FetchFailed(command.fetch_id, "HTTP 500")])
        elif isinstance(command, cmd.JoinConference):
            assert command.channel_id == CH
            self.slots.append([ConferenceLeft(CH)])
        elif isinstance(command, cmd.Answer):
            assert command.channel_id == CH and not self.answered
            self.answered = True
        else:
            raise AssertionError(f"a program never emits {command}")

    def delivered(self, event: ProgramEvent) -> None:
        if isinstance(event, PlaybackDone):
            self.playbacks.discard(event.playback_id)
        elif isinstance(event, TimerFired):
            self.timers.discard(event.timer_id)
        elif isinstance(event, RecordingDone):
            self.recordings.discard(event.name)

    def nothing_live(self) -> bool:
        return not (self.playbacks or self.timers or self.recordings)


def _draw_event(data: st.DataObject, edge: Edge) -> ProgramEvent | str:
    choice = data.draw(st.sampled_from(
        ["answer"] * 8 + ["key"] * 3 + ["noise", "gone", "stop", "replace"] if edge.slots
        else ["key", "noise", "gone", "stop", "replace"]))
    if choice == "answer":
        slot = edge.slots.pop(data.draw(st.integers(0, len(edge.slots) - 1)))
        event = data.draw(st.sampled_from(slot))
        if isinstance(event, DocumentFetched):
            event = DocumentFetched(event.fetch_id, data.draw(programs))
        return event
    if choice == "key":
        return LegDtmf(CH, data.draw(st.sampled_from(KEYS)))
    if choice == "noise":
        return data.draw(st.sampled_from(NOISE))
    return choice


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, answered=st.booleans(), data=st.data())
def test_programs_release_everything_whatever_happens(
    program: Program, answered: bool, data: st.DataObject
) -> None:
    edge = Edge(answered=answered)
    state, commands = start(program, CH, PREFIX, T0, answered=answered)
    edge.observe(state, commands)
    now = T0
    for _ in range(MAX_STEPS):
        if state.finished:
            break
        now += timedelta(seconds=1)
        event = _draw_event(data, edge)
        if event == "stop":
            state, commands = stop(state, now)
            assert state.outcome is not None and state.outcome.kind == "stopped"
        elif event == "replace":
            fetches_before = len(edge.ids)
            state, commands = replace(state, "http://app/transfer", "POST", now)
            edge.observe(state, commands)
            # Everything live is released; the one thing awaited is the new document.
            assert edge.nothing_live() and state.live == () and state.collect is None
            assert state.pending_dial is None and state.hangup is None
            assert [type(c) for c in commands if not isinstance(
                c, cmd.StopPlayback | cmd.StopRecording | cmd.CancelTimer)] == [cmd.Fetch]
            assert len(edge.ids) == fetches_before + 1
            edge.replaced += 1
            continue
        elif event == "gone":
            state, commands = advance(state, LegGone(CH, now, 16), now)
            assert state.outcome is not None and state.outcome.kind == "leg_gone"
        else:
            assert not isinstance(event, str)
            edge.delivered(event)
            state, commands = advance(state, event, now)
        edge.observe(state, commands)
    if not state.finished:
        state, commands = stop(state, now)
        edge.observe(state, commands)
    assert state.finished and state.live == () and state.pending_dial is None
    assert state.outcome is not None
    label(f"outcome: {state.outcome.kind}, ids: {min(len(edge.ids), 10)}")
    label(f"notified: {min(edge.notified, 2)}, replaced: {min(edge.replaced, 2)}")
    assert edge.nothing_live(), edge
    # Late answers, noise, another LegGone, another stop: nothing changes, nothing is emitted.
    late = [event for slot in edge.slots for event in slot]
    for event in (*late, *NOISE, LegDtmf(CH, "1"), LegGone(CH, now, 16)):
        assert advance(state, event, now) == (state, [])
    assert stop(state, now) == (state, [])


@settings(max_examples=100, deadline=None)
@given(program=programs, data=st.data())
def test_a_program_is_never_stuck(program: Program, data: st.DataObject) -> None:
    """Answering every command in order (no keys, no noise): the program always waits for
    something the edge will answer, and ends by itself (completed, hung up, or failed on a
    fetch) unless it plays forever."""
    edge = Edge()
    state, commands = start(program, CH, PREFIX, T0, answered=False)
    edge.observe(state, commands)
    for _ in range(MAX_STEPS):
        if state.finished or not edge.slots:
            break
        slot = edge.slots.pop(0)
        event = slot[0]
        if isinstance(event, DocumentFetched):
            event = DocumentFetched(event.fetch_id, ())
        edge.delivered(event)
        state, commands = advance(state, event, T0)
        edge.observe(state, commands)
    if not state.finished:
        assert edge.slots, "the program waits for something nobody will answer"
        return
    assert state.outcome is not None
    assert state.outcome.kind in ("completed", "hangup", "failed")
    assert edge.nothing_live()
