"""AMI messages as plain typed values, and what an ``Response: Error`` means (pure).

panoramisk's ``Message`` is an untyped case-insensitive dict; the rest of the engine sees
only :class:`AmiEvent` and :class:`AmiResponse`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from engine.domain.errors import EngineError, NotFound, Rejected, Unavailable

HeaderValue = str | list[str]

# Markers the client itself queues among the events (with ``markers=True``), so that a
# consumer sees, in order, where one connection's events end and the next one's begin.
# Asterisk never names an event like this.
CONNECTED = "EngineAmiConnected"
DISCONNECTED = "EngineAmiDisconnected"

# How Asterisk 22 words "that channel is gone", depending on the action:
#   Redirect: "Channel does not exist: PJSIP/x"; Atxfer, BlindTransfer: "Channel specified
#   does not exist"; Hangup, MixMonitor, StopMixMonitor: "No such channel".
_NOT_FOUND_HINTS = ("no such channel", "does not exist", "not found")
_SUCCESS = frozenset({"success", "follows", "goodbye"})


def _headers(raw: Mapping[str, object]) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    for key, value in raw.items():
        # panoramisk keeps a response body under the lowercase pseudo-header "content".
        if key == "content":
            continue
        headers[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return headers


@dataclass(frozen=True)
class AmiMessage:
    """Headers of one AMI message, looked up case-insensitively (AMI is not consistent:
    ``Uniqueid`` vs ``UniqueID``). A header sent several times is a list."""

    headers: Mapping[str, HeaderValue] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        """The header's value (the first one if repeated), or ``default``."""
        value = self.get_all(key)
        return value[0] if value else default

    def get_all(self, key: str) -> list[str]:
        """Every value of a header, in order; ``[]`` if absent."""
        wanted = key.lower()
        for name, value in self.headers.items():
            if name.lower() == wanted:
                return list(value) if isinstance(value, list) else [value]
        return []


@dataclass(frozen=True)
class AmiEvent(AmiMessage):
    """One AMI event, e.g. ``Hangup`` or ``OriginateResponse``."""

    name: str = ""

    @classmethod
    def from_raw(cls, raw: Mapping[str, object]) -> AmiEvent:
        """Build from any mapping of headers (e.g. a panoramisk Message)."""
        headers = _headers(raw)
        return cls(headers=headers, name=AmiMessage(headers).get("Event"))


@dataclass(frozen=True)
class AmiResponse(AmiMessage):
    """The answer to one action: ``response`` is "Success", "Error", "Goodbye"…

    ``events`` holds the events of a list answer (an action answered by several
    messages); ``body`` the free text of an old-style ``Response: Follows``.
    """

    response: str = ""
    message: str = ""
    body: str = ""
    events: tuple[AmiEvent, ...] = ()

    @property
    def ok(self) -> bool:
        return self.response.lower() in _SUCCESS

    @classmethod
    def from_raw(
        cls, raw: Mapping[str, object], body: str = "",
        events: Iterable[Mapping[str, object]] = (),
    ) -> AmiResponse:
        """Build from a mapping of headers plus the optional body and list events."""
        headers = _headers(raw)
        view = AmiMessage(headers)
        return cls(headers=headers, response=view.get("Response"), message=view.get("Message"),
                   body=body, events=tuple(AmiEvent.from_raw(e) for e in events))


def command_output(response: AmiResponse) -> str:
    """The text a CLI command printed.

    Asterisk 14+ sends one ``Output:`` header per line; older releases sent a
    ``Response: Follows`` body instead.
    """
    lines = response.get_all("Output")
    if lines:
        return "\n".join(lines)
    return response.body.removesuffix("--END COMMAND--").rstrip("\n")


def response_error(action: str, response: AmiResponse) -> EngineError | None:
    """None for a successful response, else the engine error it stands for."""
    if response.ok:
        return None
    text = response.message or command_output(response) or f"AMI {action} failed"
    if text == "Command output follows":
        text = command_output(response) or text
    details = {"ami_action": action}
    lowered = text.lower()
    if any(hint in lowered for hint in _NOT_FOUND_HINTS):
        return NotFound(text, details=details)
    if "permission denied" in lowered:
        # Our AMI user lacks a write class: misconfiguration, not the caller's fault.
        return Unavailable(f"AMI refused {action}: {text}", details=details)
    return Rejected(text, details=details)


def check_header_values(fields: Mapping[str, HeaderValue]) -> None:
    """Refuse CR or LF in any value: AMI is line based, so a newline in, say, a file
    name would smuggle extra headers (or a whole extra action) into the request."""
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if "\r" in item or "\n" in item or "\r" in key or "\n" in key:
                raise Rejected(f"AMI header {key!r} must not contain a line break")
