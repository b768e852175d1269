"""The call-program interpreter: ``advance(state, event, now) -> (state, commands)``, pure.

A program (``verbs.Program``) runs on one leg. The interpreter never does anything itself:
it emits commands (play, synthesise, record, start a timer, fetch a document, send DTMF,
answer, join a conference) and waits for the event that answers the one it waits for
(``ProgramState.waiting``). Every id it makes is ``"<id_prefix>.<tag><n>"`` (recording names
``"<id_prefix>-rec<n>"``), so the router finds the call by the part before the first dot.

Rules that hold in every state:
- an event about another resource (a stale playback, another leg's DTMF, a timer that was
  cancelled) changes nothing and emits nothing;
- ``LegGone`` for the program's leg finishes it (``leg_gone``), ``stop`` finishes it
  (``stopped``); finishing, for any reason, releases every playback, recording and timer
  still live (StopPlayback / StopRecording / CancelTimer);
- a finished program ignores every event and never emits anything again.

The interpreter does not hang the leg up: when ``outcome`` is set, the call flow does
(``completed``, ``hangup`` and ``failed`` mean "hang up now"; ``leg_gone`` and ``stopped``
mean the call is already ending). It does not dial either: a Dial sets
``state.pending_dial``, the call flow dials and bridges, then reports ``DialEnded``.

Hangup with ``schedule > 0`` follows Plivo: the hangup is scheduled (a timer) and the program
goes on with the next verbs meanwhile; when the timer fires, the program finishes with
``hangup``. A program that finishes first cancels that timer.

Also after Plivo: a verb with results (GetDigits, Record, Dial, Conference) and an
``action`` fetches it and runs its answer; with ``redirect=False`` it only notifies the
action URL (``Notify``, kind ``action``) and goes on. A SendDigits with ``asynchronous``
goes on at once (its DtmfSent is then stale). ``replace`` is Plivo's transfer of a live
call: everything live is released and the document at the new URL runs instead.
"""

from __future__ import annotations

from dataclasses import replace as evolve
from datetime import datetime

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
from engine.domain.programs import actions, digits
from engine.domain.programs.events import ConferenceLeft, DialEnded, ProgramEvent
from engine.domain.programs.media import (
    BEEP,
    begin_piece,
    media_fetched,
    play,
    play_again,
    release_all,
)
from engine.domain.programs.state import (
    Awaiting,
    DialRequest,
    Frame,
    OutcomeKind,
    Pending,
    ProgramOutcome,
    ProgramState,
    new_id,
    with_variables,
    without_live,
)
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

Step = tuple[ProgramState, list[cmd.Command]]

__all__ = ["BEEP", "ProgramOutcome", "ProgramState", "advance", "replace", "start", "stop"]


def start(program: Program, channel_id: str, id_prefix: str, now: datetime, *,
          answered: bool = True) -> Step:
    """Begin ``program`` on ``channel_id``. ``id_prefix`` is the call's request_id.

    ``answered=False`` is for a leg still ringing (inbound): verbs inside a ``PreAnswer``
    play as early media, and the first other verb answers the leg first.
    """
    state = ProgramState(channel_id, id_prefix, (Frame(tuple(program)),), answered)
    return _proceed(state, now)


def advance(state: ProgramState, event: ProgramEvent, now: datetime) -> Step:
    """Apply ``event``. Events that are not for this program's current step change nothing."""
    if state.finished:
        return state, []
    if isinstance(event, LegGone):
        if event.channel_id != state.channel_id:
            return state, []
        return _finish(state, "leg_gone", f"cause {event.cause}")
    if isinstance(event, PlaybackDone):
        return _on_playback_done(state, event.playback_id, now)
    if isinstance(event, TimerFired):
        return _on_timer(state, event.timer_id, now)
    if isinstance(event, LegDtmf):
        if event.channel_id != state.channel_id or state.collect is None:
            return state, []  # DTMF outside GetDigits (e.g. during Record) is Asterisk's
        return _after_digits(state, *digits.key(state, event.digit, now), now)
    if isinstance(event, SpeechReady | SpeechFailed):
        return _on_speech(state, event, now)
    if isinstance(event, RecordingDone):
        return _on_recording_done(state, event, now)
    if isinstance(event, DtmfSent):
        if not _waits_for(state, Awaiting.DTMF_SENT, event.ref):
            return state, []
        return _next(state, now)
    if isinstance(event, DocumentFetched | FetchFailed):
        return _on_document(state, event, now)
    if isinstance(event, DialEnded):
        return _on_dial_ended(state, event, now)
    return _on_conference_left(state, event, now)


def stop(state: ProgramState, now: datetime) -> Step:
    """The call ends the program (e.g. an API hangup): release everything it holds."""
    if state.finished:
        return state, []
    return _finish(state, "stopped", "")


def replace(state: ProgramState, url: str, method: str, now: datetime) -> Step:
    """Plivo's transfer of a live call: release every playback, recording and timer (a
    scheduled hangup too) and any GetDigits in progress, then fetch ``url``; the fetched
    document runs as the program. A finished program stays finished."""
    if state.finished:
        return state, []
    state, commands = release_all(state)
    state = evolve(state, frames=(), current=None, collect=None)
    state, more = actions.fetch(state, url, method, {})
    return state, commands + more


# ---- running verbs -------------------------------------------------------------------


def _proceed(state: ProgramState, now: datetime) -> Step:
    """Run verbs until one has to wait for an event, or the program is over."""
    commands: list[cmd.Command] = []
    while True:
        state, verb, pre_answer = _take_verb(state)
        if verb is None:
            state, more = _finish(state, "completed", "")
            return state, commands + more
        if not state.answered and not pre_answer and not isinstance(
                verb, PreAnswer | Hangup | Redirect):
            # Early media is over: the first verb outside a PreAnswer answers the leg.
            state = evolve(state, answered=True)
            commands.append(cmd.Answer(state.channel_id))
        state, more = _begin(evolve(state, current=verb), verb, now)
        commands += more
        if state.finished or state.waiting is not None:
            return state, commands


def _take_verb(state: ProgramState) -> tuple[ProgramState, Verb | None, bool]:
    frames = state.frames
    while frames and not frames[-1].verbs:
        frames = frames[:-1]
    if not frames:
        return evolve(state, frames=(), current=None), None, False
    top = frames[-1]
    pre_answer = any(frame.pre_answer for frame in frames)
    frames = (*frames[:-1], evolve(top, verbs=top.verbs[1:]))
    return evolve(state, frames=frames), top.verbs[0], pre_answer


def _begin(state: ProgramState, verb: Verb, now: datetime) -> Step:
    """Start ``verb``: the state comes back waiting for something, or ready for the next."""
    if isinstance(verb, Speak | Play | Wait):
        return begin_piece(state, verb, now)
    if isinstance(verb, GetDigits):
        return _after_digits(state, *digits.begin(state, verb, now), now)
    if isinstance(verb, Record):
        if verb.beep:
            return play(state, BEEP, 1, Awaiting.BEEP)
        return actions.record(state, verb)
    if isinstance(verb, SendDigits):
        state, ref = new_id(state, "d")
        if not verb.asynchronous:
            state = evolve(state, waiting=Pending(Awaiting.DTMF_SENT, ref))
        return state, [cmd.SendDtmf(state.channel_id, verb.digits, ref, verb.tone_ms)]
    if isinstance(verb, Hangup):
        return _hangup(state, verb, now)
    if isinstance(verb, Redirect):
        state, fetch_id = new_id(state, "f")
        state = evolve(state, waiting=Pending(Awaiting.FETCH, fetch_id))
        return state, [cmd.Fetch(fetch_id, verb.url, verb.method, {}, attempts=verb.attempts,
                                 deadline_seconds=verb.deadline_seconds,
                                 fallback_url=verb.fallback_url,
                                 fallback_method=verb.fallback_method)]
    if isinstance(verb, PreAnswer):
        return evolve(state, frames=(*state.frames, Frame(verb.verbs, pre_answer=True))), []
    if isinstance(verb, Dial):
        state, dial_id = new_id(state, "dial")
        return evolve(state, waiting=DialRequest(dial_id, verb)), []
    state = evolve(state, waiting=Pending(Awaiting.CONFERENCE, verb.name))
    return state, [cmd.JoinConference(
        state.channel_id, verb.name, verb.muted, verb.start_on_enter, verb.end_on_exit,
        max_members=verb.max_members, wait_sound=verb.wait_sound, beep=verb.beep,
        callback_url=verb.callback_url, callback_method=verb.callback_method)]


def _hangup(state: ProgramState, verb: Hangup, now: datetime) -> Step:
    if verb.schedule <= 0:
        return _finish(state, "hangup", verb.reason)
    return actions.schedule_hangup(state, verb, now)


def _action_or_next(state: ProgramState, action: str | None, method: str,
                    params: dict[str, str], now: datetime, *, redirect: bool = True) -> Step:
    """After a verb with results: post them to ``action`` (its document is the rest of the
    program), or go on with the next verb; ``redirect=False`` notifies ``action`` with them
    and goes on."""
    if action and redirect:
        return actions.fetch(evolve(state, waiting=None), action, method, params)
    first: list[cmd.Command] = []
    if action:
        first.append(actions.notify("action", action, method, params))
    state, more = _next(state, now)
    return state, first + more


def _next(state: ProgramState, now: datetime) -> Step:
    return _proceed(evolve(state, waiting=None, current=None), now)


def _finish(state: ProgramState, kind: OutcomeKind, reason: str) -> Step:
    state, commands = release_all(state)
    state = evolve(state, frames=(), current=None, collect=None,
                    outcome=ProgramOutcome(kind, reason))
    return state, commands


# ---- events --------------------------------------------------------------------------


def _waits_for(state: ProgramState, kind: Awaiting, ref: str) -> bool:
    pending = state.waiting
    return isinstance(pending, Pending) and pending.kind is kind and pending.ref == ref


def _on_playback_done(state: ProgramState, playback_id: str, now: datetime) -> Step:
    pending = state.waiting
    if not state.is_live("playback", playback_id):
        return state, []  # stale: stopped already, or not ours
    state = without_live(state, "playback", playback_id)
    if not isinstance(pending, Pending) or pending.ref != playback_id:
        return state, []
    if pending.repeats_left > 0:
        return play_again(state, pending)
    if pending.kind is Awaiting.BEEP:
        assert isinstance(state.current, Record)
        return actions.record(state, state.current)
    return _piece_done(state, now)


def _on_timer(state: ProgramState, timer_id: str, now: datetime) -> Step:
    if not state.is_live("timer", timer_id):
        return state, []
    state = without_live(state, "timer", timer_id)
    if state.hangup is not None and state.hangup.timer_id == timer_id:
        return _finish(state, "hangup", state.hangup.reason)
    if not _waits_for(state, Awaiting.TIMER, timer_id):
        return state, []
    if state.collect is not None and state.collect.input:
        return _after_digits(state, *digits.input_timeout(state, now), now)
    return _piece_done(state, now)


def _on_speech(state: ProgramState, event: SpeechReady | SpeechFailed, now: datetime) -> Step:
    pending = state.waiting
    if (not isinstance(pending, Pending) or pending.ref != event.synthesis_id
            or pending.kind not in (Awaiting.SPEECH, Awaiting.MEDIA)):
        return state, []
    media = pending.kind is Awaiting.MEDIA
    if isinstance(event, SpeechFailed):
        # Plivo goes on when a Speak cannot be said or a Play cannot be fetched; the reason
        # stays in the variables.
        failed = {"MediaFailed" if media else "SpeechFailed": event.reason}
        return _piece_done(with_variables(state, **failed), now)
    if media:
        state, commands = media_fetched(state, pending, event.media)
    else:
        state, commands = play(state, event.media, pending.loop)
    if state.waiting is None:
        return _piece_done(state, now, commands)
    return state, commands


def _piece_done(state: ProgramState, now: datetime,
                commands: list[cmd.Command] | None = None) -> Step:
    """A Speak, Play or Wait ended: the next prompt of a GetDigits, or the next verb."""
    first = commands or []
    if state.collect is not None:
        state, more = _after_digits(state, *digits.prompt_done(state, now), now)
    else:
        state, more = _next(state, now)
    return state, first + more


def _after_digits(state: ProgramState, new: ProgramState, commands: list[cmd.Command],
                  done: digits.Collected | None, now: datetime) -> Step:
    if done is None:
        return new, commands
    verb = state.collect.verb if state.collect is not None else state.current
    assert isinstance(verb, GetDigits)
    new = with_variables(new, Digits=done.digits)
    if not done.digits:
        state, more = _next(new, now)
    else:
        state, more = _action_or_next(new, verb.action, verb.method,
                                      {"Digits": done.digits}, now, redirect=verb.redirect)
    return state, commands + more


def _on_recording_done(state: ProgramState, event: RecordingDone, now: datetime) -> Step:
    if not state.is_live("recording", event.name):
        return state, []
    state = without_live(state, "recording", event.name)
    verb = state.current
    if not _waits_for(state, Awaiting.RECORDING, event.name) or not isinstance(verb, Record):
        return state, []
    results = {"RecordUrl": f"recording:{event.name}",
               "RecordingDuration": str(event.duration_seconds),
               "RecordingDurationMs": str(event.duration_seconds * 1000),
               "RecordingID": event.name}
    state = with_variables(state, **results)
    first = [actions.notify("record", verb.callback_url, verb.callback_method, results)
             ] if verb.callback_url else []
    state, more = _action_or_next(state, verb.action, verb.method, results, now,
                                  redirect=verb.redirect)
    return state, first + more


def _on_dial_ended(state: ProgramState, event: DialEnded, now: datetime) -> Step:
    request = state.pending_dial
    if request is None or request.dial_id != event.dial_id:
        return state, []
    results = {"DialStatus": event.status, "DialDuration": str(event.duration_seconds),
               "DialALegUUID": state.id_prefix, "DialBLegUUID": event.b_leg,
               "DialHangupCause": str(event.hangup_cause) if event.hangup_cause else ""}
    state = with_variables(state, **results)
    return _action_or_next(state, request.verb.action, request.verb.method, results, now,
                           redirect=request.verb.redirect)


def _on_conference_left(state: ProgramState, event: ConferenceLeft, now: datetime) -> Step:
    verb = state.current
    if (event.channel_id != state.channel_id or not isinstance(verb, Conference)
            or not _waits_for(state, Awaiting.CONFERENCE, verb.name)):
        return state, []
    return _action_or_next(state, verb.action, verb.method, {"ConferenceName": verb.name}, now,
                           redirect=verb.redirect)


def _on_document(state: ProgramState, event: DocumentFetched | FetchFailed,
                 now: datetime) -> Step:
    if not _waits_for(state, Awaiting.FETCH, event.fetch_id):
        return state, []
    if isinstance(event, FetchFailed):
        return _finish(state, "failed", f"fetch failed: {event.reason}")
    # The fetched document replaces whatever was left of the program, PreAnswer frames too.
    return _next(evolve(state, frames=(Frame(event.verbs),)), now)
