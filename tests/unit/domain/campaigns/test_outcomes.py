"""What an attempt's outcome does to its contact: answered, retried or failed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.domain.call import Call, CallState, Leg, LegState, Origin, Role
from engine.domain.campaigns.outcomes import (
    AttemptResult,
    ContactUpdate,
    contact_update,
    result_of,
)
from engine.domain.numbers import External

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RETRY_ON = ("NOANSWER", "BUSY")


def update(status: str, attempt: int = 1, cause: int | None = None,
           max_retries: int = 2) -> ContactUpdate:
    return contact_update(AttemptResult(status, cause), attempt=attempt,
                          max_retries=max_retries, retry_on=RETRY_ON, retry_seconds=60,
                          now=NOW)


def test_an_answered_contact_is_done() -> None:
    assert update("ANSWER") == ContactUpdate("answered")


@pytest.mark.parametrize("status", ["NOANSWER", "BUSY"])
def test_a_listed_status_is_retried_after_retry_time(status: str) -> None:
    assert update(status) == ContactUpdate("retry", NOW + timedelta(seconds=60))


@pytest.mark.parametrize("status", ["CONGESTION", "CHANUNAVAIL", "CANCEL"])
def test_an_unlisted_status_fails_at_once(status: str) -> None:
    assert update(status) == ContactUpdate("failed")


def test_the_last_retry_fails_for_good() -> None:
    assert update("BUSY", attempt=2).state == "retry"  # the first retry was attempt 2
    assert update("BUSY", attempt=3) == ContactUpdate("failed")


def test_no_retries_means_one_attempt() -> None:
    assert update("BUSY", max_retries=0) == ContactUpdate("failed")


@pytest.mark.parametrize("cause", [900, 901])
def test_a_leg_the_platform_lost_is_retried_whatever_its_status(cause: int) -> None:
    assert update("CONGESTION", cause=cause).state == "retry"
    assert update("ANSWER", cause=cause).state == "retry"
    assert update("ANSWER", cause=cause, attempt=3) == ContactUpdate("answered")


def call_with(leg: Leg | None) -> Call:
    return Call("0123456789", "acct", Origin.CAMPAIGN, CallState.ENDED, "15168148111", NOW,
                legs=(leg,) if leg else ())


def leg(**changes: Any) -> Leg:
    base = Leg(Role.CUSTOMER, External("15162011000"), "0123456789.1", LegState.GONE, NOW)
    return replace(base, **changes)


def test_the_result_is_the_dialled_leg() -> None:
    assert result_of(call_with(leg(dial_status="BUSY", hangup_cause=17))) == \
        AttemptResult("BUSY", 17)
    assert result_of(call_with(leg(answered_at=NOW, dial_status="ANSWER"))).answered


def test_a_call_that_never_dialled_is_unavailable() -> None:
    assert result_of(call_with(None)) == AttemptResult("CHANUNAVAIL")
    assert result_of(call_with(leg())) == AttemptResult("CHANUNAVAIL")


@pytest.mark.parametrize("state", ["stopped", "expired"])
def test_a_retry_a_finished_campaign_will_not_make_ends_the_contact(state: str) -> None:
    result = contact_update(AttemptResult("BUSY"), attempt=1, max_retries=2,
                            retry_on=RETRY_ON, retry_seconds=60, now=NOW, no_more_calls=state)
    assert result == ContactUpdate(state)
    answered = contact_update(AttemptResult("ANSWER"), attempt=1, max_retries=2,
                              retry_on=RETRY_ON, retry_seconds=60, now=NOW,
                              no_more_calls=state)
    assert answered == ContactUpdate("answered")
