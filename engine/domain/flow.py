"""The call state machine: ``advance(call, event) -> (call, commands)``, with no I/O.

Leg facts (ringing, answered, gone, DTMF) are recorded first, the same way in every state.
Then the reaction table of the call's origin (``{state: {event type: reaction}}``, see
``click2call.py``, ``inbound.py``) decides what the call does next. Timers the reactions
start or cancel are tracked in the call itself, so a restarted engine re-arms them. Last,
one rule closes every call: when no leg is left alive, the call is ENDED, its bridge
destroyed, its timers cancelled and ``CallFinished`` emitted, exactly once, whatever order
the events came in.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from engine.domain import cdr, click2call, inbound, program_call
from engine.domain.call import Call, CallState, Leg, LegState, Origin, PendingTimer
from engine.domain.commands import (
    CallFinished,
    CancelTimer,
    Command,
    DestroyBridge,
    StartTimer,
)
from engine.domain.events import (
    AttendedTransferCancelled,
    AttendedTransferCompleted,
    AttendedTransferRequested,
    BlindTransferRequested,
    CallEvent,
    HangupRequested,
    LegAnswered,
    LegDialStatus,
    LegDroppedByPbx,
    LegDtmf,
    LegGone,
    LegNamed,
    LegRinging,
    LegWitnessed,
    LiveActionRequested,
    ProgramReplaced,
    RecordingRequested,
    TimerFired,
)
from engine.domain.plivo import flow as plivo_flow
from engine.domain.steps import CallStateConflict, Flow, FlowConfig, Step

MAX_DTMF = 64

__all__ = ["CallStateConflict", "FlowConfig", "Step", "advance", "begin", "flow_of",
           "live_counter_key"]


def advance(call: Call, event: CallEvent, config: FlowConfig) -> Step:
    """Apply ``event`` to ``call``. Raises CallStateConflict / NotFound only for API requests."""
    if call.state is CallState.ENDED:
        return call, []
    fresh = _is_fresh(call, event)
    call = _record_leg_fact(call, event)
    if isinstance(event, TimerFired):
        call = replace(call, timers=tuple(t for t in call.timers
                                          if t.timer_id != event.timer_id))
    # A stale leg fact (an unknown or gone leg, a second "answered" for the same leg, as ARI
    # sends with ChannelStateChange then StasisStart) is recorded but never reacted to twice.
    if isinstance(event, LegWitnessed):
        # Asterisk's record of the leg's end: the call reacts as to any other end of a leg.
        event = LegGone(event.channel_id, event.at, event.cause)
    reaction = flow_of(call).table.reaction(call.state, event) if fresh else None
    commands: list[Command] = []
    if reaction is not None:
        call, commands = reaction(call, event, config)
        call = _track_timers(call, commands)
    elif _is_request(event):
        raise CallStateConflict(f"the call is {call.state.value}; that is not possible now")
    return _close_if_over(call, commands, _event_time(event))


def _track_timers(call: Call, commands: list[Command]) -> Call:
    timers = list(call.timers)
    for command in commands:
        if isinstance(command, StartTimer):
            timers = [t for t in timers if t.timer_id != command.timer_id]
            timers.append(PendingTimer(command.timer_id, command.fire_at))
        elif isinstance(command, CancelTimer):
            timers = [t for t in timers if t.timer_id != command.timer_id]
    return call if tuple(timers) == call.timers else replace(call, timers=tuple(timers))


# ---- leg facts -------------------------------------------------------------------------


def _record_leg_fact(call: Call, event: CallEvent) -> Call:
    if isinstance(event, LegRinging | LegAnswered | LegGone | LegWitnessed | LegNamed | LegDtmf
                  | LegDialStatus | LegDroppedByPbx):
        leg = call.leg(event.channel_id)
        if leg is None or (not leg.live and not isinstance(event, LegNamed)):
            return call
        return call.with_leg(_leg_fact(leg, event))
    return call


def _is_fresh(call: Call, event: CallEvent) -> bool:
    """False for a leg event that cannot change what the call does next."""
    if isinstance(event, TimerFired):
        return any(t.timer_id == event.timer_id for t in call.timers)
    if isinstance(event, LegAnswered | LegGone | LegWitnessed | LegDtmf):
        leg = call.leg(event.channel_id)
        if leg is None or not leg.live:
            return False
        return not (isinstance(event, LegAnswered) and leg.state is LegState.ANSWERED)
    return True


def _leg_fact(leg: Leg, event: CallEvent) -> Leg:
    if isinstance(event, LegRinging) and leg.state is LegState.DIALING:
        return replace(leg, state=LegState.RINGING)
    if isinstance(event, LegAnswered) and leg.state is not LegState.ANSWERED:
        return replace(leg, state=LegState.ANSWERED, answered_at=event.at,
                       dial_status=cdr.ANSWER, channel_name=event.channel_name or leg.channel_name)
    if isinstance(event, LegGone | LegWitnessed):
        answered_at = leg.answered_at
        if isinstance(event, LegWitnessed) and answered_at is None:
            answered_at = event.answered_at  # answered while the engine was not listening
        cause = cdr.CAUSE_PBX_UNAVAILABLE if leg.dropped_by_pbx else event.cause
        status = cdr.dial_status_for(answered=answered_at is not None,
                                     cancelled=leg.cancelled, cause=cause,
                                     reported=leg.dial_status)
        return replace(leg, state=LegState.GONE, answered_at=answered_at, ended_at=event.at,
                       hangup_cause=cause, dial_status=status)
    if isinstance(event, LegDroppedByPbx):
        return replace(leg, dropped_by_pbx=True)
    if (isinstance(event, LegDialStatus) and leg.answered_at is None
            and event.dial_status in cdr.FAILED_DIAL_STATUSES):
        # Asterisk's own word for how dialling ended; the leg's end will confirm it.
        return replace(leg, dial_status=event.dial_status)
    if isinstance(event, LegNamed):
        return replace(leg, channel_name=event.channel_name)
    if isinstance(event, LegDtmf):
        return replace(leg, dtmf=(leg.dtmf + event.digit)[:MAX_DTMF])
    return leg


# ---- the tables ----------------------------------------------------------------------

_FLOWS: dict[Origin, Flow] = {
    Origin.CLICK2CALL: click2call.FLOW,
    Origin.CALLBACK: click2call.FLOW,
    Origin.INBOUND: inbound.FLOW,
    Origin.OTP: program_call.FLOW,
    Origin.CAMPAIGN: program_call.FLOW,
    Origin.API: plivo_flow.FLOW,
}


def flow_of(call: Call) -> Flow:
    if call.origin is Origin.API and call.api is None:
        return program_call.FLOW  # a program made in code, without Plivo's options
    if call.origin is Origin.CAMPAIGN and call.api is not None:
        return plivo_flow.FLOW  # a campaign whose calls run a Plivo-compatible answer_url
    flow = _FLOWS.get(call.origin)
    if flow is None:
        raise ValueError(f"no call flow for origin {call.origin.value}")
    return flow


def begin(call: Call, config: FlowConfig) -> Step:
    """A new call's first step, by its origin (the router runs it when it adopts the call)."""
    return flow_of(call).begin(call, config)


_REQUESTS = (HangupRequested, BlindTransferRequested, AttendedTransferRequested,
             AttendedTransferCompleted, AttendedTransferCancelled, RecordingRequested,
             ProgramReplaced, LiveActionRequested)


def _is_request(event: CallEvent) -> bool:
    return isinstance(event, _REQUESTS)


def _event_time(event: CallEvent) -> datetime | None:
    return getattr(event, "at", None)


def _close_if_over(call: Call, commands: list[Command], at: datetime | None) -> Step:
    if call.state is CallState.ENDED or call.live_legs():
        return call, commands
    ended_at = at or max((leg.ended_at for leg in call.legs if leg.ended_at), default=None)
    call = replace(call, state=CallState.ENDED, ended_at=ended_at or call.created_at)
    closing: list[Command] = [CancelTimer(t.timer_id) for t in call.timers]
    call = replace(call, timers=())
    if call.bridge_id is not None:
        closing.append(DestroyBridge(call.bridge_id))
    on_close = flow_of(call).on_close
    if on_close is not None:
        closing.extend(on_close(call))
    closing.append(CallFinished(call.request_id))
    return call, [*commands, *closing]


def live_counter_key(call: Call) -> str:
    """Which live_calls_* counter a call counts in (the seed's four, and beyond it
    ``live_calls_multiparty`` for the members of multi-party calls)."""
    if call.multiparty:
        return "live_calls_multiparty"
    if call.origin is Origin.CAMPAIGN:
        return "live_calls_campaign"
    if call.origin is Origin.INBOUND:
        return "live_calls_inbound"
    if call.origin is Origin.OTP:
        return "live_calls_otp"
    return "live_calls_c2c"
