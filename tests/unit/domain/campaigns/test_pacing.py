"""Campaign pacing: evenly spaced calls, no drift, no catch-up bursts, rate windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.campaigns.pacing import interval, next_slot, rate_wait, recent_starts

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_interval_is_sixty_seconds_over_the_rate() -> None:
    assert interval(10) == timedelta(seconds=6)
    assert interval(120) == timedelta(seconds=0.5)
    assert interval(0.5) == timedelta(seconds=120)


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        interval(rate)


def test_late_wake_ups_do_not_drift_the_schedule() -> None:
    slot = T0
    for n in range(100):  # each call goes out 40 ms after its slot
        slot = next_slot(slot, slot + timedelta(milliseconds=40), 60)
        assert slot == T0 + timedelta(seconds=n + 1)


def test_a_campaign_far_behind_restarts_from_now_instead_of_bursting() -> None:
    placed = T0 + timedelta(seconds=30)  # waited 30 s for a free line
    assert next_slot(T0, placed, 60) == placed + timedelta(seconds=1)


def test_exactly_one_interval_late_restarts_too() -> None:
    assert next_slot(T0, T0 + timedelta(seconds=1), 60) == T0 + timedelta(seconds=2)


def test_recent_starts_keep_the_last_second_only() -> None:
    assert recent_starts([1.0, 1.5, 2.2, 2.9], now=3.0) == [2.2, 2.9]


def test_rate_wait_lets_calls_through_below_the_rate() -> None:
    assert rate_wait([], 2, now=10.0) == 0.0
    assert rate_wait([9.5], 2, now=10.0) == 0.0


def test_rate_wait_is_the_time_until_the_oldest_start_leaves_the_window() -> None:
    assert rate_wait([9.25, 9.5], 2, now=10.0) == pytest.approx(0.25)


def test_a_fractional_rate_spaces_single_starts() -> None:
    assert rate_wait([9.0], 0.5, now=10.0) == pytest.approx(1.0)
    assert rate_wait([7.5], 0.5, now=10.0) == 0.0


def test_at_a_high_rate_a_short_stall_is_caught_up_not_lost() -> None:
    # 600 calls a minute: one every 100 ms; a 300 ms stall keeps the schedule.
    assert next_slot(T0, T0 + timedelta(milliseconds=300), 600) == \
        T0 + timedelta(milliseconds=100)
    assert next_slot(T0, T0 + timedelta(seconds=2), 600) == \
        T0 + timedelta(seconds=2, milliseconds=100)
