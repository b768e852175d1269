"""Resuming a program after an engine restart: lost waits are picked up, never stuck."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.domain import commands as cmd
from engine.domain.events import PlaybackDone, SpeechReady
from engine.domain.programs.interpreter import ProgramState, advance, start
from engine.domain.programs.resume import resume
from engine.domain.programs.state import Awaiting, Pending
from engine.domain.programs.verbs import GetDigits, Hangup, Play, Redirect, SendDigits, Speak
from engine.domain.speech import SpeechPart, TtsEngine, Utterance, Voice

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
VOICE = Voice(TtsEngine.STANDARD, "en-us", "en-US", "female")
HELLO = Utterance((SpeechPart("hello"),), VOICE)


def waiting(state: ProgramState) -> Pending:
    assert isinstance(state.waiting, Pending)
    return state.waiting


def test_an_interrupted_playback_is_stopped_and_played_again_from_its_start() -> None:
    state, _ = start((Play(("sound:a", "sound:b")), Hangup()), "ch", "req", T0)
    old = waiting(state).ref
    state, commands = resume(state, T0)
    new = waiting(state)
    assert commands[0] == cmd.StopPlayback(old)
    assert commands[1] == cmd.Play("ch", ("sound:a", "sound:b"), new.ref)
    assert new.ref != old and new.kind is Awaiting.PLAYBACK
    # The old playback's end, if it comes, is stale; the new one's moves the program on.
    assert advance(state, PlaybackDone(old), T0) == (state, [])
    state, _ = advance(state, PlaybackDone(new.ref), T0)
    assert state.finished


def test_a_lost_synthesis_of_a_speak_is_asked_for_again() -> None:
    state, _ = start((Speak(HELLO), Hangup()), "ch", "req", T0)
    lost = waiting(state).ref
    state, commands = resume(state, T0)
    (again,) = commands
    assert isinstance(again, cmd.Synthesize) and again.utterance == HELLO
    assert again.synthesis_id != lost
    state, plays = advance(state, SpeechReady(again.synthesis_id, ("sound:hello",)), T0)
    assert isinstance(plays[0], cmd.Play)


def test_a_lost_prompt_synthesis_goes_on_to_collect_digits() -> None:
    state, _ = start((GetDigits(prompts=(Speak(HELLO),)), Hangup()), "ch", "req", T0)
    assert waiting(state).kind is Awaiting.SPEECH
    state, _ = resume(state, T0)
    assert state.collect is not None and waiting(state).kind is Awaiting.TIMER


def test_a_lost_document_fetch_takes_the_failure_path() -> None:
    state, _ = start((Redirect("https://app.example/next"),), "ch", "req", T0)
    assert waiting(state).kind is Awaiting.FETCH
    state, _ = resume(state, T0)
    assert state.finished


def test_a_lost_dtmf_send_counts_as_sent() -> None:
    state, _ = start((SendDigits("12"), Hangup()), "ch", "req", T0)
    assert waiting(state).kind is Awaiting.DTMF_SENT
    state, _ = resume(state, T0)
    assert state.finished


def test_a_timer_needs_nothing() -> None:
    state, _ = start((GetDigits(), Hangup()), "ch", "req", T0)
    assert resume(state, T0) == (state, [])
