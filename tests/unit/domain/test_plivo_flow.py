"""A Plivo API call: webhooks at ringing, answer and hangup, the call's limits, machine
detection, the answer_url program with the call's parameters, and the live-call API."""

from __future__ import annotations

import json
from dataclasses import replace

from engine.domain.call import Call, CallState, Origin
from engine.domain.commands import (
    Command,
    DetectMachine,
    Dial,
    Fetch,
    FetchMedia,
    Hangup,
    Notify,
    Play,
    RemoveFromBridge,
    SendDtmf,
    StartTimer,
    StopPlayback,
    Synthesize,
)
from engine.domain.events import (
    DocumentFetched,
    DtmfSent,
    FetchFailed,
    HangupRequested,
    LegAnswered,
    LegGone,
    LegRinging,
    LiveActionRequested,
    MachineVerdict,
    ProgramReplaced,
    SpeechReady,
    TimerFired,
)
from engine.domain.numbers import External
from engine.domain.plivo.options import ApiCallOptions, MachineDetection, Webhook
from engine.domain.plivo.params import plivo_time
from engine.domain.programs import verbs
from engine.domain.speech import Prosody, SpeechPart, TtsEngine, Utterance, Voice
from engine.store.call_codec import call_from_json, call_to_json
from tests.unit.domain.calls import T0, Driver, at

UUID = "9834029e-58b6-41e1-b8b7-a5bd0e4e126f"
LEG = f"{UUID}.1"
ANSWER = Webhook("https://app.example/answer", "GET")
HANGUP = Webhook("https://app.example/hangup")
RING = Webhook("https://app.example/ring")


def options(**changes: object) -> ApiCallOptions:
    base = ApiCallOptions(from_number="+14152224444", to="14152223333", answer=ANSWER,
                          ring=RING, hangup=HANGUP, sip_headers=(("team", "blue"),))
    return replace(base, **changes)  # type: ignore[arg-type]


def start(**changes: object) -> Driver:
    from engine.domain.flow import begin
    from tests.unit.domain.calls import CONFIG

    call = Call(request_id=UUID, account_id="account_1", origin=Origin.API,
                state=CallState.DIALING_CUSTOMER, caller_id="14152224444", created_at=T0,
                customer=External("14152223333"), api=options(**changes))
    call, commands = begin(call, CONFIG)
    return Driver(call, commands, list(commands))


def only(commands: list[Command], kind: type) -> list[Command]:
    return [c for c in commands if isinstance(c, kind)]


def test_dials_with_the_ring_timeout_name_and_headers() -> None:
    run = start(ring_timeout=45, caller_name="Acme")
    dial = only(run.last, Dial)
    assert len(dial) == 1
    assert isinstance(dial[0], Dial)
    assert (dial[0].timeout, dial[0].caller_name, dial[0].sip_headers) == (
        45, "Acme", (("team", "blue"),))
    assert dial[0].caller_id == "14152224444"


def test_ringing_is_told_once_with_the_calls_parameters() -> None:
    run = start()
    first = run.send(LegRinging(LEG, at(1)))
    again = run.send(LegRinging(LEG, at(2)))
    notes = only(first, Notify)
    assert len(notes) == 1 and not only(again, Notify)
    note = notes[0]
    assert isinstance(note, Notify)
    assert (note.kind, note.url, note.method, note.account_id, note.request_id) == (
        "ring", RING.url, "POST", "account_1", UUID)
    assert note.params["CallUUID"] == note.params["RequestUUID"] == UUID
    assert note.params["From"] == "+14152224444" and note.params["To"] == "14152223333"
    assert note.params["CallStatus"] == "ringing" and note.params["Direction"] == "outbound"
    assert note.params["X-PH-team"] == "blue"


def test_answer_fetches_answer_url_with_retries_fallback_and_parameters() -> None:
    run = start(fallback=Webhook("https://app.example/fallback", "GET"))
    run.send(LegAnswered(LEG, at(3)))
    fetch = only(run.last, Fetch)
    assert len(fetch) == 1
    assert isinstance(fetch[0], Fetch)
    f = fetch[0]
    assert (f.url, f.method, f.attempts, f.deadline_seconds) == (ANSWER.url, "GET", 3, 60.0)
    assert (f.fallback_url, f.fallback_method, f.account_id) == (
        "https://app.example/fallback", "GET", "account_1")
    assert f.params["CallStatus"] == "in-progress" and f.params["CallUUID"] == UUID
    assert any(isinstance(c, StartTimer) and c.fire_at == at(3 + 14400) for c in run.last)


def test_send_digits_run_before_the_answer_document() -> None:
    run = start(send_digits="1w2W3", send_digits_tone_ms=300)
    run.send(LegAnswered(LEG, at(3)))
    dtmf = only(run.last, SendDtmf)
    assert not only(run.last, Fetch) and len(dtmf) == 1
    assert isinstance(dtmf[0], SendDtmf)
    assert (dtmf[0].digits, dtmf[0].tone_ms) == ("1w2W3", 300)
    run.send(DtmfSent(dtmf[0].ref, at(5)))
    assert only(run.last, Fetch)


def test_send_on_preanswer_sends_while_ringing() -> None:
    run = start(send_digits="12", send_on_preanswer=True)
    run.send(LegRinging(LEG, at(1)))
    assert [c.digits for c in only(run.last, SendDtmf) if isinstance(c, SendDtmf)] == ["12"]
    run.send(LegAnswered(LEG, at(2)))
    assert only(run.last, Fetch) and not only(run.last, SendDtmf)


def test_a_failed_document_hangs_up_and_hangup_url_hears_why() -> None:
    run = start()
    run.send(LegAnswered(LEG, at(3)))
    fetch = only(run.last, Fetch)[0]
    assert isinstance(fetch, Fetch)
    run.send(FetchFailed(fetch.fetch_id, "HTTP 500 three times", at(4)))
    assert only(run.last, Hangup)
    assert run.call.failure_reason.startswith("DOCUMENT_FAILED: ")
    run.send(LegGone(LEG, at(5), 16))
    hangup = only(run.last, Notify)
    assert len(hangup) == 1
    assert isinstance(hangup[0], Notify)
    params = hangup[0].params
    assert hangup[0].kind == "hangup" and params["CallStatus"] == "completed"
    assert params["Duration"] == params["BillDuration"] == "2"
    assert params["StartTime"] == plivo_time(T0) and params["AnswerTime"] == plivo_time(at(3))
    assert params["EndTime"] == plivo_time(at(5)) and params["HangupCause"] == "DOCUMENT_FAILED"
    assert params["HangupReason"] == "fetch failed: HTTP 500 three times"
    assert (params["HangupSource"], params["HangupCauseName"]) == ("Error", "DOCUMENT_FAILED")
    assert "HangupCauseCode" not in params  # Plivo documents no code for it
    run.assert_finished_once()


def test_busy_hangup_parameters() -> None:
    run = start()
    run.send(LegGone(LEG, at(2), 17))
    note = only(run.last, Notify)[0]
    assert isinstance(note, Notify)
    assert (note.params["CallStatus"], note.params["HangupCause"]) == ("busy", "USER_BUSY")
    assert note.params["HangupSource"] == "Call recipient"
    assert note.params["AnswerTime"] == "" and note.params["Duration"] == "0"


def test_time_limit_cuts_the_call_and_says_so() -> None:
    run = start(time_limit=30)
    run.send(LegAnswered(LEG, at(1)))
    timer = next(c for c in run.last if isinstance(c, StartTimer) and "limit" in c.timer_id)
    assert isinstance(timer, StartTimer) and timer.fire_at == at(31)
    run.send(TimerFired(timer.timer_id, at(31)))
    assert only(run.last, Hangup)
    run.send(LegGone(LEG, at(31.2), 16))
    note = only(run.last, Notify)[0]
    assert isinstance(note, Notify) and note.params["HangupCause"] == "ALLOTTED_TIMEOUT"


def test_hangup_on_ring_counts_from_ringing() -> None:
    run = start(hangup_on_ring=10)
    run.send(LegRinging(LEG, at(2)))
    timer = next(c for c in run.last if isinstance(c, StartTimer))
    assert isinstance(timer, StartTimer) and timer.fire_at == at(12)
    run.send(TimerFired(timer.timer_id, at(12)))
    assert only(run.last, Hangup)
    run.send(LegGone(LEG, at(12.1), 16))
    note = only(run.last, Notify)[0]
    assert isinstance(note, Notify)
    assert (note.params["CallStatus"], note.params["HangupCause"]) == (
        "no-answer", "ALLOTTED_TIMEOUT")


def test_machine_detection_runs_before_the_program_and_reaches_its_parameters() -> None:
    md = Webhook("https://app.example/md")
    run = start(machine_detection=MachineDetection.REPORT, machine_detection_time=3000,
                machine_detection_url=md)
    run.send(LegAnswered(LEG, at(1)))
    assert only(run.last, DetectMachine) == [DetectMachine(LEG, 3000)]
    assert not only(run.last, Fetch) and run.state() is CallState.DETECTING
    run.send(MachineVerdict(LEG, False, "HUMAN", "HUMAN-500-500", at(2)))
    note = only(run.last, Notify)[0]
    fetch = only(run.last, Fetch)[0]
    assert isinstance(note, Notify) and isinstance(fetch, Fetch)
    assert note.kind == "machine" and note.params["Machine"] == "false"
    assert fetch.params["Machine"] == "false"
    assert run.call.machine == "false" and run.call.machine_detail == "HUMAN/HUMAN-500-500"


def test_machine_detection_hangup_hangs_a_machine_up() -> None:
    run = start(machine_detection=MachineDetection.HANGUP)
    run.send(LegAnswered(LEG, at(1)))
    run.send(MachineVerdict(LEG, True, "MACHINE", "LONGGREETING", at(3)))
    assert only(run.last, Hangup) and not only(run.last, Fetch)
    run.send(LegGone(LEG, at(3.1), 16))
    note = only(run.last, Notify)[0]
    assert isinstance(note, Notify)
    assert note.params["Machine"] == "true" and note.params["HangupCause"] == "MACHINE_DETECTED"


def test_live_speak_play_and_stop_beside_the_program() -> None:
    run = start()
    run.send(LegAnswered(LEG, at(1)))
    fetch = only(run.last, Fetch)[0]
    assert isinstance(fetch, Fetch)
    run.send(DocumentFetched(fetch.fetch_id, (verbs.Wait(30),), at(2)))
    voice = Voice(TtsEngine.STANDARD, "en-us", "en-US", "female")
    hello = Utterance((SpeechPart("hi"),), voice, Prosody())
    run.send(LiveActionRequested("speak", at(3), utterance=hello))
    synth = only(run.last, Synthesize)[0]
    assert isinstance(synth, Synthesize)
    run.send(SpeechReady(synth.synthesis_id, ("sound:/x",), at(4)))
    assert only(run.last, Play) == [Play(LEG, ("sound:/x",), synth.synthesis_id)]
    run.send(LiveActionRequested("play", at(5), media=("sound:beep",), loop=2))
    play = only(run.last, Play)[0]
    assert isinstance(play, Play) and play.media == ("sound:beep", "sound:beep")
    run.send(LiveActionRequested("stop_play", at(6)))
    assert {c.playback_id for c in only(run.last, StopPlayback)
            if isinstance(c, StopPlayback)} == {synth.synthesis_id, play.playback_id}
    assert run.state() is CallState.PROGRAM  # the program's Wait goes on


def test_api_hangup_ends_the_call() -> None:
    run = start()
    run.send(LegAnswered(LEG, at(1)))
    run.send(HangupRequested(at(2)))
    assert only(run.last, Hangup)


def test_a_transfer_replaces_the_program_and_ends_what_it_dialled() -> None:
    run = start()
    run.send(LegAnswered(LEG, at(1)))
    fetch = only(run.last, Fetch)[0]
    assert isinstance(fetch, Fetch)
    dial = verbs.Dial((External("14152229999"),), caller_id="")
    run.send(DocumentFetched(fetch.fetch_id, (dial,), at(2)))
    dialled = only(run.last, Dial)
    assert len(dialled) == 1 and isinstance(dialled[0], Dial)
    assert dialled[0].caller_id == "14152224444"  # the call's own, as Plivo
    run.send(ProgramReplaced("https://app.example/next", "GET", at(3)))
    assert Hangup(dialled[0].channel_id) in run.last
    refetch = only(run.last, Fetch)
    assert len(refetch) == 1 and isinstance(refetch[0], Fetch)
    assert (refetch[0].url, refetch[0].method) == ("https://app.example/next", "GET")
    assert refetch[0].params["CallUUID"] == UUID


def test_a_transfer_takes_the_leg_out_of_its_conference() -> None:
    run = start()
    run.send(LegAnswered(LEG, at(1)))
    fetch = only(run.last, Fetch)[0]
    assert isinstance(fetch, Fetch)
    run.send(DocumentFetched(fetch.fetch_id, (verbs.Conference("room"),), at(2)))
    run.send(ProgramReplaced("https://app.example/next", "POST", at(3)))
    assert RemoveFromBridge("conference-account_1-room", LEG) in run.last


def test_live_play_of_urls_downloads_each_then_plays_it_its_loop_count() -> None:
    run = start()
    run.send(LegAnswered(LEG, at(1)))
    fetch = only(run.last, Fetch)[0]
    assert isinstance(fetch, Fetch)
    run.send(DocumentFetched(fetch.fetch_id, (verbs.Wait(30),), at(2)))
    run.send(LiveActionRequested("play", at(3), media=("https://a.example/1.wav",
                                                       "https://a.example/2.wav"), loop=3))
    downloads = only(run.last, FetchMedia)
    assert [d.url for d in downloads if isinstance(d, FetchMedia)] == [
        "https://a.example/1.wav", "https://a.example/2.wav"]
    assert not only(run.last, Play)
    first = downloads[0]
    assert isinstance(first, FetchMedia)
    run.send(SpeechReady(first.media_id, ("sound:/play/1",), at(4)))
    assert only(run.last, Play) == [Play(LEG, ("sound:/play/1",) * 3, first.media_id)]


def test_a_plivo_call_round_trips_through_its_snapshot_mid_detection() -> None:
    run = start(machine_detection=MachineDetection.HANGUP,
                machine_detection_url=Webhook("https://app.example/md", "GET"),
                fallback=Webhook("https://app.example/fb"), send_digits="12",
                send_digits_tone_ms=200, time_limit=60)
    run.send(LegRinging(LEG, at(1)))
    run.send(LegAnswered(LEG, at(2)))
    stored = json.loads(json.dumps(call_to_json(run.call)))
    again = call_from_json(stored)
    assert again == run.call
    assert again.api is not None and again.api.machine_detection is MachineDetection.HANGUP
    # …and it goes on where it stopped: the verdict starts its program.
    run.call = again
    run.send(MachineVerdict(LEG, False, "HUMAN", "HUMAN-500-500", at(3)))
    assert only(run.last, SendDtmf)


def test_resource_names_lead_with_their_call_id() -> None:
    from engine.domain.ids import leading_request_id

    assert leading_request_id(f"{UUID}-rec2") == UUID
    assert leading_request_id(f"{UUID}-api-rec1") == UUID
    assert leading_request_id("57362de4f0-both") == "57362de4f0"
    assert leading_request_id("57362de4f0ab-both") is None
    assert leading_request_id("recording") is None


def test_a_program_that_runs_to_its_end_is_plivos_end_of_xml() -> None:
    run = start()
    run.send(LegAnswered(LEG, at(1)))
    fetch = only(run.last, Fetch)[0]
    assert isinstance(fetch, Fetch)
    run.send(DocumentFetched(fetch.fetch_id, (verbs.Wait(1),), at(2)))
    timer = next(c for c in run.last if isinstance(c, StartTimer) and "limit" not in c.timer_id)
    assert isinstance(timer, StartTimer)
    run.send(TimerFired(timer.timer_id, at(3)))
    run.send(LegGone(LEG, at(3.1), 16))
    note = only(run.last, Notify)[0]
    assert isinstance(note, Notify)
    assert (note.params["HangupCause"], note.params["HangupCauseCode"],
            note.params["HangupCauseName"], note.params["HangupSource"]) == (
        "NORMAL_CLEARING", "4010", "End Of XML Instructions", "Plivo")
