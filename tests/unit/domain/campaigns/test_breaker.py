"""The circuit breaker trips on a run of trunk failures, and only then."""

from __future__ import annotations

from engine.domain.campaigns.breaker import BreakerPolicy, trip_reason

POLICY = BreakerPolicy(window=10, min_outcomes=5, threshold=0.6)


def test_too_few_outcomes_never_trip() -> None:
    assert trip_reason(["CHANUNAVAIL"] * 4, POLICY) is None


def test_mostly_trunk_failures_trip_with_a_reason() -> None:
    reason = trip_reason(["CHANUNAVAIL", "CONGESTION", "CHANUNAVAIL", "ANSWER", "BUSY"],
                         POLICY)
    assert reason is not None and "3 of the last 5" in reason


def test_callee_outcomes_do_not_trip() -> None:
    assert trip_reason(["BUSY", "NOANSWER", "BUSY", "ANSWER", "NOANSWER"] * 2, POLICY) is None


def test_only_the_newest_window_counts() -> None:
    newest_first = ["ANSWER"] * 10 + ["CHANUNAVAIL"] * 10
    assert trip_reason(newest_first, POLICY) is None
