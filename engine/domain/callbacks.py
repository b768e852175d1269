"""Scheduled callbacks (pure): wall times in IANA zones, their checks, statuses and merges.

A callback's ``scheduled_at`` is a local wall time (``YYYY-mm-dd hh:mm:ss``) in its
``time_zone``. It is turned into one UTC instant by round-tripping through UTC with
``zoneinfo``:

* **DST gap** (the wall time never happens, e.g. 2027-03-14 02:30:00 US/Eastern): rejected,
  code ``scheduled_at_nonexistent``. Neither fold of such a time survives the round trip.
* **DST fold** (the wall time happens twice, e.g. 2026-11-01 01:30:00 US/Eastern): the
  *first* occurrence (``fold=0``, the earlier instant, still on summer time) is used.
* A time more than ``MAX_HORIZON`` (366 days) ahead is rejected (``scheduled_at_too_far``);
  one earlier than now is rejected (``scheduled_at_in_past``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.domain.call import Call, Role
from engine.domain.errors import InvalidField

SCHEDULED_AT_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_HORIZON = timedelta(days=366)
# No zone's offset from UTC is wider than this (Pacific/Kiritimati is +14, Etc/GMT+12 is -12).
WIDEST_OFFSET = timedelta(hours=14)

_SCHEDULED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


class CallbackStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (or for a retry after Asterisk was down)
    FIRED = "fired"  # claimed by a scheduler; the call is being or was placed
    DONE = "done"  # the call bridged: agent and destination both answered
    FAILED = "failed"  # the call ended without both answering, or could not be placed
    CANCELLED = "cancelled"  # deleted before it fired


@dataclass(frozen=True)
class CallbackFields:
    """What a callback dials and when, exactly as the client sent it (seed strings)."""

    agent_number: str
    caller_id: str
    destination_number: str
    recording_option: str
    time_zone: str
    scheduled_at: str


@dataclass(frozen=True)
class CallbackPatch:
    """A PATCH body: every field optional; ``None`` keeps the callback's own value."""

    agent_number: str | None = None
    caller_id: str | None = None
    destination_number: str | None = None
    recording_option: str | None = None
    time_zone: str | None = None
    scheduled_at: str | None = None

    @property
    def moves_time(self) -> bool:
        """True when the due instant may change (a new wall time or a new zone)."""
        return self.scheduled_at is not None or self.time_zone is not None


def merge(fields: CallbackFields, patch: CallbackPatch) -> CallbackFields:
    """The callback's fields with every field the patch sends replaced."""
    changes = {name: value for name, value in vars(patch).items() if value is not None}
    return replace(fields, **changes)


def parse_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (e.g. ``Asia/Kolkata``, ``US/Eastern``), or 422 on time_zone."""
    if _ZONE_NAME.fullmatch(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise InvalidField("time_zone", f"unknown time zone {name[:64]!r}; use an IANA name such "
                       "as Asia/Kolkata or US/Eastern", code="unknown_time_zone")


def parse_wall_time(text: str) -> datetime:
    """``YYYY-mm-dd hh:mm:ss`` as a naive wall time, or 422 on scheduled_at."""
    if _SCHEDULED_AT.fullmatch(text):
        try:
            return datetime.strptime(text, SCHEDULED_AT_FORMAT)
        except ValueError:
            pass
    raise InvalidField("scheduled_at", "scheduled_at must be a real date and time in the "
                       "format YYYY-mm-dd hh:mm:ss", code="invalid_scheduled_at")


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of the naive ``wall`` time in ``zone``.

    A wall time in a DST gap raises (422 ``scheduled_at_nonexistent``); one in a fold is its
    first occurrence.
    """
    instants = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            instants.append(instant)
    if not instants:
        raise InvalidField("scheduled_at", f"scheduled_at {wall:{SCHEDULED_AT_FORMAT}} does not "
                           f"exist in {zone.key} (the clocks skip it for daylight saving time)",
                           code="scheduled_at_nonexistent")
    return min(instants)


def _naive_utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None)


def surely_past(wall: datetime, now: datetime) -> bool:
    """True when ``wall`` is in the past in every time zone on earth (no zone needed)."""
    return wall < _naive_utc(now) - WIDEST_OFFSET


def surely_too_far(wall: datetime, now: datetime) -> bool:
    """True when ``wall`` is beyond the horizon in every time zone on earth."""
    return wall > _naive_utc(now) + MAX_HORIZON + WIDEST_OFFSET


def past_error() -> InvalidField:
    return InvalidField("scheduled_at", "scheduled_at is in the past",
                        code="scheduled_at_in_past")


def too_far_error() -> InvalidField:
    return InvalidField("scheduled_at", f"scheduled_at is more than {MAX_HORIZON.days} days "
                        "ahead", code="scheduled_at_too_far")


def precheck_wall_time(text: str, now: datetime) -> datetime:
    """The zone-free checks of a sent scheduled_at: its format, and whether it is past (or
    beyond the horizon) whatever the zone. Returns the naive wall time."""
    wall = parse_wall_time(text)
    if surely_past(wall, now):
        raise past_error()
    if surely_too_far(wall, now):
        raise too_far_error()
    return wall


def check_window(due: datetime, now: datetime) -> None:
    """Raise 422 on scheduled_at unless ``now <= due <= now + MAX_HORIZON``."""
    if due < now:
        raise past_error()
    if due > now + MAX_HORIZON:
        raise too_far_error()


def due_instant(fields: CallbackFields, now: datetime) -> datetime:
    """The UTC instant ``fields`` fire at, checked against ``now`` (422s name the field)."""
    zone = parse_zone(fields.time_zone)
    due = to_utc(precheck_wall_time(fields.scheduled_at, now), zone)
    check_window(due, now)
    return due


def outcome(call: Call) -> CallbackStatus:
    """DONE if both the agent and the destination answered, else FAILED."""
    agent, customer = call.leg_by_role(Role.AGENT), call.leg_by_role(Role.CUSTOMER)
    answered = all(leg is not None and leg.answered_at is not None for leg in (agent, customer))
    return CallbackStatus.DONE if answered else CallbackStatus.FAILED
