"""The call-program interpreter, verb by verb (pure: no PBX, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

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
from engine.domain.programs.interpreter import ProgramState, advance, start, stop
from engine.domain.programs.state import FOREVER_CAP, Awaiting, Pending
from engine.domain.programs.verbs import (
    Conference,
    Dial,
    GetDigits,
    Hangup,
    Play,
    PreAnswer,
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
VOICE = Voice(TtsEngine.STANDARD, "en-us", "en-US", "female")
MENU = ("sound:menu",)

C = TypeVar("C")
Step = tuple[ProgramState, list[cmd.Command]]


def utterance(text: str) -> Utterance:
    return Utterance((SpeechPart(text),), VOICE)


def begin(*verbs: Verb, answered: bool = True) -> Step:
    return start(tuple(verbs), CH, PREFIX, T0, answered=answered)


def feed(state: ProgramState, event: ProgramEvent, at: datetime = T0) -> Step:
    return advance(state, event, at)


def only(commands: list[cmd.Command], kind: type[C]) -> C:
    found = [c for c in commands if isinstance(c, kind)]
    assert len(found) == 1, commands
    return found[0]


def dtmf(state: ProgramState, keys: str) -> Step:
    commands: list[cmd.Command] = []
    for key in keys:
        state, more = feed(state, LegDtmf(CH, key))
        commands += more
    return state, commands


def pending_ref(state: ProgramState) -> str:
    assert isinstance(state.waiting, Pending)
    return state.waiting.ref


def finish_playback(state: ProgramState) -> Step:
    return feed(state, PlaybackDone(pending_ref(state)))


def fire_timer(state: ProgramState) -> Step:
    return feed(state, TimerFired(pending_ref(state), T0))


# ---- Speak, Play, Wait, SendDigits ---------------------------------------------------


def test_speak_synthesises_then_plays_the_audio_loop_times() -> None:
    state, commands = begin(Speak(utterance("hello"), loop=2))
    synth = only(commands, cmd.Synthesize)
    assert synth.utterance == utterance("hello")
    assert synth.synthesis_id.startswith(f"{PREFIX}.")
    state, commands = feed(state, SpeechReady(synth.synthesis_id, ("sound:/tts/a", "sound:/tts/b")))
    play = only(commands, cmd.Play)
    assert play.channel_id == CH
    assert play.media == ("sound:/tts/a", "sound:/tts/b") * 2
    assert not state.finished
    state, commands = feed(state, PlaybackDone(play.playback_id))
    assert commands == []
    assert state.outcome is not None and state.outcome.kind == "completed"


def test_speech_failure_skips_the_speak_and_goes_on() -> None:
    state, commands = begin(Speak(utterance("hello")), Play(MENU))
    synth = only(commands, cmd.Synthesize)
    state, commands = feed(state, SpeechFailed(synth.synthesis_id, "no voice"))
    assert only(commands, cmd.Play).media == MENU
    assert state.variable("SpeechFailed") == "no voice"


def test_play_loops_in_one_playback() -> None:
    state, commands = begin(Play(("sound:a", "sound:b"), loop=3), Wait(1))
    play = only(commands, cmd.Play)
    assert play.media == ("sound:a", "sound:b") * 3
    state, commands = feed(state, PlaybackDone(play.playback_id))
    assert only(commands, cmd.StartTimer).fire_at == T0 + timedelta(seconds=1)


def test_play_loop_zero_plays_again_until_stopped() -> None:
    state, commands = begin(Play(MENU, loop=0))
    ids = [only(commands, cmd.Play).playback_id]
    for _ in range(5):
        state, commands = feed(state, PlaybackDone(ids[-1]))
        play = only(commands, cmd.Play)
        assert play.media == MENU
        ids.append(play.playback_id)
    assert len(set(ids)) == len(ids)
    state, commands = stop(state, T0)
    assert commands == [cmd.StopPlayback(ids[-1])]
    assert state.outcome is not None and state.outcome.kind == "stopped"


def test_play_loop_zero_is_capped() -> None:
    state, commands = begin(Play(MENU, loop=0), SendDigits("1"))
    for _ in range(FOREVER_CAP - 1):
        state, commands = feed(state, PlaybackDone(only(commands, cmd.Play).playback_id))
    state, commands = feed(state, PlaybackDone(only(commands, cmd.Play).playback_id))
    assert only(commands, cmd.SendDtmf).digits == "1"


def test_speak_loop_zero_replays_the_synthesised_audio() -> None:
    state, commands = begin(Speak(utterance("hi"), loop=0))
    state, commands = feed(state, SpeechReady(only(commands, cmd.Synthesize).synthesis_id,
                                              ("sound:x",)))
    first = only(commands, cmd.Play)
    state, commands = feed(state, PlaybackDone(first.playback_id))
    again = only(commands, cmd.Play)
    assert again.media == ("sound:x",) and again.playback_id != first.playback_id


def test_empty_play_and_zero_wait_go_straight_on() -> None:
    _, commands = begin(Play(()), Wait(0), SendDigits("12"))
    assert [type(c) for c in commands] == [cmd.SendDtmf]


def test_wait_starts_a_timer_and_goes_on_when_it_fires() -> None:
    state, commands = begin(Wait(2.5), Play(MENU))
    timer = only(commands, cmd.StartTimer)
    assert timer.fire_at == T0 + timedelta(seconds=2.5)
    assert feed(state, TimerFired(f"{PREFIX}.t999", T0)) == (state, [])
    state, commands = feed(state, TimerFired(timer.timer_id, T0))
    assert only(commands, cmd.Play).media == MENU


def test_send_digits_waits_for_the_edge() -> None:
    state, commands = begin(SendDigits("12w3"), Play(MENU))
    send = only(commands, cmd.SendDtmf)
    assert (send.channel_id, send.digits) == (CH, "12w3")
    assert feed(state, DtmfSent("other.d1")) == (state, [])
    state, commands = feed(state, DtmfSent(send.ref))
    assert only(commands, cmd.Play).media == MENU


def test_running_out_of_verbs_completes() -> None:
    state, commands = begin()
    assert commands == []
    assert state.outcome is not None and state.outcome.kind == "completed"


# ---- Hangup ----------------------------------------------------------------------------


def test_hangup_finishes_with_its_reason() -> None:
    state, commands = begin(Hangup(reason="busy"), Play(MENU))
    assert commands == []
    assert state.outcome is not None
    assert (state.outcome.kind, state.outcome.reason) == ("hangup", "busy")


def test_scheduled_hangup_lets_the_program_go_on_until_it_fires() -> None:
    state, commands = begin(Hangup(reason="later", schedule=30), Play(MENU, loop=0))
    timer = only(commands, cmd.StartTimer)
    assert timer.fire_at == T0 + timedelta(seconds=30)
    play = only(commands, cmd.Play)
    state, commands = feed(state, TimerFired(timer.timer_id, T0))
    assert commands == [cmd.StopPlayback(play.playback_id)]
    assert state.outcome is not None
    assert (state.outcome.kind, state.outcome.reason) == ("hangup", "later")


def test_a_program_that_ends_first_cancels_the_scheduled_hangup() -> None:
    state, commands = begin(Hangup(schedule=30), Play(MENU))
    timer = only(commands, cmd.StartTimer)
    state, commands = feed(state, PlaybackDone(only(commands, cmd.Play).playback_id))
    assert commands == [cmd.CancelTimer(timer.timer_id)]
    assert state.outcome is not None and state.outcome.kind == "completed"


def test_a_second_scheduled_hangup_replaces_the_first() -> None:
    state, commands = begin(Hangup(schedule=30), Hangup(schedule=5), Wait(60))
    first, second, _ = (c for c in commands if isinstance(c, cmd.StartTimer))
    assert cmd.CancelTimer(first.timer_id) in commands
    assert feed(state, TimerFired(first.timer_id, T0)) == (state, [])
    state, commands = feed(state, TimerFired(second.timer_id, T0))
    assert state.outcome is not None and state.outcome.kind == "hangup"


# ---- Redirect and documents ------------------------------------------------------------


def test_redirect_fetches_and_the_document_replaces_the_program() -> None:
    state, commands = begin(Redirect("http://app/next", "GET"), Play(("sound:never",)))
    fetch = only(commands, cmd.Fetch)
    assert (fetch.url, fetch.method, dict(fetch.params)) == ("http://app/next", "GET", {})
    assert fetch.fetch_id.startswith(f"{PREFIX}.")
    assert feed(state, DocumentFetched("other.f1", (Play(MENU),))) == (state, [])
    state, commands = feed(state, DocumentFetched(fetch.fetch_id, (Play(MENU),)))
    state, commands = finish_playback(state)
    assert commands == []
    assert state.outcome is not None and state.outcome.kind == "completed"


def test_a_failed_fetch_fails_the_program() -> None:
    state, commands = begin(Redirect("http://app/next"), Play(MENU))
    state, commands = feed(state, FetchFailed(only(commands, cmd.Fetch).fetch_id, "HTTP 500"))
    assert commands == []
    assert state.outcome is not None
    assert state.outcome.kind == "failed" and "HTTP 500" in state.outcome.reason


def test_an_empty_document_completes_the_program() -> None:
    state, commands = begin(Redirect("http://app/next"))
    state, commands = feed(state, DocumentFetched(only(commands, cmd.Fetch).fetch_id, ()))
    assert state.outcome is not None and state.outcome.kind == "completed"


# ---- Record ----------------------------------------------------------------------------


def test_record_beeps_then_records_then_goes_on() -> None:
    verb = Record(max_length=30, timeout=5, finish_on_key="#", beep=True)
    state, commands = begin(verb, Play(MENU))
    beep = only(commands, cmd.Play)
    assert beep.media == ("sound:beep",)
    state, commands = feed(state, PlaybackDone(beep.playback_id))
    record = only(commands, cmd.RecordChannel)
    assert record == cmd.RecordChannel(CH, f"{PREFIX}-rec2", 30, 5, beep=False,
                                       terminate_on="#")
    assert "." not in record.name
    # The PBX ends the recording on "#": the interpreter leaves DTMF alone meanwhile.
    assert feed(state, LegDtmf(CH, "#")) == (state, [])
    state, commands = feed(state, RecordingDone(record.name, 12))
    assert only(commands, cmd.Play).media == MENU
    assert state.variable("RecordUrl") == f"recording:{record.name}"
    assert state.variable("RecordingDuration") == "12"


def test_record_with_action_posts_the_recording() -> None:
    state, commands = begin(Record(beep=False, action="http://app/rec"))
    record = only(commands, cmd.RecordChannel)
    state, commands = feed(state, RecordingDone(record.name, 7))
    fetch = only(commands, cmd.Fetch)
    assert fetch.url == "http://app/rec" and fetch.method == "POST"
    assert fetch.params["RecordingDuration"] == "7"
    assert fetch.params["RecordUrl"] == f"recording:{record.name}"


def test_stop_during_a_recording_stops_it() -> None:
    state, commands = begin(Record(beep=False))
    record = only(commands, cmd.RecordChannel)
    state, commands = stop(state, T0)
    assert commands == [cmd.StopRecording(record.name)]
    assert state.outcome is not None and state.outcome.kind == "stopped"
    assert feed(state, RecordingDone(record.name, 3)) == (state, [])


# ---- Dial and Conference ---------------------------------------------------------------


def test_dial_is_a_request_for_the_call_flow() -> None:
    verb = Dial((Extension("101"),), caller_id="100")
    state, commands = begin(verb, Play(MENU))
    assert commands == []
    request = state.pending_dial
    assert request is not None and request.verb == verb
    assert request.dial_id.startswith(f"{PREFIX}.")
    assert feed(state, DialEnded("other", "completed")) == (state, [])
    state, commands = feed(state, DialEnded(request.dial_id, "busy"))
    assert state.pending_dial is None
    assert state.variable("DialStatus") == "busy"
    assert only(commands, cmd.Play).media == MENU


def test_dial_with_action_posts_the_status() -> None:
    state, _ = begin(Dial((Extension("101"),), "100", action="http://app/dial"))
    assert state.pending_dial is not None
    state, commands = feed(state, DialEnded(state.pending_dial.dial_id, "completed", 42,
                                            b_leg=f"{PREFIX}.2", hangup_cause=16))
    fetch = only(commands, cmd.Fetch)
    assert dict(fetch.params) == {"DialStatus": "completed", "DialDuration": "42",
                                  "DialALegUUID": PREFIX, "DialBLegUUID": f"{PREFIX}.2",
                                  "DialHangupCause": "16"}


def test_conference_joins_and_goes_on_when_left() -> None:
    state, commands = begin(Conference("room", muted=True, end_on_exit=True), Play(MENU))
    assert commands == [cmd.JoinConference(CH, "room", True, True, True)]
    assert feed(state, ConferenceLeft("other")) == (state, [])
    state, commands = feed(state, ConferenceLeft(CH))
    assert only(commands, cmd.Play).media == MENU


def test_conference_ends_with_the_leg() -> None:
    state, _ = begin(Conference("room"), Play(MENU))
    state, commands = feed(state, LegGone(CH, T0, 16))
    assert commands == []
    assert state.outcome is not None and state.outcome.kind == "leg_gone"


# ---- PreAnswer -------------------------------------------------------------------------


def test_pre_answer_plays_early_media_then_answers() -> None:
    state, commands = begin(PreAnswer((Play(("sound:early",)),)), Speak(utterance("hi")),
                            answered=False)
    assert [type(c) for c in commands] == [cmd.Play]
    assert not state.answered
    state, commands = finish_playback(state)
    assert [type(c) for c in commands] == [cmd.Answer, cmd.Synthesize]
    assert commands[0] == cmd.Answer(CH)
    assert state.answered


def test_an_unanswered_leg_is_answered_before_the_first_verb() -> None:
    state, commands = begin(Play(MENU), Play(MENU), answered=False)
    assert [type(c) for c in commands] == [cmd.Answer, cmd.Play]
    state, commands = finish_playback(state)
    assert [type(c) for c in commands] == [cmd.Play]


def test_hangup_on_an_unanswered_leg_does_not_answer_it() -> None:
    state, commands = begin(Hangup(reason="rejected"), answered=False)
    assert commands == [] and not state.answered


def test_an_answered_leg_is_never_answered_again() -> None:
    _, commands = begin(PreAnswer((Play(MENU),)), Play(MENU))
    assert not any(isinstance(c, cmd.Answer) for c in commands)


# ---- GetDigits -------------------------------------------------------------------------


def test_digits_are_kept_in_order_and_the_finish_key_ends_input() -> None:
    state, commands = begin(GetDigits(timeout=4), Play(MENU))
    first_timer = only(commands, cmd.StartTimer)
    assert first_timer.fire_at == T0 + timedelta(seconds=4)
    state, commands = dtmf(state, "3")
    assert cmd.CancelTimer(first_timer.timer_id) in commands
    only(commands, cmd.StartTimer)
    state, commands = dtmf(state, "19#")
    assert state.variable("Digits") == "319"
    assert only(commands, cmd.Play).media == MENU
    assert [item.kind for item in state.live] == ["playback"]


def test_num_digits_ends_input() -> None:
    state, _ = begin(GetDigits(num_digits=2), SendDigits("9"))
    state, commands = dtmf(state, "45")
    assert state.variable("Digits") == "45"
    assert only(commands, cmd.SendDtmf).digits == "9"
    assert state.live == ()


def test_timeout_ends_input_with_what_was_pressed() -> None:
    state, _ = begin(GetDigits(), SendDigits("9"))
    state, _ = dtmf(state, "7")
    state, commands = fire_timer(state)
    assert state.variable("Digits") == "7"
    assert only(commands, cmd.SendDtmf).digits == "9"


def test_no_input_after_every_attempt_goes_on() -> None:
    state, commands = begin(GetDigits(retries=2, prompts=(Play(MENU),),
                                      invalid_digits_media=("sound:invalid",)),
                            SendDigits("9"))
    state, commands = finish_playback(state)
    state, commands = fire_timer(state)
    # A mere timeout replays the prompts, without the invalid-input message.
    assert only(commands, cmd.Play).media == MENU
    state, commands = finish_playback(state)
    state, commands = fire_timer(state)
    assert state.variable("Digits") == ""
    assert only(commands, cmd.SendDtmf).digits == "9"


def test_invalid_digits_play_the_message_and_retry() -> None:
    verb = GetDigits(retries=2, valid_digits="12", prompts=(Play(MENU),),
                     invalid_digits_media=("sound:invalid",), action="http://app/menu")
    state, commands = begin(verb)
    state, _ = finish_playback(state)
    state, commands = dtmf(state, "9#")
    assert only(commands, cmd.Play).media == ("sound:invalid",)
    state, commands = finish_playback(state)
    assert only(commands, cmd.Play).media == MENU
    state, _ = finish_playback(state)
    state, commands = dtmf(state, "12#")
    fetch = only(commands, cmd.Fetch)
    assert (fetch.url, dict(fetch.params)) == ("http://app/menu", {"Digits": "12"})
    state, commands = feed(state, DocumentFetched(fetch.fetch_id, (SendDigits("5"),)))
    assert only(commands, cmd.SendDtmf).digits == "5"


def test_invalid_digits_on_the_last_attempt_give_up() -> None:
    state, _ = begin(GetDigits(retries=1, valid_digits="12", action="http://app"),
                     SendDigits("9"))
    state, commands = dtmf(state, "3#")
    assert state.variable("Digits") == ""
    assert not any(isinstance(c, cmd.Fetch) for c in commands)
    assert only(commands, cmd.SendDtmf).digits == "9"


def test_a_key_during_a_prompt_stops_it_and_starts_input() -> None:
    verb = GetDigits(prompts=(Play(MENU), Play(("sound:more",))), num_digits=3)
    state, commands = begin(verb)
    prompt = only(commands, cmd.Play)
    state, commands = dtmf(state, "5")
    assert cmd.StopPlayback(prompt.playback_id) in commands
    assert not any(isinstance(c, cmd.Play) for c in commands)  # the next prompt is skipped
    only(commands, cmd.StartTimer)
    # ARI still reports the stopped playback: it is stale now.
    assert feed(state, PlaybackDone(prompt.playback_id)) == (state, [])
    state, commands = dtmf(state, "67")
    assert state.variable("Digits") == "567"


def test_a_key_during_a_spoken_prompt_drops_the_synthesis() -> None:
    state, commands = begin(GetDigits(prompts=(Speak(utterance("press one")),), num_digits=1))
    synth = only(commands, cmd.Synthesize)
    state, commands = dtmf(state, "1")
    assert state.variable("Digits") == "1"
    assert feed(state, SpeechReady(synth.synthesis_id, ("sound:x",))) == (state, [])


def test_a_key_during_a_wait_prompt_cancels_its_timer() -> None:
    state, commands = begin(GetDigits(prompts=(Wait(3), Play(MENU))), Play(MENU))
    wait_timer = only(commands, cmd.StartTimer)
    state, commands = dtmf(state, "8")
    assert cmd.CancelTimer(wait_timer.timer_id) in commands
    state, commands = fire_timer(state)
    assert state.variable("Digits") == "8"


def test_prompts_play_in_order_then_input_starts() -> None:
    verb = GetDigits(prompts=(Speak(utterance("hello")), Wait(1), Play(MENU)), timeout=7)
    state, commands = begin(verb)
    state, commands = feed(state, SpeechReady(only(commands, cmd.Synthesize).synthesis_id,
                                              ("sound:hello",)))
    assert only(commands, cmd.Play).media == ("sound:hello",)
    state, commands = finish_playback(state)
    assert only(commands, cmd.StartTimer).fire_at == T0 + timedelta(seconds=1)
    state, commands = fire_timer(state)
    assert only(commands, cmd.Play).media == MENU
    later = T0 + timedelta(seconds=10)
    state, commands = feed(state, PlaybackDone(pending_ref(state)), later)
    assert only(commands, cmd.StartTimer).fire_at == later + timedelta(seconds=7)


def test_dtmf_outside_get_digits_or_from_another_leg_is_ignored() -> None:
    state, _ = begin(Play(MENU))
    assert feed(state, LegDtmf(CH, "1")) == (state, [])
    state, _ = begin(GetDigits())
    assert feed(state, LegDtmf("other-chan", "1")) == (state, [])


# ---- the leg goes at any step ----------------------------------------------------------

PROGRAM: tuple[Verb, ...] = (
    PreAnswer((Play(("sound:early",)),)),
    Speak(utterance("welcome")),
    Hangup(schedule=600),
    GetDigits(prompts=(Play(MENU),), num_digits=1),
    Record(),
    Wait(2),
    SendDigits("1"),
    Dial((Extension("101"),), "100"),
    Conference("room"),
    Redirect("http://app/next"),
    Play(MENU),
)


def answer_for(state: ProgramState) -> list[ProgramEvent]:
    """What the edge (or the call flow) would answer to what the program waits for."""
    if state.pending_dial is not None:
        return [DialEnded(state.pending_dial.dial_id, "completed")]
    pending = state.waiting
    assert isinstance(pending, Pending), state
    if state.collect is not None and state.collect.input:
        return [LegDtmf(CH, "4")]
    events: dict[Awaiting, ProgramEvent] = {
        Awaiting.SPEECH: SpeechReady(pending.ref, ("sound:tts",)),
        Awaiting.PLAYBACK: PlaybackDone(pending.ref),
        Awaiting.BEEP: PlaybackDone(pending.ref),
        Awaiting.TIMER: TimerFired(pending.ref, T0),
        Awaiting.RECORDING: RecordingDone(pending.ref, 4),
        Awaiting.FETCH: DocumentFetched(pending.ref, (Play(MENU),)),
        Awaiting.DTMF_SENT: DtmfSent(pending.ref),
        Awaiting.CONFERENCE: ConferenceLeft(CH),
    }
    return [events[pending.kind]]


def answer_waiting(state: ProgramState) -> Step:
    commands: list[cmd.Command] = []
    for event in answer_for(state):
        state, more = feed(state, event)
        commands += more
    return state, commands


def run_steps(steps: int) -> ProgramState:
    state, _ = begin(*PROGRAM, answered=False)
    for _ in range(steps):
        state, _ = answer_waiting(state)
    return state


def test_the_sample_program_runs_to_completion() -> None:
    state = run_steps(0)
    steps = 0
    while not state.finished:
        state, _ = answer_waiting(state)
        steps += 1
    assert state.outcome is not None and state.outcome.kind == "completed"
    assert steps == 13
    assert state.variable("Digits") == "4"
    assert state.variable("DialStatus") == "completed"


@pytest.mark.parametrize("steps", range(13))
def test_the_leg_going_at_any_step_releases_everything(steps: int) -> None:
    state = run_steps(steps)
    assert not state.finished
    live = state.live
    gone, commands = feed(state, LegGone(CH, T0, 16))
    assert gone.outcome is not None and gone.outcome.kind == "leg_gone"
    expected: list[cmd.Command] = []
    for item in live:
        if item.kind == "playback":
            expected.append(cmd.StopPlayback(item.ref))
        elif item.kind == "recording":
            expected.append(cmd.StopRecording(item.ref))
        else:
            expected.append(cmd.CancelTimer(item.ref))
    assert commands == expected
    assert gone.live == ()
    # Whatever the edge answers now, late, changes nothing.
    for event in [*answer_for(state), LegDtmf(CH, "1"), LegGone(CH, T0, 16)]:
        assert feed(gone, event) == (gone, [])
    assert stop(gone, T0) == (gone, [])


def test_another_channel_going_changes_nothing() -> None:
    state, _ = begin(Play(MENU))
    assert feed(state, LegGone("other", T0, 16)) == (state, [])
