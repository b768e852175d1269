"""Single steps of the interpreter that start one thing: a recording, a scheduled hangup, a
document fetch, a notification (pure)."""

from __future__ import annotations

from dataclasses import replace as evolve
from datetime import datetime, timedelta

from engine.domain import commands as cmd
from engine.domain.programs.state import (
    Awaiting,
    Pending,
    ProgramState,
    ScheduledHangup,
    new_id,
    new_recording_name,
    with_live,
    without_live,
)
from engine.domain.programs.verbs import Hangup, Record

Step = tuple[ProgramState, list[cmd.Command]]


def record(state: ProgramState, verb: Record) -> Step:
    state, name = new_recording_name(state)
    state = with_live(state, "recording", name)
    state = evolve(state, waiting=Pending(Awaiting.RECORDING, name))
    return state, [cmd.RecordChannel(state.channel_id, name, verb.max_length, verb.timeout,
                                     beep=False, terminate_on=verb.finish_on_key)]


def schedule_hangup(state: ProgramState, verb: Hangup, now: datetime) -> Step:
    """Plivo's ``<Hangup schedule>``: a timer; the program goes on meanwhile."""
    commands: list[cmd.Command] = []
    if state.hangup is not None:  # a later Hangup reschedules the earlier one
        earlier = state.hangup.timer_id
        state = without_live(state, "timer", earlier)
        commands.append(cmd.CancelTimer(earlier))
    state, timer_id = new_id(state, "t")
    state = with_live(state, "timer", timer_id)
    state = evolve(state, hangup=ScheduledHangup(timer_id, verb.reason))
    fire_at = now + timedelta(seconds=verb.schedule)
    return state, [*commands, cmd.StartTimer(timer_id, fire_at)]


def fetch(state: ProgramState, url: str, method: str, params: dict[str, str]) -> Step:
    state, fetch_id = new_id(state, "f")
    state = evolve(state, waiting=Pending(Awaiting.FETCH, fetch_id))
    return state, [cmd.Fetch(fetch_id, url, method, params)]


def notify(kind: str, url: str, method: str, params: dict[str, str]) -> cmd.Notify:
    # The call flow stamps the account, the call and the call's parameters on it.
    return cmd.Notify(account_id="", request_id="", kind=kind, url=url, method=method,
                      params=params)
