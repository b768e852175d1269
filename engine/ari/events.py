"""Typed ARI events: the event union and the one function that parses a message (pure).

The models themselves live in :mod:`engine.ari.event_models`; import them from here.
Unknown event types never raise: ARI grows new ones, and a newer Asterisk must not break
the event stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeAlias, get_args

from pydantic import Field, TypeAdapter, ValidationError

from engine.ari.event_models import (
    ApplicationMoveFailed,
    ApplicationReplaced,
    AriEventBase,
    BridgeCreated,
    BridgeDestroyed,
    ChannelCallerId,
    ChannelConnectedLine,
    ChannelCreated,
    ChannelDestroyed,
    ChannelDialplan,
    ChannelDtmfReceived,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelHold,
    ChannelLeftBridge,
    ChannelStateChange,
    ChannelTalkingFinished,
    ChannelTalkingStarted,
    ChannelToneDetected,
    ChannelUnhold,
    ChannelUserevent,
    ChannelVarset,
    Dial,
    PlaybackContinuing,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
    StasisEnd,
    StasisStart,
)

__all__ = [
    "KNOWN_EVENT_TYPES",
    "ApplicationMoveFailed",
    "ApplicationReplaced",
    "AriEvent",
    "AriEventBase",
    "AriEventParseError",
    "BridgeCreated",
    "BridgeDestroyed",
    "ChannelCallerId",
    "ChannelConnectedLine",
    "ChannelCreated",
    "ChannelDestroyed",
    "ChannelDialplan",
    "ChannelDtmfReceived",
    "ChannelEnteredBridge",
    "ChannelHangupRequest",
    "ChannelHold",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "ChannelTalkingFinished",
    "ChannelTalkingStarted",
    "ChannelToneDetected",
    "ChannelUnhold",
    "ChannelUserevent",
    "ChannelVarset",
    "Dial",
    "KnownAriEvent",
    "PlaybackContinuing",
    "PlaybackFinished",
    "PlaybackStarted",
    "RecordingFailed",
    "RecordingFinished",
    "RecordingStarted",
    "StasisEnd",
    "StasisStart",
    "UnknownEvent",
    "decode_event",
    "parse_event",
]


class AriEventParseError(ValueError):
    """A message is not an ARI event: bad JSON, no ``type``, or a known type with bad fields."""

    def __init__(self, event_type: str | None, reason: str) -> None:
        super().__init__(f"malformed ARI event {event_type or '(no type)'}: {reason}")
        self.event_type = event_type
        self.reason = reason


@dataclass(frozen=True)
class UnknownEvent:
    """An event type this code does not model; ``raw`` is the message as received."""

    type: str
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def application(self) -> str:
        value = self.raw.get("application")
        return value if isinstance(value, str) else ""


KnownAriEvent: TypeAlias = (
    StasisStart | StasisEnd | ApplicationReplaced | ApplicationMoveFailed
    | ChannelCreated | ChannelStateChange | ChannelDestroyed | ChannelHangupRequest | Dial
    | ChannelDtmfReceived | ChannelVarset | ChannelDialplan | ChannelCallerId
    | ChannelConnectedLine | ChannelHold | ChannelUnhold | ChannelTalkingStarted
    | ChannelTalkingFinished | ChannelToneDetected | ChannelUserevent
    | BridgeCreated | BridgeDestroyed | ChannelEnteredBridge | ChannelLeftBridge
    | PlaybackStarted | PlaybackContinuing | PlaybackFinished
    | RecordingStarted | RecordingFinished | RecordingFailed
)
AriEvent: TypeAlias = KnownAriEvent | UnknownEvent

_KNOWN_ADAPTER: TypeAdapter[KnownAriEvent] = TypeAdapter(
    Annotated[KnownAriEvent, Field(discriminator="type")]
)
KNOWN_EVENT_TYPES: frozenset[str] = frozenset(
    model.model_fields["type"].default for model in get_args(KnownAriEvent)
)


def parse_event(data: Mapping[str, Any]) -> AriEvent:
    """One decoded ARI message -> its typed event.

    Unknown types become :class:`UnknownEvent`; a message without a string ``type``, or a
    known type whose fields do not validate, raises :class:`AriEventParseError`.
    """
    event_type = data.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise AriEventParseError(None, "no 'type' field")
    if event_type not in KNOWN_EVENT_TYPES:
        return UnknownEvent(event_type, dict(data))
    try:
        return _KNOWN_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise AriEventParseError(event_type, problems) from exc


def decode_event(
    message: str | bytes, only: frozenset[str] | None = None
) -> AriEvent | None:
    """The text of one WebSocket message -> its typed event (see :func:`parse_event`).

    With ``only``, events of other types (and ``ApplicationReplaced`` is always kept) are
    dropped as None before validation: ARI sends many a consumer never looks at.
    """
    try:
        data = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AriEventParseError(None, f"not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise AriEventParseError(None, f"not a JSON object but {type(data).__name__}")
    kind = data.get("type")
    if only is not None and kind not in only and kind != "ApplicationReplaced":
        return None
    return parse_event(data)
