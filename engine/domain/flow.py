"""The call state machine: ``advance(call, event) -> (call, commands)``, with no I/O.

Leg facts (ringing, answered, gone, DTMF) are recorded first, the same way in every state.
Then the table ``_REACTIONS[state][event type]`` decides what the call does next. Last, one
rule closes every call: when no leg is left alive, the call is ENDED, its bridge destroyed
and ``CallFinished`` emitted, exactly once, whatever order the events came in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from engine.domain import cdr
from engine.domain.call import Call, CallState, Leg, LegState, Origin, RecordingOption, Role
from engine.domain.commands import (
    Answer,
    BridgeLegs,
    CallFinished,
    Command,
    DestroyBridge,
    Dial,
    Hangup,
    Play,
    RecordBridge,
    RecordLeg,
    RemoveFromBridge,
    StartHold,
    StartRinging,
    StopHold,
    StopRinging,
)
from engine.domain.errors import Conflict, NotFound
from engine.domain.events import (
    AttendedTransferCancelled,
    AttendedTransferCompleted,
    AttendedTransferRequested,
    BlindTransferRequested,
    CallEvent,
    HangupRequested,
    LegAnswered,
    LegDialStatus,
    LegDtmf,
    LegGone,
    LegNamed,
    LegRinging,
    PlaybackDone,
    RecordingRequested,
)
from engine.domain.numbers import Party

MAX_DTMF = 64
# DTMF the transferer presses while consulting: complete or cancel an attended transfer.
DTMF_COMPLETE, DTMF_CANCEL = "#", "*"

Step = tuple[Call, list[Command]]


class CallStateConflict(Conflict):
    """The request does not fit the call's current state (e.g. transfer before bridging)."""

    code = "call_state_conflict"


@dataclass(frozen=True)
class FlowConfig:
    dial_timeout: int


def start_click2call(call: Call, config: FlowConfig) -> Step:
    """A click2call begins by dialling the agent."""
    return _dial(replace(call, state=CallState.DIALING_AGENT), Role.AGENT, call.agent, config,
                 call.created_at)


def start_inbound(
    call: Call, caller_channel_id: str, channel_name: str, config: FlowConfig
) -> Step:
    """An inbound call: the caller's channel exists; ring it and dial the agent."""
    caller = Leg(Role.CUSTOMER, call.customer, caller_channel_id, LegState.RINGING,
                 call.created_at, channel_name=channel_name)
    call = replace(call, state=CallState.DIALING_AGENT, legs=(caller,))
    call, commands = _dial(call, Role.AGENT, call.agent, config, call.created_at)
    return call, [StartRinging(caller_channel_id), *commands]


def advance(call: Call, event: CallEvent, config: FlowConfig) -> Step:
    """Apply ``event`` to ``call``. Raises CallStateConflict / NotFound only for API requests."""
    if call.state is CallState.ENDED:
        return call, []
    fresh = _is_fresh(call, event)
    call = _record_leg_fact(call, event)
    # A stale leg fact (an unknown or gone leg, a second "answered" for the same leg, as ARI
    # sends with ChannelStateChange then StasisStart) is recorded but never reacted to twice.
    reaction = _REACTIONS[call.state].get(type(event)) if fresh else None
    commands: list[Command] = []
    if reaction is not None:
        call, commands = reaction(call, event, config)
    elif _is_request(event):
        raise CallStateConflict(f"the call is {call.state.value}; that is not possible now")
    return _close_if_over(call, commands, _event_time(event))


# ---- leg facts -------------------------------------------------------------------------


def _record_leg_fact(call: Call, event: CallEvent) -> Call:
    if isinstance(event, LegRinging | LegAnswered | LegGone | LegNamed | LegDtmf
                  | LegDialStatus):
        leg = call.leg(event.channel_id)
        if leg is None or (not leg.live and not isinstance(event, LegNamed)):
            return call
        return call.with_leg(_leg_fact(leg, event))
    return call


def _is_fresh(call: Call, event: CallEvent) -> bool:
    """False for a leg event that cannot change what the call does next."""
    if isinstance(event, LegAnswered | LegGone | LegDtmf):
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
    if isinstance(event, LegGone):
        status = cdr.dial_status_for(answered=leg.answered_at is not None,
                                     cancelled=leg.cancelled, cause=event.cause,
                                     reported=leg.dial_status)
        return replace(leg, state=LegState.GONE, ended_at=event.at, hangup_cause=event.cause,
                       dial_status=status)
    if (isinstance(event, LegDialStatus) and leg.answered_at is None
            and event.dial_status in cdr.FAILED_DIAL_STATUSES):
        # Asterisk's own word for how dialling ended; the leg's end will confirm it.
        return replace(leg, dial_status=event.dial_status)
    if isinstance(event, LegNamed):
        return replace(leg, channel_name=event.channel_name)
    if isinstance(event, LegDtmf):
        return replace(leg, dtmf=(leg.dtmf + event.digit)[:MAX_DTMF])
    return leg


# ---- helpers ---------------------------------------------------------------------------


def _dial(call: Call, role: Role, party: Party, config: FlowConfig, at: datetime) -> Step:
    channel_id, call = call.next_channel_id()
    leg = Leg(role, party, channel_id, LegState.DIALING, at)
    call = replace(call, legs=(*call.legs, leg))
    return call, [Dial(channel_id, party, call.caller_id, config.dial_timeout)]


def _hang_up(call: Call, legs: list[Leg], *, release: bool = False) -> Step:
    commands: list[Command] = []
    for leg in legs:
        if not leg.live:
            continue
        cancelled = leg.answered_at is None
        call = call.with_leg(replace(leg, cancelled=cancelled, released=leg.released or release))
        commands.append(Hangup(leg.channel_id))
    return call, commands


def _hang_up_all(call: Call) -> Step:
    call, commands = _hang_up(call, list(call.live_legs()))
    return replace(call, state=CallState.ENDING), commands


def _bridge_id(call: Call) -> str:
    return call.bridge_id or call.request_id


def _answered(call: Call, role: Role) -> Leg | None:
    leg = call.leg_by_role(role)
    return leg if leg is not None and leg.state is LegState.ANSWERED else None


def _in_conversation(leg: Leg) -> bool:
    """Answered, and not being dropped by the engine (a released leg's Hangup is in flight)."""
    return leg.state is LegState.ANSWERED and not leg.released


def _peer_of(call: Call, channel_id: str) -> Leg | None:
    """The other answered, unreleased leg of a two-party conversation."""
    return next((leg for leg in call.legs if leg.channel_id != channel_id
                 and leg.state is LegState.ANSWERED and not leg.released), None)


def _recording_commands(call: Call) -> Step:
    option = call.recording
    if option is RecordingOption.OFF or call.recordings:
        return call, []
    bridge = _bridge_id(call)
    if option is RecordingOption.BOTH:
        name = f"{call.request_id}-both"
        return replace(call, recordings=(name,)), [RecordBridge(bridge, name)]
    role = Role.AGENT if option is RecordingOption.AGENT else Role.CUSTOMER
    leg = _answered(call, role)
    if leg is None:
        return call, []
    name = f"{call.request_id}-{option.value}"
    snoop = f"{call.request_id}.snoop-{option.value}"
    return replace(call, recordings=(name,)), [RecordLeg(leg.channel_id, snoop, name)]


def _failure_media(status: str | None) -> tuple[str, ...]:
    if status == cdr.BUSY:
        return ("sound:call-fwd-on-busy",)
    if status in (cdr.NOANSWER, cdr.CANCEL):
        return ("sound:number-not-answering",)
    return ("sound:cannot-complete-as-dialed",)


# ---- reactions, one per (state, event) ---------------------------------------------------

Reaction = Callable[[Call, Any, FlowConfig], Step]


def _agent_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    agent = call.leg(event.channel_id)
    if agent is None or agent.role is not Role.AGENT:
        return call, []
    customer = call.leg_by_role(Role.CUSTOMER)
    if customer is not None and customer.live:  # inbound: the caller is already waiting
        call = replace(call, state=CallState.BRIDGED, bridge_id=_bridge_id(call))
        call, record = _recording_commands(call)
        bridge = BridgeLegs(_bridge_id(call), (customer.channel_id, agent.channel_id))
        return call, [StopRinging(customer.channel_id), Answer(customer.channel_id), bridge,
                      *record]
    call = replace(call, state=CallState.DIALING_CUSTOMER)
    call, dial = _dial(call, Role.CUSTOMER, call.customer, config, event.at)
    # The agent hears ringback (an in-band tone on an answered channel) while it rings.
    return call, [StartRinging(agent.channel_id), *dial]


def _customer_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    customer, agent = call.leg(event.channel_id), _answered(call, Role.AGENT)
    if customer is None or customer.role is not Role.CUSTOMER or agent is None:
        return call, []
    call = replace(call, state=CallState.BRIDGED, bridge_id=_bridge_id(call))
    call, record = _recording_commands(call)
    bridge = BridgeLegs(_bridge_id(call), (agent.channel_id, customer.channel_id))
    return call, [StopRinging(agent.channel_id), bridge, *record]


def _gone_while_dialing_agent(call: Call, event: LegGone, config: FlowConfig) -> Step:
    # Inbound: the agent failed or the caller left; either way nobody is left to talk to.
    return _hang_up_all(call)


def _gone_while_dialing_customer(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    agent = _answered(call, Role.AGENT)
    if leg is not None and leg.role is Role.CUSTOMER and agent is not None:
        playback = f"{call.request_id}.failure"
        call = replace(call, state=CallState.FAILING, failure_playback_id=playback)
        return call, [StopRinging(agent.channel_id),
                      Play(agent.channel_id, _failure_media(leg.dial_status), playback)]
    return _hang_up_all(call)


def _failure_played(call: Call, event: PlaybackDone, config: FlowConfig) -> Step:
    if event.playback_id != call.failure_playback_id:
        return call, []
    return _hang_up_all(call)


def _gone_while_bridged(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.released:
        return call, []
    return _hang_up_all(call)


def _hangup_requested(call: Call, event: HangupRequested, config: FlowConfig) -> Step:
    return _hang_up_all(call)


def _recording_requested(call: Call, event: RecordingRequested, config: FlowConfig) -> Step:
    if call.recordings:
        raise CallStateConflict("the call is already being recorded", code="already_recording")
    name = f"{call.request_id}-both"
    return replace(call, recordings=(name,)), [RecordBridge(_bridge_id(call), name)]


def _blind_transfer(call: Call, event: BlindTransferRequested, config: FlowConfig) -> Step:
    transferer = call.leg(event.channel_id)
    if transferer is None or not _in_conversation(transferer):
        raise NotFound("no such live channel", code="channel_not_found")
    remaining = _peer_of(call, transferer.channel_id)
    if remaining is None:
        raise CallStateConflict("nobody is left to transfer")
    call, commands = _hang_up(call, [transferer], release=True)
    call = replace(call, state=CallState.TRANSFERRING)
    call, dial = _dial(call, Role.TRANSFER, event.target, config, event.at)
    return call, [*commands, StartRinging(remaining.channel_id), *dial]


def _transfer_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    leg, target = call.leg(event.channel_id), call.leg_by_role(Role.TRANSFER)
    if leg is None or target is None or leg.channel_id != target.channel_id:
        return call, []
    remaining = _peer_of(call, leg.channel_id)
    if remaining is None:
        return _hang_up_all(call)
    call = replace(call, state=CallState.BRIDGED)
    return call, [StopRinging(remaining.channel_id),
                  BridgeLegs(_bridge_id(call), (leg.channel_id,))]


def _gone_while_transferring(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.released:
        return call, []
    return _hang_up_all(call)  # the target failed, or the waiting party left


def _attended_transfer(call: Call, event: AttendedTransferRequested, config: FlowConfig) -> Step:
    held = call.leg(event.channel_id)
    if held is None or not _in_conversation(held):
        raise NotFound("no such live channel", code="channel_not_found")
    if _peer_of(call, held.channel_id) is None:
        raise CallStateConflict("nobody is left to consult the transfer target")
    call = replace(call, state=CallState.CONSULTING, held_channel_id=held.channel_id)
    call, dial = _dial(call, Role.CONSULT, event.target, config, event.at)
    return call, [RemoveFromBridge(_bridge_id(call), held.channel_id),
                  StartHold(held.channel_id), *dial]


def _consult_target(call: Call) -> Leg | None:
    """The leg dialled by the current attended transfer (an older CONSULT leg may be a party)."""
    return call.leg_by_role(Role.CONSULT)


def _held(call: Call) -> Leg | None:
    held = call.leg(call.held_channel_id or "")
    return held if held is not None and held.live else None


def _consult_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    target = _consult_target(call)
    if target is None or event.channel_id != target.channel_id:
        return call, []
    bridge = BridgeLegs(_bridge_id(call), (target.channel_id,))
    if _held(call) is None:  # the held party left while the target rang: a plain call now
        return replace(call, state=CallState.BRIDGED, held_channel_id=None), [bridge]
    return call, [bridge]


def _unhold(call: Call) -> Step:
    held = _held(call)
    if held is None:
        # Nobody is on hold to go back to: whoever is left would sit alone in the bridge.
        return _hang_up_all(replace(call, held_channel_id=None))
    call = replace(call, state=CallState.BRIDGED, held_channel_id=None)
    return call, [StopHold(held.channel_id), BridgeLegs(_bridge_id(call), (held.channel_id,))]


def _complete_attended(call: Call, event: Any, config: FlowConfig) -> Step:
    consult = _consult_target(call)
    if consult is None or consult.state is not LegState.ANSWERED:
        raise CallStateConflict("the transfer target has not answered yet")
    transferer = _peer_of_consult(call)
    call, hangups = _hang_up(call, [transferer] if transferer else [], release=True)
    call, unhold = _unhold(call)
    return call, [*unhold, *hangups]


def _cancel_attended(call: Call, event: Any, config: FlowConfig) -> Step:
    if _held(call) is None:
        return _hang_up_all(call)  # the held party left: cancelling leaves nobody to talk to
    consult = _consult_target(call)
    call, hangups = _hang_up(call, [consult] if consult else [], release=True)
    call, unhold = _unhold(call)
    return call, [*hangups, *unhold]


def _peer_of_consult(call: Call) -> Leg | None:
    """While consulting: the answered leg that is neither held nor the consult target."""
    target = _consult_target(call)
    others = (target.channel_id if target else None, call.held_channel_id)
    return next((leg for leg in call.legs
                 if _in_conversation(leg) and leg.channel_id not in others), None)


def _dtmf_while_consulting(call: Call, event: LegDtmf, config: FlowConfig) -> Step:
    transferer = _peer_of_consult(call)
    if transferer is None or event.channel_id != transferer.channel_id:
        return call, []
    consult = _consult_target(call)
    if event.digit == DTMF_COMPLETE and consult is not None and consult.state is LegState.ANSWERED:
        return _complete_attended(call, event, config)
    if event.digit == DTMF_CANCEL:
        return _cancel_attended(call, event, config)
    return call, []


def _gone_while_consulting(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.released:
        return call, []
    consult = _consult_target(call)
    if consult is not None and leg.channel_id == consult.channel_id:
        return _unhold(call)  # the target refused or hung up: back to the held party
    if leg.channel_id == call.held_channel_id:  # the held party left: keep the consultation
        if consult is not None and consult.state is LegState.ANSWERED:
            return replace(call, state=CallState.BRIDGED, held_channel_id=None), []
        return replace(call, held_channel_id=None), []  # the target joins when it answers
    if consult is not None and consult.state is LegState.ANSWERED:
        return _unhold(call)  # the transferer hung up after consulting: that completes it
    return _hang_up_all(call)


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
        BlindTransferRequested: _blind_transfer,
        AttendedTransferRequested: _attended_transfer,
        RecordingRequested: _recording_requested,
    },
    CallState.TRANSFERRING: {
        LegAnswered: _transfer_answered,
        LegGone: _gone_while_transferring,
        HangupRequested: _hangup_requested,
        RecordingRequested: _recording_requested,
    },
    CallState.CONSULTING: {
        LegAnswered: _consult_answered,
        LegGone: _gone_while_consulting,
        LegDtmf: _dtmf_while_consulting,
        HangupRequested: _hangup_requested,
        AttendedTransferCompleted: _complete_attended,
        AttendedTransferCancelled: _cancel_attended,
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
