"""Scheduled callbacks (pure): wall times in zones, DST gaps and folds, past and horizon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.call import Call, CallState, Leg, LegState, Origin, Role
from engine.domain.callbacks import (
    MAX_HORIZON,
    CallbackFields,
    CallbackPatch,
    CallbackStatus,
    due_instant,
    merge,
    outcome,
    parse_wall_time,
    parse_zone,
    precheck_wall_time,
    surely_past,
    to_utc,
)
from engine.domain.errors import InvalidField
from engine.domain.numbers import Extension, External

NOW = datetime(2026, 11, 23, 7, 44, 17, tzinfo=UTC)
SEED = CallbackFields("919979271000", "15168148111", "918000681000", "off", "Asia/Kolkata",
                      "2023-08-15 12:55:00")


def fields(scheduled_at: str, time_zone: str = "Asia/Kolkata") -> CallbackFields:
    return CallbackFields("101", "15168148111", "15168141000", "off", time_zone, scheduled_at)


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def rejected(scheduled_at: str, time_zone: str = "Asia/Kolkata",
             now: datetime = NOW) -> InvalidField:
    with pytest.raises(InvalidField) as caught:
        due_instant(fields(scheduled_at, time_zone), now)
    return caught.value


@pytest.mark.parametrize(("wall", "zone", "expected"), [
    ("2027-01-15 12:55:00", "Asia/Kolkata", "2027-01-15 07:25:00"),
    ("2027-07-15 12:55:00", "Asia/Kolkata", "2027-07-15 07:25:00"),  # no DST in India
    ("2027-01-15 09:00:00", "US/Eastern", "2027-01-15 14:00:00"),  # EST, -5
    ("2027-07-15 09:00:00", "US/Eastern", "2027-07-15 13:00:00"),  # EDT, -4
    ("2027-01-15 09:00:00", "Europe/London", "2027-01-15 09:00:00"),  # GMT
    ("2027-07-15 09:00:00", "Europe/London", "2027-07-15 08:00:00"),  # BST, +1
    ("2027-07-15 09:00:00", "America/New_York", "2027-07-15 13:00:00"),
])
def test_wall_time_in_zone_is_one_utc_instant(wall: str, zone: str, expected: str) -> None:
    assert due_instant(fields(wall, zone), NOW) == utc(expected)


@pytest.mark.parametrize(("wall", "zone"), [
    ("2027-03-14 02:00:00", "US/Eastern"),
    ("2027-03-14 02:30:00", "US/Eastern"),
    ("2027-03-14 02:59:59", "US/Eastern"),
    ("2027-03-28 01:00:00", "Europe/London"),
    ("2027-03-28 01:30:00", "Europe/London"),
])
def test_a_wall_time_in_a_dst_gap_is_rejected(wall: str, zone: str) -> None:
    error = rejected(wall, zone)
    assert error.field == "scheduled_at"
    assert error.code == "scheduled_at_nonexistent"
    assert "does not exist" in error.message


@pytest.mark.parametrize(("wall", "zone", "expected"), [
    # Either side of the gap exists: the last second of standard time, the first of summer.
    ("2027-03-14 01:59:59", "US/Eastern", "2027-03-14 06:59:59"),
    ("2027-03-14 03:00:00", "US/Eastern", "2027-03-14 07:00:00"),
    ("2027-03-28 00:59:59", "Europe/London", "2027-03-28 00:59:59"),
    ("2027-03-28 02:00:00", "Europe/London", "2027-03-28 01:00:00"),
])
def test_the_edges_of_a_gap_exist(wall: str, zone: str, expected: str) -> None:
    assert due_instant(fields(wall, zone), NOW) == utc(expected)


@pytest.mark.parametrize(("wall", "zone", "first"), [
    # Twice each: the first occurrence (still summer time) is the one used.
    ("2027-11-07 01:00:00", "US/Eastern", "2027-11-07 05:00:00"),
    ("2027-11-07 01:30:00", "US/Eastern", "2027-11-07 05:30:00"),
    ("2027-11-07 01:59:59", "US/Eastern", "2027-11-07 05:59:59"),
    ("2027-10-31 01:30:00", "Europe/London", "2027-10-31 00:30:00"),
])
def test_a_wall_time_in_a_dst_fold_is_its_first_occurrence(
    wall: str, zone: str, first: str
) -> None:
    assert due_instant(fields(wall, zone), NOW) == utc(first)


def test_after_the_fold_the_clock_is_on_standard_time() -> None:
    assert due_instant(fields("2027-11-07 02:00:00", "US/Eastern"), NOW) == \
        utc("2027-11-07 07:00:00")


def test_kolkata_has_no_gap_and_no_fold() -> None:
    zone = parse_zone("Asia/Kolkata")
    start = datetime(2027, 3, 1)
    for hour in range(0, 24 * 300, 7):
        wall = start + timedelta(hours=hour)
        assert to_utc(wall, zone) == wall.replace(tzinfo=UTC) - timedelta(hours=5, minutes=30)


def test_the_seed_examples_are_past_and_nothing_else() -> None:
    with pytest.raises(InvalidField) as caught:
        due_instant(SEED, NOW)
    assert (caught.value.field, caught.value.code) == ("scheduled_at", "scheduled_at_in_past")
    assert "in the past" in caught.value.message
    # The PATCH example (no zone at all): past whatever the callback's zone turns out to be.
    with pytest.raises(InvalidField) as caught:
        precheck_wall_time("2023-08-16 10:00:02", NOW)
    assert caught.value.code == "scheduled_at_in_past"


@pytest.mark.parametrize(("wall", "zone"), [
    # A few minutes ahead in UTC terms, yet already past in a zone east of UTC.
    ("2026-11-23 13:00:00", "Asia/Kolkata"),  # 07:30Z
    ("2026-11-23 21:00:00", "Pacific/Kiritimati"),  # +14: 07:00Z
    ("2026-11-23 07:44:16", "UTC"),  # one second ago
    ("2026-11-23 02:44:16", "US/Eastern"),
])
def test_stray_past_times_are_caught_in_their_own_zone(wall: str, zone: str) -> None:
    assert not surely_past(parse_wall_time(wall), NOW)
    assert rejected(wall, zone).code == "scheduled_at_in_past"


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Pacific/Pago_Pago", "US/Eastern", "UTC",
                                  "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Chatham"])
def test_surely_past_never_refuses_a_time_that_is_future_in_some_zone(zone: str) -> None:
    tz = parse_zone(zone)
    for minutes in range(-26 * 60, 26 * 60, 17):
        wall = NOW.replace(tzinfo=None) + timedelta(minutes=minutes)
        due = to_utc(wall, tz)
        if surely_past(wall, NOW):
            assert due < NOW, (zone, wall)


def test_the_instant_itself_is_not_past_but_a_second_before_is() -> None:
    assert due_instant(fields("2026-11-23 07:44:17", "UTC"), NOW) == NOW
    assert rejected("2026-11-23 07:44:16", "UTC").code == "scheduled_at_in_past"


def test_the_horizon_is_366_days() -> None:
    edge = NOW + MAX_HORIZON
    assert due_instant(fields(f"{edge:%Y-%m-%d %H:%M:%S}", "UTC"), NOW) == edge
    beyond = edge + timedelta(seconds=1)
    assert rejected(f"{beyond:%Y-%m-%d %H:%M:%S}", "UTC").code == "scheduled_at_too_far"


@pytest.mark.parametrize(("wall", "code"), [
    ("9999-12-31 23:59:59", "scheduled_at_too_far"),
    ("2099-01-01 00:00:00", "scheduled_at_too_far"),
    ("0001-01-01 00:00:00", "scheduled_at_in_past"),
    ("1970-01-01 00:00:00", "scheduled_at_in_past"),
])
def test_absurd_years_are_refused_without_overflow(wall: str, code: str) -> None:
    for zone in ("US/Eastern", "Asia/Kolkata", "Pacific/Kiritimati", "Etc/GMT+12"):
        assert rejected(wall, zone).code == code


@pytest.mark.parametrize("wall", [
    "", "2027-02-30 10:00:00", "2027-1-5 10:00:00", "2027-01-05T10:00:00",
    "2027-01-05 24:00:00", "2027-01-05 10:00", "2027-01-05 10:00:00.5", "tomorrow",
    "2027-01-05 10:00:60", "\uff12\uff10\uff12\uff17-01-05 10:00:00",
])
def test_a_malformed_scheduled_at_is_refused(wall: str) -> None:
    error = rejected(wall)
    assert (error.field, error.code) == ("scheduled_at", "invalid_scheduled_at")


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "../etc/passwd", "/etc/localtime",
                                  "America", "US/Eastern/", "Asia/Kolkata\n", "x" * 300])
def test_an_unknown_zone_is_refused(zone: str) -> None:
    error = rejected("2027-01-15 09:00:00", zone)
    assert (error.field, error.code) == ("time_zone", "unknown_time_zone")


@pytest.mark.parametrize("zone", ["US/Eastern", "Asia/Kolkata", "Europe/London", "UTC",
                                  "Etc/GMT+12", "America/Argentina/Buenos_Aires"])
def test_iana_names_including_legacy_links_are_known(zone: str) -> None:
    assert parse_zone(zone).key == zone


def test_a_patch_keeps_every_field_it_does_not_send() -> None:
    stored = fields("2027-01-15 09:00:00", "US/Eastern")
    patch = CallbackPatch(recording_option="on", scheduled_at="2027-01-16 10:00:00")
    merged = merge(stored, patch)
    assert merged.time_zone == "US/Eastern"
    assert merged.recording_option == "on"
    assert merged.scheduled_at == "2027-01-16 10:00:00"
    assert merged.agent_number == stored.agent_number
    assert patch.moves_time
    assert not CallbackPatch(caller_id="15168148112").moves_time
    assert CallbackPatch(time_zone="UTC").moves_time
    assert merge(stored, CallbackPatch()) == stored


def call_with(agent_answered: bool, customer: bool | None) -> Call:
    t = NOW
    legs = [Leg(role=Role.AGENT, party=Extension("101"), channel_id="ab.1",
                state=LegState.GONE, created_at=t,
                answered_at=t if agent_answered else None)]
    if customer is not None:
        legs.append(Leg(role=Role.CUSTOMER, party=External("15168141000"), channel_id="ab.2",
                        state=LegState.GONE, created_at=t,
                        answered_at=t if customer else None))
    return Call(request_id="abcdef0123", account_id="account_1", origin=Origin.CALLBACK,
                state=CallState.ENDED, caller_id="15168148111", created_at=t,
                agent=Extension("101"), customer=External("15168141000"), legs=tuple(legs))


@pytest.mark.parametrize(("agent", "customer", "status"), [
    (True, True, CallbackStatus.DONE),
    (True, False, CallbackStatus.FAILED),
    (False, None, CallbackStatus.FAILED),
    (True, None, CallbackStatus.FAILED),
])
def test_outcome_is_done_only_when_both_answered(
    agent: bool, customer: bool | None, status: CallbackStatus
) -> None:
    assert outcome(call_with(agent, customer)) is status
