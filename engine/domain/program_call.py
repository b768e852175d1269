"""A call that runs a program (OTP, campaign messages, answer_url documents), pure.

The call dials its one party; once the leg answers, the leg runs the call's
``answer_program`` through the program interpreter (``engine.domain.programs``), which
owns every playback, recording, timer and fetch. The call only hands it the events of its
leg and carries out what the interpreter cannot do alone: hanging up when the program is
over.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import datetime
from typing import Any

from engine.domain import program_dial
from engine.domain.call import Call, CallState, Role
from engine.domain.commands import Command, Fetch, JoinConference, Notify
from engine.domain.events import (
    CallRestored,
    ConferenceLeft,
    DocumentFetched,
    DtmfSent,
    FetchFailed,
    HangupRequested,
    LegAnswered,
    LegDtmf,
    LegGone,
    PlaybackDone,
    RecordingDone,
    SpeechFailed,
    SpeechReady,
    TimerFired,
)
from engine.domain.programs import interpreter
from engine.domain.programs.events import ProgramEvent
from engine.domain.programs.resume import resume
from engine.domain.speech import SpeechPart
from engine.domain.steps import (
    Flow,
    FlowConfig,
    ReactionTable,
    Step,
    dial_leg,
    hang_up_all,
    hangup_requested,
    ignore,
)


def begin(call: Call, config: FlowConfig) -> Step:
    """Dial the call's one party."""
    if call.customer is None or not call.answer_program:
        raise ValueError("a programmed call needs a party to dial and a program to run")
    return dial_leg(replace(call, state=CallState.DIALING_CUSTOMER), Role.CUSTOMER,
                    call.customer, config, call.created_at)


def holds_redacted_secret(value: Any) -> bool:
    """True if ``value`` (verbs or a program state) has a secret that was never stored."""
    if isinstance(value, SpeechPart):
        return value.redacted
    if isinstance(value, tuple):
        return any(holds_redacted_secret(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(holds_redacted_secret(getattr(value, f.name))
                   for f in dataclasses.fields(value))
    return False


def answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.role is not Role.CUSTOMER:
        return call, []
    if holds_redacted_secret(call.answer_program):
        return hang_up_all(call)
    program, commands = interpreter.start(call.answer_program, leg.channel_id,
                                          call.request_id, event.at)
    return after_program(replace(call, state=CallState.PROGRAM, program=program), commands,
                         config, event.at)


def _now(call: Call, event: object) -> datetime:
    at = getattr(event, "at", None)
    if isinstance(at, datetime):
        return at
    # An event without a time of its own: the latest moment the call knows of.
    known = [leg.answered_at or leg.created_at for leg in call.legs]
    return max([call.created_at, *known])


def program_event(call: Call, event: ProgramEvent, config: FlowConfig) -> Step:
    """Hand an event of the running program's leg to the interpreter."""
    program = call.program
    if program is None:
        return call, []
    if isinstance(event, LegGone) and event.channel_id != program.channel_id:
        return _dialled_leg_gone(call, event, config)
    if (isinstance(event, TimerFired) and call.dial_id is not None
            and event.timer_id == program_dial.limit_timer(call.dial_id)):
        return program_dial.time_limit_reached(call)
    now = _now(call, event)
    program, commands = interpreter.advance(program, event, now)
    return after_program(replace(call, program=program), commands, config, now)


def _dialled_leg_gone(call: Call, event: LegGone, config: FlowConfig) -> Step:
    program = call.program
    if program is None or event.channel_id not in call.dial_channels:
        return call, []
    call, ended, commands = program_dial.dial_outcome(call, program.channel_id)
    if ended is None:
        return call, []
    program, more = interpreter.advance(program, ended, event.at)
    return after_program(replace(call, program=program), [*commands, *more], config, event.at)


def leg_answered_in_program(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    leg, program = call.leg(event.channel_id), call.program
    request = program.pending_dial if program is not None else None
    if (leg is None or program is None or request is None
            or leg.channel_id not in call.dial_channels):
        return call, []
    return program_dial.dialled_leg_answered(call, leg, program.channel_id,
                                             request.verb.time_limit, event.at)


def after_program(call: Call, commands: list[Command], config: FlowConfig,
                  now: datetime) -> Step:
    """After the interpreter stepped: dial what it asks for, or hang up once it is over."""
    program = call.program
    commands = [_scoped(call, c) for c in commands]
    if program is None or program.outcome is None:
        request = program.pending_dial if program is not None else None
        if program is not None and request is not None and call.dial_id != request.dial_id:
            call, dial = program_dial.start_dial(call, request, program.channel_id, config,
                                                 now)
            return call, [*commands, *dial]
        return call, commands
    # Over: whoever is still up (the leg, a party it dialled) is hung up.
    call, hangups = hang_up_all(call)
    return call, [*commands, *hangups]


def _scoped(call: Call, command: Command) -> Command:
    # Conference names are the account's own: another account's "room" is another room.
    if isinstance(command, JoinConference):
        return replace(command, conference=f"{call.account_id}-{command.conference}",
                       account_id=call.account_id)
    if isinstance(command, Fetch):
        return replace(command, account_id=call.account_id)  # signed with its token
    if isinstance(command, Notify):
        return replace(command, account_id=call.account_id, request_id=call.request_id)
    return command


def stop_program(call: Call, event: object, config: FlowConfig) -> Step:
    """The call ends the program (an API hangup): release everything, hang up."""
    commands: list[Command] = []
    if call.program is not None and call.program.outcome is None:
        program, commands = interpreter.stop(call.program, _now(call, event))
        call = replace(call, program=program)
    call, hangups = hang_up_all(call)
    return call, [*commands, *hangups]


def restored(call: Call, event: CallRestored, config: FlowConfig) -> Step:
    # A secret (an OTP) is never stored, so a program that still has one to say cannot go
    # on after a restart: the call is hung up rather than speak a blank.
    if holds_redacted_secret(call.program) or holds_redacted_secret(call.answer_program):
        return stop_program(call, event, config)
    if call.program is None:
        return call, []
    # What the program waited for may have happened (or died) while no engine listened.
    program, commands = resume(call.program, event.at)
    return after_program(replace(call, program=program), commands, config, event.at)


def gone_while_dialing(call: Call, event: LegGone, config: FlowConfig) -> Step:
    return hang_up_all(call)


PROGRAM_EVENTS: tuple[type[Any], ...] = (
    PlaybackDone, LegDtmf, RecordingDone, SpeechReady, SpeechFailed, TimerFired, DtmfSent,
    DocumentFetched, FetchFailed, LegGone, ConferenceLeft,
)


def _table() -> ReactionTable:
    table = (
        ReactionTable("program")
        .on(CallState.DIALING_CUSTOMER, LegAnswered, answered)
        .on(CallState.DIALING_CUSTOMER, LegGone, gone_while_dialing)
        .on(CallState.DIALING_CUSTOMER, HangupRequested, hangup_requested)
        .on(CallState.DIALING_CUSTOMER, CallRestored, restored)
        .on(CallState.PROGRAM, HangupRequested, stop_program)
        .on(CallState.PROGRAM, LegAnswered, leg_answered_in_program)
        .on(CallState.PROGRAM, CallRestored, restored)
        .on(CallState.ENDING, HangupRequested, ignore)
    )
    for event_type in PROGRAM_EVENTS:
        table.on(CallState.PROGRAM, event_type, program_event)
    return table


TABLE = _table()
FLOW = Flow(begin=begin, table=TABLE)
