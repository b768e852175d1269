"""What the interpreter does for Plivo's XML semantics: Play of an http(s) URL, GetDigits'
digitTimeout and playBeep, ``redirect="false"``, asynchronous DTMF, Record's callbackUrl,
and ``replace`` (a transfer of the live call). Pure: no PBX, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from engine.domain import commands as cmd
from engine.domain.events import (
    DocumentFetched,
    DtmfSent,
    LegDtmf,
    PlaybackDone,
    RecordingDone,
    SpeechFailed,
    SpeechReady,
    TimerFired,
)
from engine.domain.numbers import Extension
from engine.domain.programs.events import ConferenceLeft, DialEnded, ProgramEvent
from engine.domain.programs.interpreter import (
    BEEP,
    ProgramState,
    advance,
    replace,
    start,
)
from engine.domain.programs.state import Awaiting, Pending
from engine.domain.programs.verbs import (
    Conference,
    Dial,
    GetDigits,
    Hangup,
    Play,
    Record,
    SendDigits,
    Speak,
    Verb,
    Wait,
)
from engine.domain.speech import SpeechPart, TtsEngine, Utterance, Voice
from engine.store import program_codec

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CH = "chan-1"
PREFIX = "req-1"
URL = "https://app.example/a.mp3"
VOICE = Voice(TtsEngine.STANDARD, "en-us", "en-US", "female")

C = TypeVar("C")
Step = tuple[ProgramState, list[cmd.Command]]


def begin(*verbs: Verb) -> Step:
    return start(tuple(verbs), CH, PREFIX, T0)


def feed(state: ProgramState, event: ProgramEvent, at: datetime = T0) -> Step:
    return advance(state, event, at)


def only(commands: list[cmd.Command], kind: type[C]) -> C:
    found = [c for c in commands if isinstance(c, kind)]
    assert len(found) == 1, commands
    return found[0]


def kinds(commands: list[cmd.Command]) -> list[type]:
    return [type(c) for c in commands]


# ---- Play of a URL ------------------------------------------------------------------------


def test_a_url_is_downloaded_then_played_with_its_loop() -> None:
    state, commands = begin(Play((URL,), 2), Hangup())
    fetch = only(commands, cmd.FetchMedia)
    assert fetch.url == URL and fetch.media_id.startswith(f"{PREFIX}.")
    assert isinstance(state.waiting, Pending) and state.waiting.kind is Awaiting.MEDIA
    state, commands = feed(state, SpeechReady(fetch.media_id, ("sound:/var/media/a",)))
    play = only(commands, cmd.Play)
    assert play.media == ("sound:/var/media/a",) * 2
    state, commands = feed(state, PlaybackDone(play.playback_id))
    assert state.outcome is not None and state.outcome.kind == "hangup"


def test_urls_are_fetched_one_at_a_time_in_order() -> None:
    state, commands = begin(Play(("sound:intro", URL, "https://app.example/b.wav")))
    first = only(commands, cmd.FetchMedia)
    state, commands = feed(state, SpeechReady(first.media_id, ("sound:a",)))
    second = only(commands, cmd.FetchMedia)
    assert second.url == "https://app.example/b.wav"
    state, commands = feed(state, SpeechReady(second.media_id, ("sound:b",)))
    assert only(commands, cmd.Play).media == ("sound:intro", "sound:a", "sound:b")


def test_a_url_that_cannot_be_fetched_is_skipped_with_its_reason() -> None:
    state, commands = begin(Play((URL,)), Wait(2))
    fetch = only(commands, cmd.FetchMedia)
    state, commands = feed(state, SpeechFailed(fetch.media_id, "HTTP 404"))
    assert kinds(commands) == [cmd.StartTimer]
    assert state.variable("MediaFailed") == "HTTP 404"


def test_a_stale_download_changes_nothing() -> None:
    state, commands = begin(GetDigits(prompts=(Play((URL,)),)))
    fetch = only(commands, cmd.FetchMedia)
    state, _ = feed(state, LegDtmf(CH, "5"))  # barge-in during the download
    assert feed(state, SpeechReady(fetch.media_id, ("sound:a",))) == (state, [])
    assert feed(state, SpeechReady(f"{PREFIX}.m999", ("sound:a",))) == (state, [])


def test_loop_zero_url_plays_until_stopped() -> None:
    state, commands = begin(Play((URL,), 0))
    fetch = only(commands, cmd.FetchMedia)
    state, commands = feed(state, SpeechReady(fetch.media_id, ("sound:a",)))
    for _ in range(3):
        play = only(commands, cmd.Play)
        assert play.media == ("sound:a",)
        state, commands = feed(state, PlaybackDone(play.playback_id))
    assert not state.finished


# ---- GetDigits ----------------------------------------------------------------------------


def test_play_beep_beeps_after_the_prompts_then_waits_for_input() -> None:
    state, commands = begin(GetDigits(prompts=(Play(("sound:menu",)),), play_beep=True))
    menu = only(commands, cmd.Play)
    state, commands = feed(state, PlaybackDone(menu.playback_id))
    beep = only(commands, cmd.Play)
    assert beep.media == BEEP
    state, commands = feed(state, PlaybackDone(beep.playback_id))
    assert only(commands, cmd.StartTimer).fire_at == T0 + timedelta(seconds=5)


def test_digit_timeout_is_the_time_between_keys() -> None:
    state, commands = begin(GetDigits(timeout=5, digit_timeout=2, num_digits=4))
    assert only(commands, cmd.StartTimer).fire_at == T0 + timedelta(seconds=5)
    state, commands = feed(state, LegDtmf(CH, "1"))
    assert only(commands, cmd.StartTimer).fire_at == T0 + timedelta(seconds=2)


def test_invalid_digits_sound_url_is_downloaded_before_the_retry() -> None:
    state, _ = begin(GetDigits(num_digits=1, retries=2, valid_digits="12",
                               invalid_digits_media=(URL,)))
    state, commands = feed(state, LegDtmf(CH, "9"))
    assert only(commands, cmd.FetchMedia).url == URL


def test_get_digits_redirect_false_notifies_and_goes_on() -> None:
    state, _ = begin(GetDigits(num_digits=1, action="https://app/d", method="GET",
                               redirect=False), Wait(3))
    state, commands = feed(state, LegDtmf(CH, "4"))
    notify = only(commands, cmd.Notify)
    assert (notify.kind, notify.url, notify.method, dict(notify.params)) == (
        "action", "https://app/d", "GET", {"Digits": "4"})
    assert not any(isinstance(c, cmd.Fetch) for c in commands)
    assert only(commands, cmd.StartTimer)  # the Wait runs
    assert state.variable("Digits") == "4"


# ---- Record, Dial, Conference with redirect=false, Record's callback --------------------


def test_record_redirect_false_and_callback() -> None:
    state, commands = begin(Record(beep=False, action="https://app/r", redirect=False,
                                   callback_url="https://app/ready", callback_method="GET"),
                            Hangup())
    name = only(commands, cmd.RecordChannel).name
    state, commands = feed(state, RecordingDone(name, 4))
    notes = [c for c in commands if isinstance(c, cmd.Notify)]
    assert [(n.kind, n.url, n.method) for n in notes] == [
        ("record", "https://app/ready", "GET"), ("action", "https://app/r", "POST")]
    assert notes[0].params["RecordingDuration"] == "4"
    assert state.outcome is not None and state.outcome.kind == "hangup"


def test_record_callback_with_a_redirecting_action() -> None:
    state, commands = begin(Record(beep=False, action="https://app/r",
                                   callback_url="https://app/ready"))
    state, commands = feed(state, RecordingDone(only(commands, cmd.RecordChannel).name, 2))
    assert only(commands, cmd.Notify).kind == "record"
    assert only(commands, cmd.Fetch).url == "https://app/r"


def test_dial_redirect_false() -> None:
    state, _ = begin(Dial((Extension("101"),), "", action="https://app/dial", redirect=False),
                     Hangup())
    request = state.pending_dial
    assert request is not None
    state, commands = feed(state, DialEnded(request.dial_id, "busy"))
    assert dict(only(commands, cmd.Notify).params)["DialStatus"] == "busy"
    assert state.outcome is not None and state.outcome.kind == "hangup"


def test_conference_redirect_false() -> None:
    state, _ = begin(Conference("room", action="https://app/conf", redirect=False), Hangup())
    state, commands = feed(state, ConferenceLeft(CH))
    assert only(commands, cmd.Notify).params == {"ConferenceName": "room"}
    assert state.outcome is not None and state.outcome.kind == "hangup"


# ---- DTMF -----------------------------------------------------------------------------------


def test_asynchronous_dtmf_goes_on_at_once() -> None:
    state, commands = begin(SendDigits("12", asynchronous=True), Wait(1))
    send = only(commands, cmd.SendDtmf)
    assert only(commands, cmd.StartTimer)
    assert feed(state, DtmfSent(send.ref)) == (state, [])


def test_synchronous_dtmf_waits_until_sent() -> None:
    state, commands = begin(SendDigits("12"), Wait(1))
    assert kinds(commands) == [cmd.SendDtmf]
    state, commands = feed(state, DtmfSent(only(commands, cmd.SendDtmf).ref))
    assert kinds(commands) == [cmd.StartTimer]


# ---- replace: Plivo's transfer of a live call ------------------------------------------------


def test_replace_releases_everything_and_fetches_the_new_document() -> None:
    state, commands = begin(Hangup(schedule=60), Play(("sound:music",), 0))
    timer = only(commands, cmd.StartTimer).timer_id
    playback = only(commands, cmd.Play).playback_id
    state, commands = replace(state, "https://app/transfer", "GET", T0)
    assert cmd.StopPlayback(playback) in commands and cmd.CancelTimer(timer) in commands
    fetch = only(commands, cmd.Fetch)
    assert (fetch.url, fetch.method) == ("https://app/transfer", "GET")
    assert state.live == () and state.hangup is None and not state.finished
    # The old playback's end and the old timer are stale now.
    assert feed(state, PlaybackDone(playback)) == (state, [])
    assert feed(state, TimerFired(timer, T0)) == (state, [])
    state, commands = feed(state, DocumentFetched(fetch.fetch_id, (Speak(
        Utterance((SpeechPart("transferred"),), VOICE)),)))
    assert only(commands, cmd.Synthesize)


def test_replace_during_record_and_get_digits() -> None:
    state, commands = begin(Record(beep=False))
    name = only(commands, cmd.RecordChannel).name
    state, commands = replace(state, "https://app/t", "POST", T0)
    assert cmd.StopRecording(name) in commands
    state, commands = begin(GetDigits(num_digits=3))
    state, commands = feed(state, LegDtmf(CH, "1"))
    state, commands = replace(state, "https://app/t", "POST", T0)
    assert state.collect is None and state.live == ()
    assert only(commands, cmd.CancelTimer)
    assert feed(state, LegDtmf(CH, "2")) == (state, [])


def test_replace_during_a_dial_drops_the_pending_dial() -> None:
    state, _ = begin(Dial((Extension("101"),), ""))
    assert state.pending_dial is not None
    state, commands = replace(state, "https://app/t", "POST", T0)
    assert state.pending_dial is None and kinds(commands) == [cmd.Fetch]


def test_replace_of_a_finished_program_does_nothing() -> None:
    state, _ = begin(Hangup())
    assert state.finished
    assert replace(state, "https://app/t", "POST", T0) == (state, [])


# ---- snapshots ------------------------------------------------------------------------------


def test_new_fields_and_a_download_survive_a_snapshot() -> None:
    state, _ = begin(Play((URL,)), GetDigits(digit_timeout=3, play_beep=True, redirect=False),
                     Record(redirect=False, callback_url="https://app/c"),
                     SendDigits("1", asynchronous=True),
                     Dial((Extension("101"),), "", redirect=False, caller_name="Acme"),
                     Conference("r", redirect=False))
    assert isinstance(state.waiting, Pending) and state.waiting.kind is Awaiting.MEDIA
    assert program_codec.decode(program_codec.encode(state)) == state
