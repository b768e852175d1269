"""A call that runs a program (an OTP call): dialling, the program on the answered leg,
hangups at every step, and what survives a restart."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.domain.call import Call, CallState, Origin
from engine.domain.commands import (
    BridgeLegs,
    CallFinished,
    CancelTimer,
    Command,
    Dial,
    Hangup,
    Play,
    RemoveFromBridge,
    StartTimer,
    StopPlayback,
    Synthesize,
)
from engine.domain.events import (
    CallEvent,
    CallRestored,
    HangupRequested,
    LegAnswered,
    LegDtmf,
    LegGone,
    PlaybackDone,
    SpeechReady,
    TimerFired,
)
from engine.domain.flow import advance, begin
from engine.domain.numbers import External
from engine.domain.otp import otp_program, otp_utterance
from engine.domain.program_call import holds_redacted_secret
from engine.domain.programs import verbs
from engine.domain.speech import REDACTED, Prosody, SpeechPart, TtsEngine, Utterance, Voice
from tests.unit.domain.calls import CONFIG, RID, T0, at

VOICE = Voice(TtsEngine.STANDARD, "en-us", "en-US", "female")
LEG = f"{RID}.1"


def otp_call(repeat: int = 2, otp: str = "1987") -> Call:
    program = otp_program(otp_utterance("Your code is", otp, "", VOICE, Prosody()), repeat)
    return Call(request_id=RID, account_id="account_1", origin=Origin.OTP,
                state=CallState.DIALING_CUSTOMER, caller_id="15168148111", created_at=T0,
                customer=External("15168141000"), answer_program=program)


class Run:
    """Drives one OTP call the way the edge would answer its commands."""

    def __init__(self, call: Call) -> None:
        self.call, self.last = begin(call, CONFIG)
        self.history: list[Command] = list(self.last)
        self.clock = 0.0

    def send(self, event: CallEvent) -> list[Command]:
        self.call, self.last = advance(self.call, event, CONFIG)
        self.history.extend(self.last)
        return self.last

    def answer_next(self) -> CallEvent | None:
        """The edge's answer to the newest command that waits for one."""
        self.clock += 1
        for command in reversed(self.last):
            if isinstance(command, Synthesize):
                return SpeechReady(command.synthesis_id, ("sound:/tts/a", "sound:/tts/b"),
                                   at(self.clock))
            if isinstance(command, Play):
                return PlaybackDone(command.playback_id, at(self.clock))
            if isinstance(command, StartTimer):
                return TimerFired(command.timer_id, command.fire_at)
            if isinstance(command, Hangup):
                return LegGone(command.channel_id, at(self.clock), 16)
        return None

    def state(self) -> CallState:
        """A method: mypy would narrow an attribute across sends."""
        return self.call.state

    def count(self, kind: type) -> int:
        return sum(isinstance(c, kind) for c in self.history)


def test_an_otp_call_dials_the_customer_then_speaks_twice_and_hangs_up() -> None:
    run = Run(otp_call(repeat=2))
    assert run.last == [Dial(LEG, External("15168141000"), "15168148111", CONFIG.dial_timeout)]
    run.send(LegAnswered(LEG, at(1)))
    assert run.call.state is CallState.PROGRAM
    assert [type(c) for c in run.last] == [Synthesize]
    while (event := run.answer_next()) is not None:
        run.send(event)
    assert run.count(Synthesize) == 2 and run.count(Play) == 2
    assert run.count(StartTimer) == 1  # the pause between the two announcements
    assert run.state() is CallState.ENDED
    assert run.count(CallFinished) == 1
    assert run.call.timers == ()
    leg = run.call.leg(LEG)
    assert leg is not None and leg.dial_status == "ANSWER"


def test_the_timer_of_a_pause_is_kept_in_the_call_until_it_fires() -> None:
    run = Run(otp_call(repeat=2))
    run.send(LegAnswered(LEG, at(1)))
    for _ in range(2):  # synthesis, then the first announcement's playback
        event = run.answer_next()
        assert event is not None
        run.send(event)
    start = next(c for c in run.last if isinstance(c, StartTimer))
    assert [t.timer_id for t in run.call.timers] == [start.timer_id]
    run.send(TimerFired(start.timer_id, start.fire_at))
    assert run.call.timers == ()


def test_a_busy_customer_ends_the_call_before_any_program() -> None:
    run = Run(otp_call())
    run.send(LegGone(LEG, at(2), 17))
    assert run.call.state is CallState.ENDED
    assert run.call.program is None
    leg = run.call.leg(LEG)
    assert leg is not None and leg.dial_status == "BUSY"


def test_an_api_hangup_mid_announcement_stops_the_playback_and_hangs_up() -> None:
    run = Run(otp_call())
    run.send(LegAnswered(LEG, at(1)))
    event = run.answer_next()
    assert event is not None
    commands = run.send(event)  # now playing
    playback = next(c for c in commands if isinstance(c, Play)).playback_id
    commands = run.send(HangupRequested(at(3)))
    assert StopPlayback(playback) in commands and Hangup(LEG) in commands
    run.send(LegGone(LEG, at(4), 16))
    assert run.call.state is CallState.ENDED and run.count(CallFinished) == 1


def test_keys_pressed_during_the_announcement_reach_the_cdr() -> None:
    run = Run(otp_call())
    run.send(LegAnswered(LEG, at(1)))
    run.send(LegDtmf(LEG, "4", at(2)))
    run.send(LegDtmf(LEG, "2", at(2)))
    leg = run.call.leg(LEG)
    assert leg is not None and leg.dtmf == "42"


def test_a_restored_call_whose_secret_was_never_stored_is_hung_up() -> None:
    run = Run(otp_call())
    run.send(LegAnswered(LEG, at(1)))
    redacted = replace(run.call, answer_program=_redact(run.call.answer_program),
                       program=_redact(run.call.program))
    assert holds_redacted_secret(redacted.program)
    call, commands = advance(redacted, CallRestored(at(5)), CONFIG)
    assert Hangup(LEG) in commands and call.state is CallState.ENDING
    # A call without secrets goes on.
    plain = replace(run.call, answer_program=(), program=None)
    assert advance(plain, CallRestored(at(5)), CONFIG) == (plain, [])


def _redact(value: Any) -> Any:
    """``value`` as a snapshot restores it: secret speech without its text."""
    if isinstance(value, SpeechPart) and value.secret:
        return replace(value, text=REDACTED)
    if isinstance(value, tuple):
        return tuple(_redact(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _redact(getattr(value, f.name))
                                 for f in dataclasses.fields(value)})
    return value


@given(st.integers(min_value=0, max_value=12), st.sampled_from(["leg", "api"]),
       st.integers(min_value=1, max_value=3))
def test_a_hangup_at_any_step_ends_the_call_with_nothing_left(
    step: int, how: str, repeat: int
) -> None:
    run = Run(otp_call(repeat=repeat))
    run.send(LegAnswered(LEG, at(1)))
    for _ in range(step):
        event = run.answer_next()
        if event is None:
            break
        run.send(event)
    if run.call.state is not CallState.ENDED:
        if how == "api" and run.call.state is CallState.PROGRAM:
            run.send(HangupRequested(at(50)))
        run.send(LegGone(LEG, at(51), 16))
    assert run.call.state is CallState.ENDED
    assert run.count(CallFinished) == 1
    assert run.call.timers == ()
    started = {c.timer_id for c in run.history if isinstance(c, StartTimer)}
    fired_or_cancelled = {c.timer_id for c in run.history if isinstance(c, CancelTimer)}
    assert run.call.program is not None and run.call.program.finished
    assert not run.call.program.live
    assert started - fired_or_cancelled <= started  # every live timer was released above


def dial_call(*targets: str) -> Call:
    goodbye = Utterance((SpeechPart("Goodbye"),), VOICE)
    program = (verbs.Dial(tuple(External(t) for t in targets), "15168148111", timeout=20),
               verbs.Speak(goodbye))
    return replace(otp_call(), origin=Origin.API, answer_program=program)


def test_a_program_dial_rings_every_target_and_bridges_the_first_to_answer() -> None:
    run = Run(dial_call("15551230001", "15551230002"))
    run.send(LegAnswered(LEG, at(1)))
    dials = [c for c in run.last if isinstance(c, Dial)]
    assert [d.party.number for d in dials] == ["15551230001", "15551230002"]
    assert all(d.timeout == 20 for d in dials)
    first, second = (d.channel_id for d in dials)
    commands = run.send(LegAnswered(second, at(3)))
    assert Hangup(first) in commands
    assert any(isinstance(c, BridgeLegs) and set(c.channel_ids) == {LEG, second}
               for c in commands)
    run.send(LegGone(first, at(3), 16))
    assert run.call.program is not None and run.call.program.pending_dial is not None
    commands = run.send(LegGone(second, at(13), 16))  # the dialled party hangs up
    # The program gets its leg back and goes on with the next verb (Speak).
    assert RemoveFromBridge(RID, LEG) in commands
    assert any(isinstance(c, Synthesize) for c in commands)
    assert run.call.program.variable("DialStatus") == "completed"
    assert run.call.program.variable("DialDuration") == "10"


def test_nobody_answering_a_program_dial_goes_on_with_the_status() -> None:
    run = Run(dial_call("15551230001"))
    run.send(LegAnswered(LEG, at(1)))
    (dial,) = [c for c in run.last if isinstance(c, Dial)]
    run.send(LegGone(dial.channel_id, at(5), 17))
    assert run.call.program is not None
    assert run.call.program.variable("DialStatus") == "busy"
    assert run.call.state is CallState.PROGRAM


def test_the_program_leg_leaving_mid_dial_hangs_the_dialled_party_up() -> None:
    run = Run(dial_call("15551230001"))
    run.send(LegAnswered(LEG, at(1)))
    (dial,) = [c for c in run.last if isinstance(c, Dial)]
    run.send(LegAnswered(dial.channel_id, at(2)))
    commands = run.send(LegGone(LEG, at(4), 16))
    assert Hangup(dial.channel_id) in commands
    run.send(LegGone(dial.channel_id, at(4), 16))
    assert run.call.state is CallState.ENDED and run.count(CallFinished) == 1


def test_a_program_dial_ends_at_its_time_limit_and_the_program_goes_on() -> None:
    call = dial_call("15551230001")
    dial_verb = call.answer_program[0]
    assert isinstance(dial_verb, verbs.Dial)
    limited = replace(dial_verb, time_limit=30)
    run = Run(replace(call, answer_program=(limited, *call.answer_program[1:])))
    run.send(LegAnswered(LEG, at(1)))
    (dial,) = [c for c in run.last if isinstance(c, Dial)]
    commands = run.send(LegAnswered(dial.channel_id, at(2)))
    (limit,) = [c for c in commands if isinstance(c, StartTimer)]
    assert limit.fire_at == at(32)
    assert Hangup(dial.channel_id) in run.send(TimerFired(limit.timer_id, at(32)))
    commands = run.send(LegGone(dial.channel_id, at(32), 16))
    assert any(isinstance(c, Synthesize) for c in commands)  # the program goes on
    assert run.call.timers == ()
    assert run.call.program is not None
    assert run.call.program.variable("DialStatus") == "completed"
