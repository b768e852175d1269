"""CDR wording: Asterisk's dial statuses, the seed's call statuses and date format."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain import cdr
from engine.domain.call import Leg, LegState, Origin, Role
from engine.domain.ledger import cdr_for_leg, cdr_to_api
from engine.domain.numbers import External
from tests.unit.domain.calls import CUSTOMER, new_call

CALL_STATUSES = {"ANSWERED", "BUSY", "NO ANSWER", "FAILED", "CONGESTION"}


@pytest.mark.parametrize(("cause", "status"), [
    (17, cdr.BUSY), (21, cdr.BUSY),
    (18, cdr.NOANSWER), (19, cdr.NOANSWER),
    (1, cdr.CHANUNAVAIL), (2, cdr.CHANUNAVAIL), (3, cdr.CHANUNAVAIL), (20, cdr.CHANUNAVAIL),
    (27, cdr.CHANUNAVAIL), (28, cdr.CHANUNAVAIL),
    (34, cdr.CONGESTION), (38, cdr.CONGESTION), (41, cdr.CONGESTION), (42, cdr.CONGESTION),
    (44, cdr.CONGESTION), (47, cdr.CONGESTION), (58, cdr.CONGESTION),
    # Normal clearing before answer that the engine did not ask for: the far end gave up.
    (0, cdr.NOANSWER), (16, cdr.NOANSWER), (31, cdr.NOANSWER), (32, cdr.NOANSWER),
    # Anything else is a failure to reach the channel.
    (127, cdr.CHANUNAVAIL), (999, cdr.CHANUNAVAIL), (-1, cdr.CHANUNAVAIL),
])
def test_cause_of_an_unanswered_leg(cause: int, status: str) -> None:
    assert cdr.dial_status_for(answered=False, cancelled=False, cause=cause) == status


@pytest.mark.parametrize("cause", [16, 17, 19, 34, 1])
def test_answered_wins_then_cancelled(cause: int) -> None:
    assert cdr.dial_status_for(answered=True, cancelled=False, cause=cause) == cdr.ANSWER
    assert cdr.dial_status_for(answered=True, cancelled=True, cause=cause) == cdr.ANSWER
    assert cdr.dial_status_for(answered=False, cancelled=True, cause=cause) == cdr.CANCEL


def test_engine_unreachable_cause_is_chanunavail() -> None:
    status = cdr.dial_status_for(answered=False, cancelled=False, cause=cdr.CAUSE_UNREACHABLE)
    assert status == cdr.CHANUNAVAIL


@settings(max_examples=200, derandomize=True, database=None)
@given(answered=st.booleans(), cancelled=st.booleans(), cause=st.integers(-5, 200))
def test_dial_status_is_always_one_of_the_six_words(
    answered: bool, cancelled: bool, cause: int
) -> None:
    status = cdr.dial_status_for(answered=answered, cancelled=cancelled, cause=cause)
    assert status in cdr.DIAL_STATUSES
    assert cdr.call_status_for(status) in CALL_STATUSES


@pytest.mark.parametrize(("dial_status", "call_status"), [
    (cdr.ANSWER, "ANSWERED"), (cdr.BUSY, "BUSY"), (cdr.NOANSWER, "NO ANSWER"),
    (cdr.CANCEL, "NO ANSWER"), (cdr.CHANUNAVAIL, "FAILED"), (cdr.CONGESTION, "CONGESTION"),
    ("DONTCALL", "FAILED"), (None, None),
])
def test_call_status_words(dial_status: str | None, call_status: str | None) -> None:
    assert cdr.call_status_for(dial_status) == call_status


def test_the_six_dial_statuses() -> None:
    assert cdr.DIAL_STATUSES == (
        "ANSWER", "BUSY", "NOANSWER", "CANCEL", "CHANUNAVAIL", "CONGESTION")


# ---- dates --------------------------------------------------------------------------------


@pytest.fixture
def kolkata_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_http_date_of_the_seed() -> None:
    moment = datetime(2023, 7, 7, 6, 8, 16, 999_999, tzinfo=UTC)
    assert cdr.http_date(moment) == "Fri, 07 Jul 2023 06:08:16 GMT"


def test_http_date_unset_is_the_epoch() -> None:
    assert cdr.http_date(None) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert cdr.http_date(cdr.EPOCH) == "Thu, 01 Jan 1970 00:00:00 GMT"


@pytest.mark.parametrize("offset", [timedelta(hours=5, minutes=30), timedelta(hours=-7)])
def test_http_date_converts_aware_datetimes_to_gmt(offset: timedelta) -> None:
    local = datetime(2023, 7, 7, 6, 8, 16, tzinfo=UTC).astimezone(timezone(offset))
    assert local.hour != 6
    assert cdr.http_date(local) == "Fri, 07 Jul 2023 06:08:16 GMT"


def test_http_date_across_midnight() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    assert cdr.http_date(datetime(2024, 3, 1, 2, 0, tzinfo=ist)) == (
        "Thu, 29 Feb 2024 20:30:00 GMT")


@pytest.mark.usefixtures("kolkata_local_time")
def test_http_date_reads_naive_datetimes_as_utc() -> None:
    # Regression: a naive value was read as the host's local time and shifted.
    assert cdr.http_date(datetime(2023, 7, 7, 6, 8, 16)) == "Fri, 07 Jul 2023 06:08:16 GMT"


@pytest.mark.parametrize(("start", "end", "seconds"), [
    (None, datetime(2023, 1, 1, tzinfo=UTC), None),
    (datetime(2023, 1, 1, tzinfo=UTC), None, None),
    (datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 1, 1, 0, 1, 1, 500_000, tzinfo=UTC),
     61.5),
    (datetime(2023, 1, 1, 0, 0, 5, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC), 0.0),
    (datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 1, 1, 0, 0, 0, 123_456, tzinfo=UTC),
     0.12346),
])
def test_seconds_between(
    start: datetime | None, end: datetime | None, seconds: float | None
) -> None:
    assert cdr.seconds_between(start, end) == seconds


# ---- one CDR row in the seed's shape -------------------------------------------------------


def test_cdr_row_of_an_unanswered_leg() -> None:
    call = replace(new_call(), origin=Origin.CLICK2CALL)
    created = datetime(2023, 7, 7, 6, 8, 16, tzinfo=UTC)
    leg = Leg(Role.CUSTOMER, CUSTOMER, "57362de4f0.2", LegState.GONE, created,
              ended_at=created + timedelta(seconds=20), dial_status=cdr.BUSY, hangup_cause=17)
    body = cdr_to_api(cdr_for_leg(call, leg))
    assert body["call_status"] == "BUSY"
    assert body["dial_status"] == "BUSY"
    assert body["answer"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert body["call_date"] == "Fri, 07 Jul 2023 06:08:16 GMT"
    assert body["end"] == "Fri, 07 Jul 2023 06:08:36 GMT"
    assert body["billsec"] is None
    assert body["call_duration"] == 20.0
    assert body["dialed_number"] == External("919979271234").number
    assert body["uniqueid"] == "57362de4f0.2"


@pytest.mark.parametrize(("reported", "cancelled", "cause", "expected"), [
    ("BUSY", False, 16, "BUSY"),  # Asterisk's own word beats the cause
    ("NOANSWER", False, 0, "NOANSWER"),
    ("BUSY", True, 17, "CANCEL"),  # the engine's cancel beats everything
    ("RINGING", False, 34, "CONGESTION"),  # not a final word: the cause decides
    (None, False, 1, "CHANUNAVAIL"),
    ("NOANSWER", False, 1, "CHANUNAVAIL"),  # ARI's word for a 404; the cause is truer
    ("NOANSWER", False, 16, "NOANSWER"),
])
def test_reported_dial_status(
    reported: str | None, cancelled: bool, cause: int, expected: str
) -> None:
    assert cdr.dial_status_for(answered=False, cancelled=cancelled, cause=cause,
                               reported=reported) == expected
