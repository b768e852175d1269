"""The circuit breaker (pure): a campaign whose recent outcomes are mostly trunk failures
(CHANUNAVAIL, CONGESTION) is suspended with a reason instead of burning through its list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.domain.campaigns.outcomes import TRUNK_FAILURES


@dataclass(frozen=True)
class BreakerPolicy:
    window: int = 20  # the campaign's last outcomes looked at
    min_outcomes: int = 10  # fewer than this: never trips
    threshold: float = 0.6  # share of trunk failures that trips it


def trip_reason(recent: Sequence[str], policy: BreakerPolicy) -> str | None:
    """Why the campaign must be suspended, given its newest-first dial statuses; None if
    it may go on."""
    window = list(recent[:policy.window])
    if len(window) < policy.min_outcomes:
        return None
    failures = sum(1 for status in window if status in TRUNK_FAILURES)
    if failures / len(window) < policy.threshold:
        return None
    return (f"circuit breaker: {failures} of the last {len(window)} calls failed with "
            "CHANUNAVAIL or CONGESTION (the trunk looks down); resume_campaign when fixed")
