"""Inbound calls: the caller's channel already exists when the call begins. It hears
ringback while its DID's agent is dialled; the agent answering bridges them."""

from __future__ import annotations

from dataclasses import replace

from engine.domain.call import Call, CallState, Leg, LegState, Role
from engine.domain.commands import Answer, BridgeLegs, StartRinging, StopRinging
from engine.domain.conversation import add_conversation_rows
from engine.domain.events import HangupRequested, LegAnswered, LegGone
from engine.domain.steps import (
    Flow,
    FlowConfig,
    ReactionTable,
    Step,
    bridge_id_of,
    dial_leg,
    hang_up_all,
    hangup_requested,
    recording_commands,
)


def caller_leg(call: Call, channel_id: str, channel_name: str) -> Call:
    """The call with its caller's channel as the customer leg (it is ringing already)."""
    if call.customer is None:
        raise ValueError("an inbound call needs its caller as the customer")
    caller = Leg(Role.CUSTOMER, call.customer, channel_id, LegState.RINGING, call.created_at,
                 channel_name=channel_name)
    return replace(call, legs=(caller,))


def begin(call: Call, config: FlowConfig) -> Step:
    """Ring the caller and dial the agent."""
    caller = call.leg_by_role(Role.CUSTOMER)
    if caller is None or call.agent is None:
        raise ValueError("an inbound call needs a caller leg and an agent")
    call, commands = dial_leg(replace(call, state=CallState.DIALING_AGENT), Role.AGENT,
                              call.agent, config, call.created_at)
    return call, [StartRinging(caller.channel_id), *commands]


def agent_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    agent, caller = call.leg(event.channel_id), call.leg_by_role(Role.CUSTOMER)
    if agent is None or agent.role is not Role.AGENT or caller is None or not caller.live:
        return call, []
    call = replace(call, state=CallState.BRIDGED, bridge_id=bridge_id_of(call))
    call, record = recording_commands(call)
    bridge = BridgeLegs(bridge_id_of(call), (caller.channel_id, agent.channel_id))
    return call, [StopRinging(caller.channel_id), Answer(caller.channel_id), bridge, *record]


def gone_while_dialing_agent(call: Call, event: LegGone, config: FlowConfig) -> Step:
    # The agent failed or the caller left; either way nobody is left to talk to.
    return hang_up_all(call)


TABLE = add_conversation_rows(
    ReactionTable("inbound")
    .on(CallState.DIALING_AGENT, LegAnswered, agent_answered)
    .on(CallState.DIALING_AGENT, LegGone, gone_while_dialing_agent)
    .on(CallState.DIALING_AGENT, HangupRequested, hangup_requested)
)

FLOW = Flow(begin=begin, table=TABLE)
