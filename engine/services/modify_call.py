"""Live-call control: transfers, hangup and recording of a call identified by its channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.calls.router import CallRouter
from engine.domain.accounts import Account
from engine.domain.errors import InvalidField
from engine.domain.events import (
    AttendedTransferCancelled,
    AttendedTransferCompleted,
    AttendedTransferRequested,
    BlindTransferRequested,
    CallEvent,
    HangupRequested,
    RecordingRequested,
)
from engine.domain.numbers import parse_party
from engine.services.click2call import TelephonyRules

BLIND, ATTENDED, HANGUP, RECORD = "0", "1", "2", "3"
TRANSFER_ACTIONS = ("start", "complete", "cancel")


@dataclass(frozen=True)
class ModifyOrder:
    channel: str
    modify_type: str
    transfer_to: str = ""
    transfer_action: str = "start"


class ModifyCallService:
    def __init__(self, router: CallRouter, rules: TelephonyRules) -> None:
        self._router = router
        self._rules = rules

    def _event_factory(self, order: ModifyOrder) -> tuple[Callable[[str], CallEvent], str]:
        now = datetime.now(UTC)
        rules = self._rules
        if order.modify_type == HANGUP:
            return (lambda ch: HangupRequested(now)), "call hung up successfully"
        if order.modify_type == RECORD:
            return (lambda ch: RecordingRequested(now)), "recording started successfully"
        action = (order.transfer_action or "start").strip().lower()
        if action not in TRANSFER_ACTIONS:
            raise InvalidField("transfer_action", "transfer_action must be start, complete or "
                               "cancel")
        if order.modify_type == ATTENDED and action == "complete":
            return (lambda ch: AttendedTransferCompleted(now)), \
                "attended transfer completed successfully"
        if order.modify_type == ATTENDED and action == "cancel":
            return (lambda ch: AttendedTransferCancelled(now)), \
                "attended transfer cancelled successfully"
        if not order.transfer_to.strip():
            raise InvalidField("transfer_to", "transfer_to is required for a transfer")
        target = parse_party(order.transfer_to.strip(), "transfer_to", rules.extensions,
                             rules.default_region)
        if order.modify_type == BLIND:
            return (lambda ch: BlindTransferRequested(ch, target, now)), \
                "blind transferred successfully"
        return (lambda ch: AttendedTransferRequested(ch, target, now)), \
            "attended transfer started successfully"

    async def modify(self, account: Account, order: ModifyOrder) -> str:
        """Apply the order; return the seed's success message."""
        if order.modify_type not in (BLIND, ATTENDED, HANGUP, RECORD):
            raise InvalidField("modify_type", "modify_type must be 0, 1, 2 or 3")
        channel = order.channel.strip()
        if not channel:
            raise InvalidField("channel", "channel is required")
        make_event, message = self._event_factory(order)
        await self._router.request(account.account_id, channel, make_event)
        return message
