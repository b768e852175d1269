"""The requests of the multi-party call API, validated (pure).

``POST …/multi_party_call/{node_id}``: ``action`` "call" (also "warm_transfer" and
"cold_transfer", Plivo's SDK sends them there) with ``to``, ``role`` (default agent) and
``trigger_source``. ``POST …/members/{address}``: ``action`` hold, unhold, hangup,
cold_transfer / warm_transfer (with ``to``), abort_transfer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.domain.errors import InvalidField
from engine.domain.multiparty.members import MemberRole
from engine.domain.multiparty.rules import parse_address
from engine.domain.numbers import Party


class MemberAction(StrEnum):
    HOLD = "hold"
    UNHOLD = "unhold"
    HANGUP = "hangup"
    COLD_TRANSFER = "cold_transfer"
    WARM_TRANSFER = "warm_transfer"
    ABORT_TRANSFER = "abort_transfer"


NEEDS_TO = frozenset({MemberAction.COLD_TRANSFER, MemberAction.WARM_TRANSFER})


@dataclass(frozen=True)
class AddMember:
    """Dial ``to`` into the call with ``role``; ``trigger`` is who asked."""

    to: Party
    role: MemberRole
    trigger: Party
    transfer: str = ""  # "" a plain call, or "cold_transfer"/"warm_transfer" of trigger


@dataclass(frozen=True)
class MemberRequest:
    action: MemberAction
    to: Party | None = None


def _text(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidField(name, f"{name} must be a string")
    return value.strip()


def add_member(params: Mapping[str, Any], extensions: Collection[str],
               region: str) -> AddMember:
    action = _text(params, "action").lower()
    if action not in ("call", "cold_transfer", "warm_transfer"):
        raise InvalidField("action", "action must be call, cold_transfer or warm_transfer",
                           code="invalid_action")
    role_text = _text(params, "role").lower() or MemberRole.AGENT.value
    try:
        role = MemberRole(role_text)
    except ValueError:
        raise InvalidField("role", "role must be agent or customer") from None
    to = parse_address(params.get("to"), "to", extensions, region)
    trigger = parse_address(params.get("trigger_source"), "trigger_source", extensions,
                            region)
    return AddMember(to, role, trigger, "" if action == "call" else action)


def member_request(params: Mapping[str, Any], extensions: Collection[str],
                   region: str) -> MemberRequest:
    try:
        action = MemberAction(_text(params, "action").lower())
    except ValueError:
        raise InvalidField("action", "action must be one of "
                           + ", ".join(a.value for a in MemberAction),
                           code="invalid_action") from None
    if action in NEEDS_TO:
        return MemberRequest(action, parse_address(params.get("to"), "to", extensions,
                                                   region))
    return MemberRequest(action)
