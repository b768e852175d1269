"""The reconnect policy: growth, cap, reset and jitter bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ari.backoff import Backoff


def middle() -> float:
    return 0.5  # no jitter: 2 * 0.5 - 1 == 0


def test_delays_grow_by_factor_until_the_cap() -> None:
    backoff = Backoff(0.5, 10.0, factor=2.0, jitter=0.1, rng=middle)
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert backoff.attempts == 8


def test_reset_starts_over() -> None:
    backoff = Backoff(1.0, 30.0, rng=middle)
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.attempts == 0
    assert backoff.next_delay() == 1.0
    assert backoff.next_delay() == 2.0


def test_jitter_spreads_each_delay_by_its_fraction() -> None:
    low = Backoff(4.0, 100.0, jitter=0.25, rng=lambda: 0.0)
    high = Backoff(4.0, 100.0, jitter=0.25, rng=lambda: 1.0)
    assert low.next_delay() == pytest.approx(3.0)
    assert high.next_delay() == pytest.approx(5.0)


def test_initial_above_maximum_is_capped() -> None:
    assert Backoff(50.0, 10.0, rng=middle).next_delay() == 10.0


def test_long_outage_does_not_overflow() -> None:
    backoff = Backoff(0.5, 10.0, factor=10.0, rng=middle)
    for _ in range(5000):
        delay = backoff.next_delay()
    assert delay == 10.0


@pytest.mark.parametrize(
    ("initial", "maximum", "factor", "jitter"),
    [(-1.0, 1.0, 2.0, 0.1), (1.0, -1.0, 2.0, 0.1), (1.0, 2.0, 0.5, 0.1), (1.0, 2.0, 2.0, 1.5)],
)
def test_nonsense_policies_are_refused(
    initial: float, maximum: float, factor: float, jitter: float
) -> None:
    with pytest.raises(ValueError):
        Backoff(initial, maximum, factor=factor, jitter=jitter)


@given(
    initial=st.floats(min_value=0.0, max_value=100.0),
    maximum=st.floats(min_value=0.0, max_value=100.0),
    factor=st.floats(min_value=1.0, max_value=10.0),
    jitter=st.floats(min_value=0.0, max_value=1.0),
    samples=st.lists(st.floats(min_value=-0.5, max_value=1.5), min_size=1, max_size=40),
)
def test_every_delay_stays_within_zero_and_jittered_maximum(
    initial: float, maximum: float, factor: float, jitter: float, samples: list[float]
) -> None:
    values = iter(samples)
    backoff = Backoff(initial, maximum, factor=factor, jitter=jitter,
                      rng=lambda: next(values))
    for _ in samples:
        delay = backoff.next_delay()
        assert 0.0 <= delay <= maximum * (1 + jitter) + 1e-9
