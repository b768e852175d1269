"""Resuming a program after an engine restart (pure).

While no engine ran, nobody heard the events the program waited for: a playback may have
ended, and a synthesis, a download, a document fetch or a DTMF send that ran inside the
dead process is gone. ``resume`` picks the program up where it stood:

* a playback (or a Record's beep) is stopped, if it still plays, and played again from
  its start: the callee hears the interrupted prompt whole, then the rest;
* a synthesis of a ``Speak`` is asked for again (the speech cache answers at once if it
  was done); one of a GetDigits prompt is taken as failed and the program goes on, as
  Plivo goes on after a Speak it cannot say;
* a download of ``<Play>`` audio is started again;
* a document fetch is taken as failed (the fallback path: ``fallback_url`` or hang up);
* a DTMF send is taken as done.

Timers need nothing (the router re-arms them); recordings, dials and conferences are left
to their own events.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from engine.domain import commands as cmd
from engine.domain.events import DtmfSent, FetchFailed, SpeechFailed
from engine.domain.programs import interpreter
from engine.domain.programs.media import play, play_again, synthesize
from engine.domain.programs.state import Awaiting, Pending, ProgramState, without_live
from engine.domain.programs.verbs import Speak

Step = tuple[ProgramState, list[cmd.Command]]
RESTARTED = "the engine restarted"


def resume(state: ProgramState, now: datetime) -> Step:
    pending = state.waiting
    if state.finished or not isinstance(pending, Pending):
        return state, []
    if pending.kind in (Awaiting.PLAYBACK, Awaiting.BEEP):
        stop: list[cmd.Command] = []
        if state.is_live("playback", pending.ref):
            state, stop = without_live(state, "playback", pending.ref), [
                cmd.StopPlayback(pending.ref)]
        state, commands = play_again(state, replace(pending,
                                                    repeats_left=pending.repeats_left + 1))
        return state, stop + commands
    if pending.kind is Awaiting.SPEECH:
        if isinstance(state.current, Speak) and state.collect is None:
            return synthesize(state, state.current.utterance, pending.loop)
        return interpreter.advance(state, SpeechFailed(pending.ref, RESTARTED), now)
    if pending.kind is Awaiting.MEDIA:
        return play(replace(state, waiting=None), pending.media, pending.loop)
    if pending.kind is Awaiting.FETCH:
        return interpreter.advance(state, FetchFailed(pending.ref, RESTARTED), now)
    if pending.kind is Awaiting.DTMF_SENT:
        return interpreter.advance(state, DtmfSent(pending.ref), now)
    return state, []
