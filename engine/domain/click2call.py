"""Click-to-call (and scheduled callbacks, which run one): dial the agent; when the agent
answers, dial the destination while the agent hears ringback; bridge them. If the
destination fails, the agent hears why, then is hung up."""

from __future__ import annotations

from dataclasses import replace

from engine.domain import cdr
from engine.domain.call import Call, CallState, Role
from engine.domain.commands import BridgeLegs, Play, StartRinging, StopRinging
from engine.domain.conversation import add_conversation_rows
from engine.domain.events import HangupRequested, LegAnswered, LegGone, PlaybackDone
from engine.domain.steps import (
    Flow,
    FlowConfig,
    ReactionTable,
    Step,
    answered_leg,
    bridge_id_of,
    dial_leg,
    hang_up_all,
    hangup_requested,
    recording_commands,
)


def begin(call: Call, config: FlowConfig) -> Step:
    """A click2call begins by dialling the agent."""
    if call.agent is None or call.customer is None:
        raise ValueError("a click2call needs an agent and a customer")
    return dial_leg(replace(call, state=CallState.DIALING_AGENT), Role.AGENT, call.agent,
                    config, call.created_at)


def failure_media(status: str | None) -> tuple[str, ...]:
    if status == cdr.BUSY:
        return ("sound:call-fwd-on-busy",)
    if status in (cdr.NOANSWER, cdr.CANCEL):
        return ("sound:number-not-answering",)
    return ("sound:cannot-complete-as-dialed",)


def agent_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    agent, customer = call.leg(event.channel_id), call.customer
    if agent is None or agent.role is not Role.AGENT or customer is None:
        return call, []
    call = replace(call, state=CallState.DIALING_CUSTOMER)
    call, dial = dial_leg(call, Role.CUSTOMER, customer, config, event.at)
    # The agent hears ringback (an in-band tone on an answered channel) while it rings.
    return call, [StartRinging(agent.channel_id), *dial]


def customer_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    customer, agent = call.leg(event.channel_id), answered_leg(call, Role.AGENT)
    if customer is None or customer.role is not Role.CUSTOMER or agent is None:
        return call, []
    call = replace(call, state=CallState.BRIDGED, bridge_id=bridge_id_of(call))
    call, record = recording_commands(call)
    bridge = BridgeLegs(bridge_id_of(call), (agent.channel_id, customer.channel_id))
    return call, [StopRinging(agent.channel_id), bridge, *record]


def gone_while_dialing_agent(call: Call, event: LegGone, config: FlowConfig) -> Step:
    return hang_up_all(call)


def gone_while_dialing_customer(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    agent = answered_leg(call, Role.AGENT)
    if leg is not None and leg.role is Role.CUSTOMER and agent is not None:
        playback = f"{call.request_id}.failure"
        call = replace(call.with_leg(replace(agent, playback_id=playback)),
                       state=CallState.FAILING)
        return call, [StopRinging(agent.channel_id),
                      Play(agent.channel_id, failure_media(leg.dial_status), playback)]
    return hang_up_all(call)


def failure_played(call: Call, event: PlaybackDone, config: FlowConfig) -> Step:
    if call.awaiting_playback(event.playback_id) is None:
        return call, []
    return hang_up_all(call)


TABLE = add_conversation_rows(
    ReactionTable("click2call")
    .on(CallState.DIALING_AGENT, LegAnswered, agent_answered)
    .on(CallState.DIALING_AGENT, LegGone, gone_while_dialing_agent)
    .on(CallState.DIALING_AGENT, HangupRequested, hangup_requested)
    .on(CallState.DIALING_CUSTOMER, LegAnswered, customer_answered)
    .on(CallState.DIALING_CUSTOMER, LegGone, gone_while_dialing_customer)
    .on(CallState.DIALING_CUSTOMER, HangupRequested, hangup_requested)
    .on(CallState.FAILING, PlaybackDone, failure_played)
    .on(CallState.FAILING, HangupRequested, hangup_requested)
)

FLOW = Flow(begin=begin, table=TABLE)
