"""GetDigits: prompts, barge-in, input with a timeout, validation and retries (pure).

One attempt plays the prompts in order (then a beep, with ``play_beep``); a key pressed
during a prompt stops it (barge-in) and input begins with that key. After the prompts,
input waits ``timeout`` seconds for the first key, and each key restarts that timer with
``digit_timeout`` (``timeout`` when None). Input ends at ``finish_on_key`` (the key is not
kept), when ``num_digits`` keys are in, or when the timer fires.

The input is valid when it is not empty and every key is in ``valid_digits``. Otherwise the
next attempt begins (``retries`` attempts in all, as in Plivo): when keys were pressed but
some were invalid, ``invalid_digits_media`` is played first, as the first prompt of the new
attempt (so a key interrupts it too); a mere timeout replays the prompts only. When no
attempt is left the program gives up on input and goes on (``Collected("")``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from engine.domain import commands as cmd
from engine.domain.programs.media import BEEP, begin_piece, release_waiting, start_timer
from engine.domain.programs.state import Collect, ProgramState
from engine.domain.programs.verbs import GetDigits, Play, Prompt

Step = tuple[ProgramState, list[cmd.Command]]


@dataclass(frozen=True)
class Collected:
    """GetDigits is over: ``digits`` are valid input, or "" when every attempt failed."""

    digits: str


Outcome = tuple[ProgramState, list[cmd.Command], Collected | None]


def begin(state: ProgramState, verb: GetDigits, now: datetime) -> Outcome:
    """Start the first attempt of ``verb``."""
    return _attempt(state, verb, max(verb.retries, 1) - 1, verb.prompts, now)


def prompt_done(state: ProgramState, now: datetime) -> Outcome:
    """The current prompt ended (played out, waited, or its speech failed): play the next."""
    assert state.collect is not None
    return _next_prompt(replace(state, waiting=None), state.collect, now)


def key(state: ProgramState, digit: str, now: datetime) -> Outcome:
    """A key was pressed on the program's leg while GetDigits runs."""
    collect = state.collect
    assert collect is not None
    # Barge-in: the prompt playing (or the Wait prompt, or the input timer) is stopped.
    state, commands = release_waiting(state)
    verb = collect.verb
    if digit and digit in verb.finish_on_key:
        state, more, done = _end_input(state, replace(collect, input=True, prompts=()), now)
        return state, commands + more, done
    collect = replace(collect, input=True, prompts=(), digits=collect.digits + digit)
    if len(collect.digits) >= max(verb.num_digits, 1):
        state, more, done = _end_input(state, collect, now)
        return state, commands + more, done
    between_keys = verb.timeout if verb.digit_timeout is None else verb.digit_timeout
    state, more = start_timer(replace(state, collect=collect),
                              now + timedelta(seconds=between_keys))
    return state, commands + more, None


def input_timeout(state: ProgramState, now: datetime) -> Outcome:
    """The input timer fired (its live entry is already removed)."""
    assert state.collect is not None
    return _end_input(replace(state, waiting=None), state.collect, now)


def _attempt(state: ProgramState, verb: GetDigits, attempts_left: int,
             prompts: tuple[Prompt, ...], now: datetime) -> Outcome:
    if verb.play_beep:
        prompts = (*prompts, Play(BEEP))
    return _next_prompt(state, Collect(verb, prompts, attempts_left), now)


def _next_prompt(state: ProgramState, collect: Collect, now: datetime) -> Outcome:
    commands: list[cmd.Command] = []
    while collect.prompts:
        prompt, rest = collect.prompts[0], collect.prompts[1:]
        collect = replace(collect, prompts=rest)
        state, more = begin_piece(replace(state, collect=collect), prompt, now)
        commands += more
        if state.waiting is not None:
            return state, commands, None
    collect = replace(collect, input=True)
    state, more = start_timer(replace(state, collect=collect),
                              now + timedelta(seconds=collect.verb.timeout))
    return state, commands + more, None


def _end_input(state: ProgramState, collect: Collect, now: datetime) -> Outcome:
    verb, digits = collect.verb, collect.digits
    state = replace(state, collect=None, waiting=None)
    if digits and all(d in verb.valid_digits for d in digits):
        return state, [], Collected(digits)
    if collect.attempts_left <= 0:
        return state, [], Collected("")
    prompts = verb.prompts
    if digits and verb.invalid_digits_media:
        prompts = (Play(verb.invalid_digits_media), *prompts)
    return _attempt(state, verb, collect.attempts_left - 1, prompts, now)
