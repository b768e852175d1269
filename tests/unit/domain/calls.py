"""Builders shared by the flow tests: a call, a clock, and a driver that records commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from engine.domain.call import Call, CallState, Leg, Origin, RecordingOption
from engine.domain.commands import CallFinished, Command, DestroyBridge
from engine.domain.events import CallEvent
from engine.domain.flow import FlowConfig, advance, begin
from engine.domain.inbound import caller_leg
from engine.domain.numbers import Extension, External

RID = "57362de4f0"
AGENT_CH, CUSTOMER_CH, THIRD_CH, FOURTH_CH = (f"{RID}.{n}" for n in range(1, 5))
FAILURE_PLAYBACK = f"{RID}.failure"
CALLER_CH = "carrier-0001"
T0 = datetime(2023, 7, 7, 6, 8, 16, tzinfo=UTC)
CONFIG = FlowConfig(dial_timeout=30)
AGENT = Extension("101")
CUSTOMER = External("919979271234")
CALLER_ID = "15168148111"
TARGET = External("15168148111")
EXT_TARGET = Extension("102")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_call(
    recording: RecordingOption = RecordingOption.OFF, origin: Origin = Origin.CLICK2CALL
) -> Call:
    return Call(
        request_id=RID, account_id="account_1", origin=origin,
        state=CallState.DIALING_AGENT, caller_id=CALLER_ID, agent=AGENT, customer=CUSTOMER,
        created_at=T0, recording=recording,
    )


@dataclass
class Driver:
    """Feeds events to one call and keeps every command it was asked to carry out."""

    call: Call
    last: list[Command] = field(default_factory=list)
    history: list[Command] = field(default_factory=list)

    @classmethod
    def click2call(cls, recording: RecordingOption = RecordingOption.OFF) -> Driver:
        call, commands = begin(new_call(recording), CONFIG)
        return cls(call, commands, list(commands))

    @classmethod
    def inbound(cls) -> Driver:
        call, commands = begin(caller_leg(new_call(origin=Origin.INBOUND), CALLER_CH,
                                          "PJSIP/carrier-00000001"), CONFIG)
        return cls(call, commands, list(commands))

    def send(self, event: CallEvent) -> list[Command]:
        self.call, self.last = advance(self.call, event, CONFIG)
        self.history.extend(self.last)
        return self.last

    def state(self) -> CallState:
        """A method, not a property: mypy would narrow a property across sends."""
        return self.call.state

    def leg(self, channel_id: str) -> Leg:
        leg = self.call.leg(channel_id)
        assert leg is not None, channel_id
        return leg

    def count(self, kind: type) -> int:
        return sum(isinstance(c, kind) for c in self.history)

    def assert_finished_once(self) -> None:
        assert self.state() is CallState.ENDED
        assert not self.call.live_legs()
        assert self.count(CallFinished) == 1
        assert self.count(DestroyBridge) == (1 if self.call.bridge_id else 0)
