"""Media steps shared by verbs and GetDigits prompts: speak, play, wait, and releasing them.

Each ``begin_*`` returns the state with ``waiting`` set to what it now waits for, or with
``waiting`` None when there was nothing to wait for (an empty Play, a Wait of 0 s).

A Play whose media holds http(s) URLs (Plivo's ``<Play>``) downloads them first, one at a
time (``FetchMedia``, answered like a synthesis: ``SpeechReady`` with the PBX's media URIs
or ``SpeechFailed``), then plays everything as one playback.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from engine.domain import commands as cmd
from engine.domain.programs.state import (
    FOREVER_CAP,
    Awaiting,
    Pending,
    ProgramState,
    new_id,
    with_live,
    without_live,
)
from engine.domain.programs.verbs import Play, Prompt, Speak, Wait
from engine.domain.speech import Utterance

Step = tuple[ProgramState, list[cmd.Command]]

BEEP = ("sound:beep",)


def is_url(item: str) -> bool:
    """A media item that must be downloaded before the PBX can play it."""
    return item.startswith(("http://", "https://"))


def begin_piece(state: ProgramState, piece: Prompt, now: datetime) -> Step:
    """Start a Speak, Play or Wait (a verb, or a GetDigits prompt)."""
    if isinstance(piece, Speak):
        return synthesize(state, piece.utterance, piece.loop)
    if isinstance(piece, Play):
        return play(state, piece.media, piece.loop)
    return wait(state, piece, now)


def synthesize(state: ProgramState, utterance: Utterance, loop: int) -> Step:
    state, synthesis_id = new_id(state, "s")
    state = replace(state, waiting=Pending(Awaiting.SPEECH, synthesis_id, loop=loop))
    return state, [cmd.Synthesize(synthesis_id, utterance)]


def play(state: ProgramState, media: tuple[str, ...], loop: int,
         kind: Awaiting = Awaiting.PLAYBACK) -> Step:
    """Play ``media`` ``loop`` times as one playback; loop 0 plays it again after each
    playback ends, up to ``FOREVER_CAP`` playbacks, unless something stops it first."""
    if not media:
        return replace(state, waiting=None), []
    if any(is_url(item) for item in media):
        return _fetch_media(state, media, loop)
    if loop == 0:
        return _playback(state, media, FOREVER_CAP - 1, kind)
    return _playback(state, media * max(loop, 1), 0, kind)


def _fetch_media(state: ProgramState, media: tuple[str, ...], loop: int) -> Step:
    url = next(item for item in media if is_url(item))
    state, media_id = new_id(state, "m")
    state = replace(state, waiting=Pending(Awaiting.MEDIA, media_id, media, loop=loop))
    return state, [cmd.FetchMedia(media_id, url)]


def media_fetched(state: ProgramState, pending: Pending, fetched: tuple[str, ...]) -> Step:
    """The first URL of ``pending.media`` is downloaded as ``fetched``: fetch the next URL,
    or play."""
    index = next(i for i, item in enumerate(pending.media) if is_url(item))
    media = (*pending.media[:index], *fetched, *pending.media[index + 1:])
    return play(replace(state, waiting=None), media, pending.loop)


def play_again(state: ProgramState, pending: Pending) -> Step:
    """The looping playback ``pending`` ended: play its media once more."""
    return _playback(state, pending.media, pending.repeats_left - 1, pending.kind)


def _playback(state: ProgramState, media: tuple[str, ...], repeats_left: int,
              kind: Awaiting) -> Step:
    state, playback_id = new_id(state, "p")
    state = with_live(state, "playback", playback_id)
    state = replace(state, waiting=Pending(kind, playback_id, media, repeats_left))
    return state, [cmd.Play(state.channel_id, media, playback_id)]


def wait(state: ProgramState, verb: Wait, now: datetime) -> Step:
    if verb.seconds <= 0:
        return replace(state, waiting=None), []
    return start_timer(state, now + timedelta(seconds=verb.seconds))


def start_timer(state: ProgramState, fire_at: datetime) -> Step:
    state, timer_id = new_id(state, "t")
    state = with_live(state, "timer", timer_id)
    state = replace(state, waiting=Pending(Awaiting.TIMER, timer_id))
    return state, [cmd.StartTimer(timer_id, fire_at)]


def release_waiting(state: ProgramState) -> Step:
    """Stop what the program waits for, if it is a playback or a timer (a key pressed during
    a prompt). A synthesis or a download is left to finish: its SpeechReady will simply be
    stale."""
    pending = state.waiting
    state = replace(state, waiting=None)
    if not isinstance(pending, Pending):
        return state, []
    if pending.kind in (Awaiting.PLAYBACK, Awaiting.BEEP) and state.is_live(
            "playback", pending.ref):
        return without_live(state, "playback", pending.ref), [cmd.StopPlayback(pending.ref)]
    if pending.kind is Awaiting.TIMER and state.is_live("timer", pending.ref):
        return without_live(state, "timer", pending.ref), [cmd.CancelTimer(pending.ref)]
    return state, []


def release_all(state: ProgramState) -> Step:
    """Stop every playback, recording and timer still live (the program is finishing).

    Playbacks die with the channel anyway, but a StopPlayback costs nothing (the edge
    ignores NotFound) and keeps the rule simple. A recording must be stopped so that its
    file is finalised; a timer must be cancelled so that it never fires into a later call.
    """
    commands: list[cmd.Command] = []
    for item in state.live:
        if item.kind == "playback":
            commands.append(cmd.StopPlayback(item.ref))
        elif item.kind == "recording":
            commands.append(cmd.StopRecording(item.ref))
        else:
            commands.append(cmd.CancelTimer(item.ref))
    return replace(state, live=(), waiting=None, hangup=None), commands
