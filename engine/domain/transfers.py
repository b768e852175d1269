"""Transfers (pure): blind, and attended with consultation, as state-machine reactions."""

from __future__ import annotations

from dataclasses import replace

from engine.domain.call import Call, CallState, Leg, LegState, Role
from engine.domain.commands import (
    BridgeLegs,
    RemoveFromBridge,
    StartHold,
    StartRinging,
    StopHold,
    StopRinging,
)
from engine.domain.errors import NotFound
from engine.domain.events import (
    AttendedTransferRequested,
    BlindTransferRequested,
    LegAnswered,
    LegDtmf,
    LegGone,
)
from engine.domain.steps import (
    CallStateConflict,
    FlowConfig,
    Step,
    bridge_id_of,
    dial_leg,
    hang_up,
    hang_up_all,
    in_conversation,
    peer_of,
)

# DTMF the transferer presses while consulting: complete or cancel an attended transfer.
DTMF_COMPLETE, DTMF_CANCEL = "#", "*"


def blind_transfer(call: Call, event: BlindTransferRequested, config: FlowConfig) -> Step:
    transferer = call.leg(event.channel_id)
    if transferer is None or not in_conversation(transferer):
        raise NotFound("no such live channel", code="channel_not_found")
    remaining = peer_of(call, transferer.channel_id)
    if remaining is None:
        raise CallStateConflict("nobody is left to transfer")
    call, commands = hang_up(call, [transferer], release=True)
    call = replace(call, state=CallState.TRANSFERRING)
    call, dial = dial_leg(call, Role.TRANSFER, event.target, config, event.at)
    return call, [*commands, StartRinging(remaining.channel_id), *dial]


def transfer_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    leg, target = call.leg(event.channel_id), call.leg_by_role(Role.TRANSFER)
    if leg is None or target is None or leg.channel_id != target.channel_id:
        return call, []
    remaining = peer_of(call, leg.channel_id)
    if remaining is None:
        return hang_up_all(call)
    call = replace(call, state=CallState.BRIDGED)
    return call, [StopRinging(remaining.channel_id),
                  BridgeLegs(bridge_id_of(call), (leg.channel_id,))]


def gone_while_transferring(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.released:
        return call, []
    return hang_up_all(call)  # the target failed, or the waiting party left


def attended_transfer(call: Call, event: AttendedTransferRequested, config: FlowConfig) -> Step:
    held = call.leg(event.channel_id)
    if held is None or not in_conversation(held):
        raise NotFound("no such live channel", code="channel_not_found")
    if peer_of(call, held.channel_id) is None:
        raise CallStateConflict("nobody is left to consult the transfer target")
    call = replace(call.with_leg(replace(held, held=True)), state=CallState.CONSULTING)
    call, dial = dial_leg(call, Role.CONSULT, event.target, config, event.at)
    return call, [RemoveFromBridge(bridge_id_of(call), held.channel_id),
                  StartHold(held.channel_id), *dial]


def _consult_target(call: Call) -> Leg | None:
    """The leg dialled by the current attended transfer (an older CONSULT leg may be a party)."""
    return call.leg_by_role(Role.CONSULT)


def _held(call: Call) -> Leg | None:
    return call.held_leg()


def consult_answered(call: Call, event: LegAnswered, config: FlowConfig) -> Step:
    target = _consult_target(call)
    if target is None or event.channel_id != target.channel_id:
        return call, []
    bridge = BridgeLegs(bridge_id_of(call), (target.channel_id,))
    if _held(call) is None:  # the held party left while the target rang: a plain call now
        return replace(call, state=CallState.BRIDGED), [bridge]
    return call, [bridge]


def _unhold(call: Call) -> Step:
    held = _held(call)
    if held is None:
        # Nobody is on hold to go back to: whoever is left would sit alone in the bridge.
        return hang_up_all(call)
    call = replace(call.with_leg(replace(held, held=False)), state=CallState.BRIDGED)
    return call, [StopHold(held.channel_id), BridgeLegs(bridge_id_of(call), (held.channel_id,))]


def complete_attended(call: Call, event: object, config: FlowConfig) -> Step:
    consult = _consult_target(call)
    if consult is None or consult.state is not LegState.ANSWERED:
        raise CallStateConflict("the transfer target has not answered yet")
    transferer = _peer_of_consult(call)
    call, hangups = hang_up(call, [transferer] if transferer else [], release=True)
    call, unhold = _unhold(call)
    return call, [*unhold, *hangups]


def cancel_attended(call: Call, event: object, config: FlowConfig) -> Step:
    if _held(call) is None:
        return hang_up_all(call)  # the held party left: cancelling leaves nobody to talk to
    consult = _consult_target(call)
    call, hangups = hang_up(call, [consult] if consult else [], release=True)
    call, unhold = _unhold(call)
    return call, [*hangups, *unhold]


def _peer_of_consult(call: Call) -> Leg | None:
    """While consulting: the answered leg that is neither held nor the consult target."""
    target = _consult_target(call)
    return next((leg for leg in call.legs if in_conversation(leg) and not leg.held
                 and (target is None or leg.channel_id != target.channel_id)), None)


def dtmf_while_consulting(call: Call, event: LegDtmf, config: FlowConfig) -> Step:
    transferer = _peer_of_consult(call)
    if transferer is None or event.channel_id != transferer.channel_id:
        return call, []
    consult = _consult_target(call)
    if event.digit == DTMF_COMPLETE and consult is not None and consult.state is LegState.ANSWERED:
        return complete_attended(call, event, config)
    if event.digit == DTMF_CANCEL:
        return cancel_attended(call, event, config)
    return call, []


def gone_while_consulting(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.released:
        return call, []
    consult = _consult_target(call)
    if consult is not None and leg.channel_id == consult.channel_id:
        return _unhold(call)  # the target refused or hung up: back to the held party
    if leg.held:  # the held party left: keep the consultation
        if consult is not None and consult.state is LegState.ANSWERED:
            return replace(call, state=CallState.BRIDGED), []
        return call, []  # the target joins when it answers
    if consult is not None and consult.state is LegState.ANSWERED:
        return _unhold(call)  # the transferer hung up after consulting: that completes it
    return hang_up_all(call)
