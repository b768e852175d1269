"""Asterisk as the witness: channel lifetimes from its CEL records, and what they mean for a
leg whose end the engine did not see (pure).

The PBX writes one JSON object per CEL event (``asterisk-conf/pbx/cel_custom.conf``):
``{"eventtype": "HANGUP", "eventtime": "1795416322.704450", "uniqueid": "…",
"eventextra": "{\\"hangupcause\\":16,\\"hangupsource\\":\\"PJSIP/carrier-0004\\"}", …}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from engine.domain import cdr
from engine.domain.call import Leg
from engine.domain.events import LegWitnessed


@dataclass(frozen=True)
class ChannelLifetime:
    """What Asterisk recorded of one channel: answer and hangup times, hangup cause."""

    channel_id: str
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    cause: int | None = None
    hangup_source: str = ""

    @property
    def dropped_unowned(self) -> bool:
        """Nobody hung it up and no cause was set: Asterisk dropped the channel because it
        had nowhere to go (``Stasis app '…' not active``, or the PBX shutting down)."""
        return self.ended_at is not None and not self.cause and not self.hangup_source


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(str(value)), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _hangup_extra(value: object) -> tuple[int | None, str]:
    try:
        extra = json.loads(str(value))
    except ValueError:
        return None, ""
    if not isinstance(extra, dict):
        return None, ""
    cause = extra.get("hangupcause")
    source = extra.get("hangupsource")
    return (cause if isinstance(cause, int) else None,
            source if isinstance(source, str) else "")


def fold_cel_record(lifetime: ChannelLifetime, record: dict[str, object]) -> ChannelLifetime:
    """``lifetime`` updated with one CEL record of its channel (records in file order)."""
    kind, at = record.get("eventtype"), _moment(record.get("eventtime"))
    if at is None:
        return lifetime
    if kind == "CHAN_START":
        return replace(lifetime, started_at=at)
    if kind == "ANSWER" and lifetime.answered_at is None:
        return replace(lifetime, answered_at=at)
    if kind == "HANGUP":
        cause, source = _hangup_extra(record.get("eventextra"))
        return replace(lifetime, ended_at=at, cause=cause, hangup_source=source)
    if kind == "CHAN_END" and lifetime.ended_at is None:
        return replace(lifetime, ended_at=at)
    return lifetime


def parse_cel(line: str) -> dict[str, object] | None:
    """One CEL line as a record; None for what is not CEL JSON (a torn last line, a
    foreign format)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def record_time(record: dict[str, object]) -> datetime | None:
    return _moment(record.get("eventtime"))


def lifetimes_from_records(records: Iterable[dict[str, object]], channel_ids: Iterable[str]
                           ) -> dict[str, ChannelLifetime]:
    """The lifetimes of ``channel_ids`` found in CEL ``records`` (oldest first)."""
    wanted = set(channel_ids)
    found: dict[str, ChannelLifetime] = {}
    for record in records:
        channel_id = record.get("uniqueid")
        if not isinstance(channel_id, str) or channel_id not in wanted:
            continue
        current = found.get(channel_id) or ChannelLifetime(channel_id)
        found[channel_id] = fold_cel_record(current, record)
    return found


def lifetimes_from_cel(lines: Iterable[str], channel_ids: Iterable[str]
                       ) -> dict[str, ChannelLifetime]:
    """``lifetimes_from_records`` over CEL ``lines``; lines that are not CEL are skipped."""
    records = (record for record in map(parse_cel, lines) if record is not None)
    return lifetimes_from_records(records, channel_ids)


def cel_time(line: str) -> datetime | None:
    """The event time of one CEL line, if it is one."""
    record = parse_cel(line)
    return record_time(record) if record is not None else None


def witnessed_end(
    leg: Leg, lifetime: ChannelLifetime | None, *, pbx_restarted: bool, lost_at: datetime
) -> LegWitnessed:
    """How a leg that vanished while the engine was not listening really ended.

    - Asterisk recorded its end: its times and cause, except that a channel Asterisk
      dropped for want of an owner is the platform's failure, never the callee's (the
      PBX's if the PBX restarted since the leg began, else the engine's).
    - No record of an end: the platform lost it, at ``lost_at`` (when the engine lost
      sight of the PBX), with the PBX's cause if the PBX restarted, else the engine's.
    """
    platform = cdr.CAUSE_PBX_UNAVAILABLE if pbx_restarted else cdr.CAUSE_ENGINE_UNAVAILABLE
    if lifetime is None or lifetime.ended_at is None:
        answered_at = lifetime.answered_at if lifetime is not None else None
        return LegWitnessed(leg.channel_id, max(lost_at, leg.created_at), platform,
                            answered_at)
    cause = platform if lifetime.dropped_unowned else (lifetime.cause or 0)
    return LegWitnessed(leg.channel_id, lifetime.ended_at, cause, lifetime.answered_at)
