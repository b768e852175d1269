"""Account call limits: admission and pacing decisions (pure)."""

from __future__ import annotations

import pytest

from engine.domain.call_limits import (
    CallLimits,
    admit,
    effective_limits,
    next_wake,
    starts_in_window,
    validate_calls_per_second,
    validate_max_concurrent,
    wait_before_start,
)
from engine.domain.errors import InvalidField

TWO_AT_FOUR_PER_SECOND = CallLimits(2, 4.0)


def test_the_rate_is_counted_over_a_sliding_window() -> None:
    assert (TWO_AT_FOUR_PER_SECOND.window, TWO_AT_FOUR_PER_SECOND.starts_per_window) == (1.0, 4)
    assert (CallLimits(1, 0.5).window, CallLimits(1, 0.5).starts_per_window) == (2.0, 1)
    assert CallLimits(1, 2.5).starts_per_window == 2


def test_first_call_starts_at_once() -> None:
    assert wait_before_start(0, TWO_AT_FOUR_PER_SECOND, (), 100.0) == 0.0
    assert admit(0, 0, TWO_AT_FOUR_PER_SECOND, (), 100.0) == "fire"


def test_up_to_the_rate_start_together_then_the_next_waits_for_the_window() -> None:
    limits = CallLimits(100, 4.0)
    assert wait_before_start(3, limits, (100.0, 100.0, 100.0), 100.0) == 0.0
    four = (100.0, 100.1, 100.2, 100.3)
    assert wait_before_start(4, limits, four, 100.3) == pytest.approx(0.7)
    assert wait_before_start(4, limits, four, 100.9) == pytest.approx(0.1)
    assert wait_before_start(4, limits, four, 101.0) == 0.0
    assert admit(4, 0, limits, four, 100.5) == "queue"
    assert admit(4, 0, limits, four, 101.05) == "fire"
    assert starts_in_window(four, limits, 101.15) == (100.2, 100.3)


def test_below_one_call_a_second_starts_are_spaced() -> None:
    limits = CallLimits(10, 0.5)
    assert wait_before_start(0, limits, (100.0,), 100.5) == pytest.approx(1.5)
    assert wait_before_start(0, limits, (100.0,), 102.0) == 0.0


def test_no_slot_means_waiting_for_a_call_to_end() -> None:
    assert wait_before_start(2, TWO_AT_FOUR_PER_SECOND, (0.0,), 100.0) is None
    assert wait_before_start(5, TWO_AT_FOUR_PER_SECOND, (), 100.0) is None
    assert admit(2, 0, TWO_AT_FOUR_PER_SECOND, (), 100.0) == "queue"


def test_nobody_overtakes_the_queue() -> None:
    assert admit(0, 1, TWO_AT_FOUR_PER_SECOND, (), 100.0) == "queue"


def test_effective_limits_fall_back_to_defaults() -> None:
    defaults = CallLimits(50, 10.0, 500)
    assert effective_limits(None, None, defaults) == defaults
    assert effective_limits(1, None, defaults) == CallLimits(1, 10.0, 500)
    assert effective_limits(None, 0.5, defaults) == CallLimits(50, 0.5, 500)
    assert effective_limits(None, None, defaults, 0) == CallLimits(50, 10.0, 0)


@pytest.mark.parametrize("value", [-1, 1_000_001, True, 2.0])
def test_queue_limit_validated(value: object) -> None:
    with pytest.raises(InvalidField):
        CallLimits(1, 1.0, value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, 100_001, True, 1.5])
def test_max_concurrent_validated(value: object) -> None:
    with pytest.raises(InvalidField):
        validate_max_concurrent(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1.0, 0.0001, 1001, float("nan"), float("inf"), True])
def test_calls_per_second_validated(value: object) -> None:
    with pytest.raises(InvalidField):
        validate_calls_per_second(value)  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        CallLimits(1, value)  # type: ignore[arg-type]


def test_next_wake() -> None:
    assert next_wake([], 2.0) == 2.0
    assert next_wake([None, None], 2.0) == 2.0
    assert next_wake([None, 0.3, 1.0], 2.0) == 0.3
    assert next_wake([5.0], 2.0) == 2.0
