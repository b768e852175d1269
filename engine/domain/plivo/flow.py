"""A call of the Plivo-compatible API (pure): dial, tell the application, run its documents.

It is the programmed call (``program_call``) with what Plivo adds around the program:
- ``ring_url`` hears the ringing, ``hangup_url`` the end (with how it ended);
- ``time_limit`` (from answer) and ``hangup_on_ring`` (from ringing) cut the call;
- with ``machine_detection`` the answered leg first goes through the PBX's AMD; the verdict
  reaches every later webhook as ``Machine`` (and ``hangup`` hangs a machine up at once);
- the program is ``[SendDigits], Redirect(answer_url)`` with Plivo's retries and fallback, so
  the answer_url document runs on the one interpreter;
- every document fetch and notification carries the call's parameters (``params.py``);
- the live-call API plays, speaks, sends DTMF and records beside the program, and a
  transfer replaces the program with the document at a new URL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from engine.domain import program_call
from engine.domain.call import Call, CallState, Role
from engine.domain.commands import (
    Command,
    DetectMachine,
    Fetch,
    FetchMedia,
    Notify,
    Play,
    RecordChannel,
    RemoveFromBridge,
    SendDtmf,
    StartTimer,
    StopPlayback,
    StopRecording,
    Synthesize,
    conference_bridge,
)
from engine.domain.events import (
    CallRestored,
    DtmfSent,
    HangupRequested,
    LegAnswered,
    LegGone,
    LegRinging,
    LiveActionRequested,
    MachineVerdict,
    PlaybackDone,
    ProgramReplaced,
    RecordingDone,
    SpeechFailed,
    SpeechReady,
    TimerFired,
)
from engine.domain.plivo.options import ApiCallOptions, MachineDetection, Webhook
from engine.domain.plivo.params import (
    call_params,
    cause_name,
    hangup_params,
    live_status,
    machine_params,
)
from engine.domain.plivo.reasons import (
    ALLOTTED_TIMEOUT,
    DOCUMENT_FAILED,
    MACHINE_DETECTED,
)
from engine.domain.programs import interpreter
from engine.domain.programs.verbs import Conference, Program, Redirect, SendDigits
from engine.domain.steps import (
    Flow,
    FlowConfig,
    Reaction,
    ReactionTable,
    Step,
    dial_leg,
    hang_up,
    hang_up_all,
    hangup_requested,
    ignore,
)

ANSWER_ATTEMPTS = 3  # Plivo tries answer_url three times…
ANSWER_DEADLINE_SECONDS = 60.0  # …within a minute, then fallback_url
MAX_LIVE_LOOP = 10
E = TypeVar("E")
LIVE_RECORDING_MAX_SECONDS = 3600


def answer_program(api: ApiCallOptions) -> Program:
    fallback = api.fallback or Webhook("")
    fetch = Redirect(api.answer.url, api.answer.method, attempts=ANSWER_ATTEMPTS,
                     deadline_seconds=ANSWER_DEADLINE_SECONDS, fallback_url=fallback.url,
                     fallback_method=fallback.method)
    if api.send_digits and not api.send_on_preanswer:
        return (SendDigits(api.send_digits, api.send_digits_tone_ms), fetch)
    return (fetch,)


def _api(call: Call) -> ApiCallOptions:
    if call.api is None:
        raise ValueError("a Plivo API call needs its options")
    return call.api


def begin(call: Call, config: FlowConfig) -> Step:
    api, party = _api(call), call.customer
    if party is None:
        raise ValueError("a Plivo API call needs a party to dial")
    call = replace(call, state=CallState.DIALING_CUSTOMER, answer_program=answer_program(api))
    return dial_leg(call, Role.CUSTOMER, party, config, call.created_at,
                    timeout=api.ring_timeout, caller_name=api.caller_name,
                    sip_headers=api.sip_headers)


# ---- timers: time_limit (from answer) and hangup_on_ring (from ringing) ----------------


def _limit_timer(call: Call, which: str) -> str:
    return f"{call.request_id}.limit-{which}"


def _is_limit(call: Call, timer_id: str) -> bool:
    return timer_id in (_limit_timer(call, "answer"), _limit_timer(call, "ring"))


def limit_reached(call: Call, event: TimerFired, config: FlowConfig) -> Step:
    which = "time_limit" if event.timer_id.endswith("answer") else "hangup_on_ring"
    call = replace(call, failure_reason=f"{ALLOTTED_TIMEOUT}: {which} reached")
    return program_call.stop_program(call, event, config)


def _notify(call: Call, kind: str, hook: Webhook | None, params: dict[str, str]) -> list[Command]:
    if hook is None or not hook.url:
        return []
    return [Notify(call.account_id, call.request_id, kind, hook.url, hook.method, params)]


# ---- dialling ----------------------------------------------------------------------------


def ringing(call: Call, event: LegRinging, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    limit = _limit_timer(call, "ring")
    if leg is None or leg.role is not Role.CUSTOMER or any(
            t.timer_id == limit for t in call.timers) or "ring" in _told(call):
        return call, []
    api = _api(call)
    call = _mark_told(call, "ring")
    commands = _notify(call, "ring", api.ring, call_params(call, "ringing"))
    at = event.at
    if api.hangup_on_ring > 0:
        commands.append(StartTimer(limit, at + timedelta(seconds=api.hangup_on_ring)))
    if api.send_digits and api.send_on_preanswer:
        # Early media: the digits reach a far end that listens while it "rings".
        commands.append(SendDtmf(leg.channel_id, api.send_digits, f"{call.request_id}.pre",
                                 api.send_digits_tone_ms))
    return call, commands


def answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.role is not Role.CUSTOMER:
        return call, []
    api = _api(call)
    commands: list[Command] = []
    if api.time_limit > 0:
        commands.append(StartTimer(_limit_timer(call, "answer"),
                                   event.at + timedelta(seconds=api.time_limit)))
    if api.machine_detection is not MachineDetection.OFF:
        call = replace(call, state=CallState.DETECTING)
        return call, [*commands, DetectMachine(leg.channel_id, api.machine_detection_time)]
    call, more = _run_program(call, event, config)
    return call, [*commands, *more]


def verdict(call: Call, event: MachineVerdict, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.role is not Role.CUSTOMER:
        return call, []
    api = _api(call)
    detail = "/".join(part for part in (event.status, event.cause) if part)
    call = replace(call, machine="true" if event.machine else "false", machine_detail=detail)
    commands = _notify(call, "machine", api.machine_detection_url, machine_params(call))
    if event.machine and api.machine_detection is MachineDetection.HANGUP:
        call = replace(call, failure_reason=f"{MACHINE_DETECTED}: {detail}")
        call, hangups = hang_up_all(call)
        return call, [*commands, *hangups]
    at = event.at or leg.answered_at or call.created_at
    call, more = _run_program(call, LegAnswered(leg.channel_id, at), config)
    return call, [*commands, *more]


def _run_program(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    call, commands = program_call.answered(call, event, config)
    return _stamped(call, commands, config)


# ---- the program, with the call's parameters on every request ---------------------------


def _stamped(call: Call, commands: list[Command], config: FlowConfig) -> Step:
    """Every fetch and notification carries the call's parameters (a recording as the URL
    the application downloads it from); a program that failed (its document could not be
    fetched or run) records why."""
    program = call.program
    if (program is not None and program.outcome is not None
            and program.outcome.kind == "failed" and not call.failure_reason):
        call = replace(call, failure_reason=f"{DOCUMENT_FAILED}: {program.outcome.reason}")
    status = live_status(call)
    stamped: list[Command] = []
    for command in commands:
        if isinstance(command, Fetch | Notify):
            params = {**call_params(call, status), **command.params}
            record = params.get("RecordUrl", "")
            if record.startswith("recording:") and config.recordings_url:
                params["RecordUrl"] = f"{config.recordings_url}/{record[10:]}.wav"
            if params.get("DialHangupCause", "").isdigit():  # Q.850, in Plivo's words
                params["DialHangupCause"] = cause_name(int(params["DialHangupCause"]))
            stamped.append(replace(command, params=params))
        else:
            stamped.append(command)
    return call, stamped


def _with_params(reaction: Reaction[E]) -> Reaction[E]:
    def run(call: Call, event: E, config: FlowConfig) -> Step:
        call, commands = reaction(call, event, config)
        return _stamped(call, commands, config)
    return run


def in_program(call: Call, event: object, config: FlowConfig) -> Step:
    """An event while the program runs: the call's own timers and live-API media first."""
    if isinstance(event, TimerFired) and _is_limit(call, event.timer_id):
        return limit_reached(call, event, config)
    if _is_live_media(call, event):
        return _live_media_event(call, event)
    call, commands = program_call.program_event(call, event, config)  # type: ignore[arg-type]
    return _stamped(call, commands, config)


def replaced(call: Call, event: ProgramReplaced, config: FlowConfig) -> Step:
    """Plivo's transfer: the document at ``event.url`` runs instead of the current one."""
    program = call.program
    if program is None or program.outcome is not None:
        return call, []
    # What the old document left going on other legs ends first: the parties its Dial
    # rang (their end is told to a program that no longer waits for it), its conference.
    call, leaving = hang_up(call, [leg for leg in call.legs
                                   if leg.channel_id in call.dial_channels and leg.live])
    if isinstance(program.current, Conference) and program.waiting is not None:
        scoped = f"{call.account_id}-{program.current.name}"
        leaving.append(RemoveFromBridge(conference_bridge(scoped), program.channel_id))
    program, commands = interpreter.replace(program, event.url, event.method, event.at)
    call, commands = program_call.after_program(replace(call, program=program), commands,
                                                config, event.at)
    call, commands = _stamped(call, commands, config)
    return call, [*leaving, *commands]


# ---- the live-call API: media beside the program ------------------------------------------


def _live_id(call: Call, loop: int = 1) -> str:
    # Audio that is prepared first (speech, a downloaded URL) plays ``loop`` times once it
    # is ready: the count travels in its id ("<request_id>.api<n>x<loop>").
    return f"{call.request_id}.api{len(call.api_playbacks) + 1}x{loop}"


def _loop_of(ref: str) -> int:
    count = ref.rsplit("x", 1)[-1]
    return int(count) if count.isdigit() else 1


def _is_url(media: str) -> bool:
    return media.startswith(("http://", "https://"))


def _is_live_media(call: Call, event: object) -> bool:
    ref = ""
    if isinstance(event, SpeechReady | SpeechFailed):
        ref = event.synthesis_id
    elif isinstance(event, PlaybackDone):
        ref = event.playback_id
    elif isinstance(event, DtmfSent):
        ref = event.ref
    elif isinstance(event, RecordingDone):
        ref = event.name
    return ref.startswith((f"{call.request_id}.api", f"{call.request_id}-api"))


def _live_media_event(call: Call, event: object) -> Step:
    program = call.program
    if isinstance(event, SpeechReady) and program is not None and program.outcome is None:
        media = event.media * _loop_of(event.synthesis_id)
        return call, [Play(program.channel_id, media, event.synthesis_id)]
    return call, []  # a live playback, DTMF or recording ended: nothing waits for it


def live_action(call: Call, event: LiveActionRequested, config: FlowConfig) -> Step:
    program = call.program
    if program is None or program.outcome is not None:
        return call, []
    channel = program.channel_id
    action = event.action
    if action in ("stop_play", "stop_speak"):
        return call, [StopPlayback(p) for p in call.api_playbacks]
    if action == "stop_record":
        prefix = f"{call.request_id}-api-rec"
        return call, [StopRecording(r) for r in call.recordings if r.startswith(prefix)]
    loop = max(1, min(event.loop, MAX_LIVE_LOOP))
    if action == "play" and any(_is_url(m) for m in event.media):
        # Each URL is downloaded (through the edge's guard) and plays once it is ready.
        commands: list[Command] = []
        for url in event.media:
            ref = _live_id(call, loop)
            call = replace(call, api_playbacks=(*call.api_playbacks, ref))
            commands.append(FetchMedia(ref, url))
        return call, commands
    ref = _live_id(call, loop)
    call = replace(call, api_playbacks=(*call.api_playbacks, ref))
    if action == "play":
        return call, [Play(channel, event.media * loop, ref)]
    if action == "speak" and event.utterance is not None:
        return call, [Synthesize(ref, event.utterance)]
    if action == "dtmf":
        return call, [SendDtmf(channel, event.digits, ref)]
    if action == "record":
        name = f"{call.request_id}-api-rec{len(call.api_playbacks)}"
        call = replace(call, recordings=(*call.recordings, name))
        return call, [RecordChannel(channel, name, LIVE_RECORDING_MAX_SECONDS, 0, beep=False,
                                    terminate_on="")]
    return call, []


# ---- what the application has been told ------------------------------------------------


def _told(call: Call) -> tuple[str, ...]:
    return call.api_notified


def _mark_told(call: Call, kind: str) -> Call:
    return replace(call, api_notified=(*call.api_notified, kind))


def closing(call: Call) -> list[Command]:
    """The step that ends the call tells hangup_url how it ended."""
    api = call.api
    if api is None:
        return []
    return _notify(call, "hangup", api.hangup, hangup_params(call))


def _timeout_or_ignore(call: Call, event: TimerFired, config: FlowConfig) -> Step:
    if _is_limit(call, event.timer_id):
        return limit_reached(call, event, config)
    return call, []


def _table() -> ReactionTable:
    table = (
        ReactionTable("plivo")
        .on(CallState.DIALING_CUSTOMER, LegRinging, ringing)
        .on(CallState.DIALING_CUSTOMER, LegAnswered, answered)
        .on(CallState.DIALING_CUSTOMER, LegGone, program_call.gone_while_dialing)
        .on(CallState.DIALING_CUSTOMER, HangupRequested, hangup_requested)
        .on(CallState.DIALING_CUSTOMER, TimerFired, _timeout_or_ignore)
        .on(CallState.DETECTING, MachineVerdict, verdict)
        .on(CallState.DETECTING, LegGone, program_call.gone_while_dialing)
        .on(CallState.DETECTING, HangupRequested, hangup_requested)
        .on(CallState.DETECTING, TimerFired, _timeout_or_ignore)
        .on(CallState.PROGRAM, HangupRequested, _with_params(program_call.stop_program))
        .on(CallState.PROGRAM, LegAnswered, _with_params(program_call.leg_answered_in_program))
        .on(CallState.PROGRAM, ProgramReplaced, replaced)
        .on(CallState.PROGRAM, LiveActionRequested, live_action)
        .on(CallState.ENDING, HangupRequested, ignore)
    )
    for state in (CallState.DIALING_CUSTOMER, CallState.DETECTING, CallState.PROGRAM):
        table.on(state, CallRestored, program_call.restored)
    for event_type in program_call.PROGRAM_EVENTS:
        table.on(CallState.PROGRAM, event_type, in_program)
    return table


TABLE = _table()
FLOW = Flow(begin=begin, table=TABLE, on_close=closing)
