"""The call state machine: ``advance(call, event) -> (call, commands)``, with no I/O.

Leg facts (ringing, answered, gone, DTMF) are recorded first, the same way in every state.
Then the table ``_REACTIONS[state][event type]`` decides what the call does next. Last, one
rule closes every call: when no leg is left alive, the call is ENDED, its bridge destroyed
and ``CallFinished`` emitted, exactly once, whatever order the events came in.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from engine.domain import cdr, transfers
from engine.domain.call import Call, CallState, Leg, LegState, Origin, Role
from engine.domain.commands import (
    Answer,
    BridgeLegs,
    CallFinished,
    Command,
    DestroyBridge,
    Play,
    RecordBridge,
    StartRinging,
    StopRinging,
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
    PlaybackDone,
    RecordingRequested,
)
from engine.domain.steps import (
    CallStateConflict,
    FlowConfig,
    Reaction,
    Step,
    answered_leg,
    bridge_id_of,
    dial_leg,
    hang_up_all,
    recording_commands,
)

MAX_DTMF = 64

__all__ = ["CallStateConflict", "FlowConfig", "Step", "advance", "live_counter_key",
           "start_click2call", "start_inbound"]


def start_click2call(call: Call, config: FlowConfig) -> Step:
    """A click2call begins by dialling the agent."""
    return dial_leg(replace(call, state=CallState.DIALING_AGENT), Role.AGENT, call.agent, config,
                 call.created_at)


def start_inbound(
    call: Call, caller_channel_id: str, channel_name: str, config: FlowConfig
) -> Step:
    """An inbound call: the caller's channel exists; ring it and dial the agent."""
    caller = Leg(Role.CUSTOMER, call.customer, caller_channel_id, LegState.RINGING,
                 call.created_at, channel_name=channel_name)
    call = replace(call, state=CallState.DIALING_AGENT, legs=(caller,))
    call, commands = dial_leg(call, Role.AGENT, call.agent, config, call.created_at)
    return call, [StartRinging(caller_channel_id), *commands]


def advance(call: Call, event: CallEvent, config: FlowConfig) -> Step:
    """Apply ``event`` to ``call``. Raises CallStateConflict / NotFound only for API requests."""
    if call.state is CallState.ENDED:
        return call, []
    fresh = _is_fresh(call, event)
    call = _record_leg_fact(call, event)
    # A stale leg fact (an unknown or gone leg, a second "answered" for the same leg, as ARI
    # sends with ChannelStateChange then StasisStart) is recorded but never reacted to twice.
    if isinstance(event, LegWitnessed):
        # Asterisk's record of the leg's end: the call reacts as to any other end of a leg.
        event = LegGone(event.channel_id, event.at, event.cause)
    reaction = _REACTIONS[call.state].get(type(event)) if fresh else None
    commands: list[Command] = []
    if reaction is not None:
        call, commands = reaction(call, event, config)
    elif _is_request(event):
        raise CallStateConflict(f"the call is {call.state.value}; that is not possible now")
    return _close_if_over(call, commands, _event_time(event))


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


# ---- click2call and inbound reactions ---------------------------------------------


def _failure_media(status: str | None) -> tuple[str, ...]:
    if status == cdr.BUSY:
        return ("sound:call-fwd-on-busy",)
    if status in (cdr.NOANSWER, cdr.CANCEL):
        return ("sound:number-not-answering",)
    return ("sound:cannot-complete-as-dialed",)





def _agent_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    agent = call.leg(event.channel_id)
    if agent is None or agent.role is not Role.AGENT:
        return call, []
    customer = call.leg_by_role(Role.CUSTOMER)
    if customer is not None and customer.live:  # inbound: the caller is already waiting
        call = replace(call, state=CallState.BRIDGED, bridge_id=bridge_id_of(call))
        call, record = recording_commands(call)
        bridge = BridgeLegs(bridge_id_of(call), (customer.channel_id, agent.channel_id))
        return call, [StopRinging(customer.channel_id), Answer(customer.channel_id), bridge,
                      *record]
    call = replace(call, state=CallState.DIALING_CUSTOMER)
    call, dial = dial_leg(call, Role.CUSTOMER, call.customer, config, event.at)
    # The agent hears ringback (an in-band tone on an answered channel) while it rings.
    return call, [StartRinging(agent.channel_id), *dial]


def _customer_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    customer, agent = call.leg(event.channel_id), answered_leg(call, Role.AGENT)
    if customer is None or customer.role is not Role.CUSTOMER or agent is None:
        return call, []
    call = replace(call, state=CallState.BRIDGED, bridge_id=bridge_id_of(call))
    call, record = recording_commands(call)
    bridge = BridgeLegs(bridge_id_of(call), (agent.channel_id, customer.channel_id))
    return call, [StopRinging(agent.channel_id), bridge, *record]


def _gone_while_dialing_agent(call: Call, event: LegGone, config: FlowConfig) -> Step:
    # Inbound: the agent failed or the caller left; either way nobody is left to talk to.
    return hang_up_all(call)


def _gone_while_dialing_customer(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    agent = answered_leg(call, Role.AGENT)
    if leg is not None and leg.role is Role.CUSTOMER and agent is not None:
        playback = f"{call.request_id}.failure"
        call = replace(call, state=CallState.FAILING, failure_playback_id=playback)
        return call, [StopRinging(agent.channel_id),
                      Play(agent.channel_id, _failure_media(leg.dial_status), playback)]
    return hang_up_all(call)


def _failure_played(call: Call, event: PlaybackDone, config: FlowConfig) -> Step:
    if event.playback_id != call.failure_playback_id:
        return call, []
    return hang_up_all(call)


def _gone_while_bridged(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.released:
        return call, []
    return hang_up_all(call)


def _hangup_requested(call: Call, event: HangupRequested, config: FlowConfig) -> Step:
    return hang_up_all(call)


def _recording_requested(call: Call, event: RecordingRequested, config: FlowConfig) -> Step:
    if call.recordings:
        raise CallStateConflict("the call is already being recorded", code="already_recording")
    name = f"{call.request_id}-both"
    return replace(call, recordings=(name,)), [RecordBridge(bridge_id_of(call), name)]


def _ignore(call: Call, event: Any, config: FlowConfig) -> Step:
    return call, []


_REQUESTS = (HangupRequested, BlindTransferRequested, AttendedTransferRequested,
             AttendedTransferCompleted, AttendedTransferCancelled, RecordingRequested)

_REACTIONS: dict[CallState, dict[type, Reaction]] = {
    CallState.DIALING_AGENT: {
        LegAnswered: _agent_answered,
        LegGone: _gone_while_dialing_agent,
        HangupRequested: _hangup_requested,
    },
    CallState.DIALING_CUSTOMER: {
        LegAnswered: _customer_answered,
        LegGone: _gone_while_dialing_customer,
        HangupRequested: _hangup_requested,
    },
    CallState.FAILING: {
        PlaybackDone: _failure_played,
        HangupRequested: _hangup_requested,
    },
    CallState.BRIDGED: {
        LegGone: _gone_while_bridged,
        HangupRequested: _hangup_requested,
        BlindTransferRequested: transfers.blind_transfer,
        AttendedTransferRequested: transfers.attended_transfer,
        RecordingRequested: _recording_requested,
    },
    CallState.TRANSFERRING: {
        LegAnswered: transfers.transfer_answered,
        LegGone: transfers.gone_while_transferring,
        HangupRequested: _hangup_requested,
        RecordingRequested: _recording_requested,
    },
    CallState.CONSULTING: {
        LegAnswered: transfers.consult_answered,
        LegGone: transfers.gone_while_consulting,
        LegDtmf: transfers.dtmf_while_consulting,
        HangupRequested: _hangup_requested,
        AttendedTransferCompleted: transfers.complete_attended,
        AttendedTransferCancelled: transfers.cancel_attended,
        RecordingRequested: _recording_requested,
    },
    CallState.ENDING: {
        HangupRequested: _ignore,
    },
    CallState.ENDED: {},
}


def _is_request(event: CallEvent) -> bool:
    return isinstance(event, _REQUESTS)


def _event_time(event: CallEvent) -> datetime | None:
    return getattr(event, "at", None)


def _close_if_over(call: Call, commands: list[Command], at: datetime | None) -> Step:
    if call.state is CallState.ENDED or call.live_legs():
        return call, commands
    ended_at = at or max((leg.ended_at for leg in call.legs if leg.ended_at), default=None)
    call = replace(call, state=CallState.ENDED, ended_at=ended_at or call.created_at)
    closing: list[Command] = []
    if call.bridge_id is not None:
        closing.append(DestroyBridge(call.bridge_id))
    closing.append(CallFinished(call.request_id))
    return call, [*commands, *closing]


def live_counter_key(call: Call) -> str:
    """Which live_calls_* counter of the seed a call counts in."""
    if call.origin is Origin.CAMPAIGN:
        return "live_calls_campaign"
    if call.origin is Origin.INBOUND:
        return "live_calls_inbound"
    if call.origin is Origin.OTP:
        return "live_calls_otp"
    return "live_calls_c2c"
