"""A program's Dial verb, carried out by the call (pure): ring every target at once, bridge
the first to answer with the program's leg, and tell the program how it ended.

While the targets ring the program's leg hears ringback; the others are cancelled once one
answers. When the dialled party leaves (or nobody answered), the program's leg leaves the
bridge and the program goes on (``DialEnded`` with Plivo's words for the outcome).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from engine.domain import cdr
from engine.domain.call import Call, Leg, Role
from engine.domain.commands import (
    BridgeLegs,
    CancelTimer,
    Command,
    RemoveFromBridge,
    StartRinging,
    StartTimer,
    StopRinging,
)
from engine.domain.programs.events import DialEnded
from engine.domain.programs.state import DialRequest
from engine.domain.steps import FlowConfig, Step, bridge_id_of, dial_leg, hang_up

_PLIVO_STATUS = {cdr.BUSY: "busy", cdr.NOANSWER: "no-answer", cdr.CANCEL: "cancel"}


def start_dial(call: Call, request: DialRequest, program_leg: str, config: FlowConfig,
               at: datetime) -> Step:
    commands: list[Command] = [StartRinging(program_leg)]
    first_new = len(call.legs)
    for target in request.verb.targets:
        call, dial = dial_leg(call, Role.DIALED, target, config, at,
                              timeout=request.verb.timeout, caller_id=request.verb.caller_id,
                              caller_name=request.verb.caller_name)
        commands.extend(dial)
    channels = tuple(leg.channel_id for leg in call.legs[first_new:])
    return replace(call, dial_id=request.dial_id, dial_channels=channels), commands


def limit_timer(dial_id: str) -> str:
    return f"{dial_id}-limit"


def dialled_leg_answered(call: Call, leg: Leg, program_leg: str, time_limit: int,
                         at: datetime) -> Step:
    """The first target to answer is bridged with the program's leg; the others are
    cancelled. The conversation may last ``time_limit`` seconds."""
    if any(other.answered_at is not None for other in _legs(call) if other is not leg):
        return hang_up(call, [leg])  # a second answer loses the race
    call = replace(call, bridge_id=bridge_id_of(call))
    others = [other for other in _legs(call) if other.channel_id != leg.channel_id]
    call, hangups = hang_up(call, others)
    bridge = BridgeLegs(bridge_id_of(call), (program_leg, leg.channel_id))
    commands: list[Command] = [*hangups, StopRinging(program_leg), bridge]
    if time_limit > 0 and call.dial_id is not None:
        commands.append(StartTimer(limit_timer(call.dial_id),
                                   at + timedelta(seconds=time_limit)))
    return call, commands


def time_limit_reached(call: Call) -> Step:
    """The Dial's time limit: the dialled party is hung up; the program goes on."""
    return hang_up(call, [leg for leg in _legs(call) if leg.live])


def dial_outcome(call: Call, program_leg: str) -> tuple[Call, DialEnded | None, list[Command]]:
    """After a dialled leg went: the DialEnded to tell the program once every leg of the
    Dial is gone, and the commands that give the program its leg back."""
    legs = _legs(call)
    if call.dial_id is None or any(leg.live for leg in legs):
        return call, None, []
    answered = next((leg for leg in legs if leg.answered_at is not None), None)
    b_leg = answered or (legs[-1] if legs else None)
    ended = DialEnded(call.dial_id, _status(legs, answered), _duration(answered),
                      b_leg=b_leg.channel_id if b_leg is not None else "",
                      hangup_cause=(b_leg.hangup_cause or 0) if b_leg is not None else 0)
    commands: list[Command] = (
        [RemoveFromBridge(bridge_id_of(call), program_leg), CancelTimer(limit_timer(call.dial_id))]
        if answered is not None else [StopRinging(program_leg)])
    return replace(call, dial_id=None, dial_channels=()), ended, commands


def _legs(call: Call) -> list[Leg]:
    return [leg for leg in call.legs if leg.channel_id in call.dial_channels]


def _status(legs: list[Leg], answered: Leg | None) -> str:
    if answered is not None:
        return "completed"
    statuses = {leg.dial_status for leg in legs}
    for status in (cdr.BUSY, cdr.NOANSWER, cdr.CANCEL):
        if status in statuses:
            return _PLIVO_STATUS[status]
    return "failed"


def _duration(answered: Leg | None) -> int:
    if answered is None:
        return 0
    seconds = cdr.seconds_between(answered.answered_at, answered.ended_at)
    return int(seconds or 0)
