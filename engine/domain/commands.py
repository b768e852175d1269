"""Commands the state machine asks call control to carry out (pure data)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.numbers import Party


@dataclass(frozen=True)
class Dial:
    channel_id: str
    party: Party
    caller_id: str
    timeout: int


@dataclass(frozen=True)
class Answer:
    """Answer an inbound channel (it is billed from here)."""

    channel_id: str


@dataclass(frozen=True)
class Hangup:
    channel_id: str


@dataclass(frozen=True)
class BridgeLegs:
    bridge_id: str
    channel_ids: tuple[str, ...]


@dataclass(frozen=True)
class RemoveFromBridge:
    bridge_id: str
    channel_id: str


@dataclass(frozen=True)
class DestroyBridge:
    bridge_id: str


@dataclass(frozen=True)
class Play:
    channel_id: str
    media: tuple[str, ...]
    playback_id: str


@dataclass(frozen=True)
class StartRinging:
    channel_id: str


@dataclass(frozen=True)
class StopRinging:
    channel_id: str


@dataclass(frozen=True)
class StartHold:
    channel_id: str


@dataclass(frozen=True)
class StopHold:
    channel_id: str


@dataclass(frozen=True)
class RecordBridge:
    bridge_id: str
    name: str


@dataclass(frozen=True)
class RecordLeg:
    """Record one side only: a snoop channel hears what ``channel_id`` says."""

    channel_id: str
    snoop_id: str
    name: str


@dataclass(frozen=True)
class CallFinished:
    """The call is over: persist the final CDRs and release every per-call resource."""

    request_id: str


Command = (
    Dial | Answer | Hangup | BridgeLegs | RemoveFromBridge | DestroyBridge | Play | StartRinging
    | StopRinging | StartHold | StopHold | RecordBridge | RecordLeg | CallFinished
)
