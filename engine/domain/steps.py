"""Building blocks shared by the call flows (pure): dialling, hanging up, finding legs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from engine.domain.call import Call, CallState, Leg, LegState, RecordingOption, Role
from engine.domain.commands import Command, Dial, Hangup, RecordBridge, RecordLeg
from engine.domain.errors import Conflict
from engine.domain.numbers import Party

Step = tuple[Call, list[Command]]


class CallStateConflict(Conflict):
    """The request does not fit the call's current state (e.g. transfer before bridging)."""

    code = "call_state_conflict"


@dataclass(frozen=True)
class FlowConfig:
    dial_timeout: int
    # Where the engine serves recordings (``<url>/<name>``), for webhooks that name one.
    recordings_url: str = ""


E = TypeVar("E")

# What a reaction table holds: (call, event, config) -> (call, commands). The event type is
# checked when a reaction is registered (ReactionTable.on), so a table cannot pair an event
# with a reaction written for another.
Reaction = Callable[[Call, E, FlowConfig], Step]
_AnyReaction = Callable[[Call, Any, FlowConfig], Step]


class ReactionTable:
    """``{state: {event type: reaction}}`` for one kind of call, built with typed ``on``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._rows: dict[CallState, dict[type, _AnyReaction]] = {}

    def on(self, state: CallState, event_type: type[E], reaction: Reaction[E]) -> ReactionTable:
        row = self._rows.setdefault(state, {})
        if event_type in row:
            raise ValueError(f"{self.name}: {state.value}/{event_type.__name__} declared twice")
        row[event_type] = reaction
        return self

    def reaction(self, state: CallState, event: object) -> _AnyReaction | None:
        return self._rows.get(state, {}).get(type(event))


@dataclass(frozen=True)
class Flow:
    """One origin's behaviour: how its calls begin and how they react. ``on_close`` adds
    commands to the step that ends a call (e.g. a Plivo call's hangup_url)."""

    begin: Callable[[Call, FlowConfig], Step]
    table: ReactionTable
    on_close: Callable[[Call], list[Command]] | None = None


def dial_leg(call: Call, role: Role, party: Party, config: FlowConfig, at: datetime, *,
             timeout: int | None = None, caller_id: str = "", caller_name: str = "",
             sip_headers: tuple[tuple[str, str], ...] = ()) -> Step:
    """A new leg to ``party``; the call's caller id and the configured ring time unless
    given (a program's Dial names its own; a Plivo API call adds a name and headers)."""
    channel_id, call = call.next_channel_id()
    leg = Leg(role, party, channel_id, LegState.DIALING, at)
    call = replace(call, legs=(*call.legs, leg))
    return call, [Dial(channel_id, party, caller_id or call.caller_id,
                       config.dial_timeout if timeout is None else timeout,
                       caller_name=caller_name, sip_headers=sip_headers)]


def hang_up(call: Call, legs: list[Leg], *, release: bool = False) -> Step:
    commands: list[Command] = []
    for leg in legs:
        if not leg.live:
            continue
        cancelled = leg.answered_at is None
        call = call.with_leg(replace(leg, cancelled=cancelled, released=leg.released or release))
        commands.append(Hangup(leg.channel_id))
    return call, commands


def hangup_requested(call: Call, event: object, config: FlowConfig) -> Step:
    return hang_up_all(call)


def ignore(call: Call, event: object, config: FlowConfig) -> Step:
    return call, []


def hang_up_all(call: Call) -> Step:
    call, commands = hang_up(call, list(call.live_legs()))
    return replace(call, state=CallState.ENDING), commands


def bridge_id_of(call: Call) -> str:
    return call.bridge_id or call.request_id


def answered_leg(call: Call, role: Role) -> Leg | None:
    leg = call.leg_by_role(role)
    return leg if leg is not None and leg.state is LegState.ANSWERED else None


def in_conversation(leg: Leg) -> bool:
    """Answered, and not being dropped by the engine (a released leg's Hangup is in flight)."""
    return leg.state is LegState.ANSWERED and not leg.released


def peer_of(call: Call, channel_id: str) -> Leg | None:
    """The other answered, unreleased leg of a two-party conversation."""
    return next((leg for leg in call.legs if leg.channel_id != channel_id
                 and leg.state is LegState.ANSWERED and not leg.released), None)


def recording_commands(call: Call) -> Step:
    option = call.recording
    if option is RecordingOption.OFF or call.recordings:
        return call, []
    bridge = bridge_id_of(call)
    if option is RecordingOption.BOTH:
        name = f"{call.request_id}-both"
        return replace(call, recordings=(name,)), [RecordBridge(bridge, name)]
    role = Role.AGENT if option is RecordingOption.AGENT else Role.CUSTOMER
    leg = answered_leg(call, role)
    if leg is None:
        return call, []
    name = f"{call.request_id}-{option.value}"
    snoop = f"{call.request_id}.snoop-{option.value}"
    return replace(call, recordings=(name,)), [RecordLeg(leg.channel_id, snoop, name)]
