"""Account call limits (the Jambonz way): admission and pacing decisions, pure.

Each account may have at most ``max_concurrent`` live calls, and starts calls at most
``calls_per_second``: in any window of one second, no more than ``calls_per_second`` starts
(below one call per second, the window is ``1 / calls_per_second`` seconds and holds one
start). So a bulk request of five calls at 10 calls/s fires at once, and an eleventh call in
the same second waits. An API call that cannot start at once is queued, and queued calls
start in order as slots free up; a new call never overtakes one already queued.

Past ``queue_limit`` calls waiting, a further call is refused (HTTP 429).

Times are seconds on a monotonic clock; ``recent`` are this account's latest start times,
oldest first (``starts_in_window`` keeps just the ones that still count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from engine.domain.errors import InvalidField

MAX_CONCURRENT_LIMIT = 100_000
MAX_CALLS_PER_SECOND = 1_000.0
MIN_CALLS_PER_SECOND = 0.001
MAX_QUEUE_LIMIT = 1_000_000
DEFAULT_QUEUE_LIMIT = 500

Admission = Literal["fire", "queue"]


def validate_max_concurrent(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 1 <= value <= MAX_CONCURRENT_LIMIT:
        raise InvalidField("max_concurrent",
                           f"max concurrent calls must be a whole number 1-{MAX_CONCURRENT_LIMIT}")
    return value


def validate_calls_per_second(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value) or not MIN_CALLS_PER_SECOND <= value <= MAX_CALLS_PER_SECOND:
        raise InvalidField("calls_per_second",
                           f"calls per second must be a number {MIN_CALLS_PER_SECOND}-"
                           f"{MAX_CALLS_PER_SECOND:g}")
    return float(value)


def validate_queue_limit(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 0 <= value <= MAX_QUEUE_LIMIT:
        raise InvalidField("queue_limit",
                           f"the queue limit must be a whole number 0-{MAX_QUEUE_LIMIT}")
    return value


@dataclass(frozen=True)
class CallLimits:
    """An account's effective limits (``queue_limit``: calls that may wait; 0: none)."""

    max_concurrent: int
    calls_per_second: float
    queue_limit: int = DEFAULT_QUEUE_LIMIT

    def __post_init__(self) -> None:
        validate_max_concurrent(self.max_concurrent)
        validate_calls_per_second(self.calls_per_second)
        validate_queue_limit(self.queue_limit)

    @property
    def window(self) -> float:
        """The sliding window the rate is counted over, in seconds."""
        return max(1.0, 1.0 / self.calls_per_second)

    @property
    def starts_per_window(self) -> int:
        return max(1, math.floor(self.calls_per_second * self.window + 1e-9))


def effective_limits(max_concurrent: int | None, calls_per_second: float | None,
                     defaults: CallLimits, queue_limit: int | None = None) -> CallLimits:
    """Stored limits (``None``: not set) over the defaults."""
    return CallLimits(
        defaults.max_concurrent if max_concurrent is None else max_concurrent,
        defaults.calls_per_second if calls_per_second is None else calls_per_second,
        defaults.queue_limit if queue_limit is None else queue_limit,
    )


def starts_in_window(recent: tuple[float, ...], limits: CallLimits,
                     now: float) -> tuple[float, ...]:
    """The starts of ``recent`` that still count against the rate at ``now``."""
    return tuple(t for t in recent if t > now - limits.window)


def wait_before_start(live: int, limits: CallLimits, recent: tuple[float, ...],
                      now: float) -> float | None:
    """How long until one more call may start: ``0.0`` now, ``> 0`` seconds (pacing), or
    ``None`` when every slot is taken (only a call ending frees one)."""
    if live >= limits.max_concurrent:
        return None
    counted = starts_in_window(recent, limits, now)
    if len(counted) < limits.starts_per_window:
        return 0.0
    # The start that must leave the window before one more fits in it.
    leaving = counted[len(counted) - limits.starts_per_window]
    remaining = leaving + limits.window - now
    return remaining if remaining > 0 else 0.0


def admit(live: int, queued_ahead: int, limits: CallLimits, recent: tuple[float, ...],
          now: float) -> Admission:
    """A new call starts at once (``fire``) only below both limits with nobody queued
    ahead of it; otherwise it waits its turn in the queue."""
    if queued_ahead > 0:
        return "queue"
    return "fire" if wait_before_start(live, limits, recent, now) == 0.0 else "queue"


def next_wake(waits: list[float | None], ceiling: float) -> float:
    """How long a dispatcher may sleep: until the soonest pacing wait, at most ``ceiling``
    (calls ending wake it sooner)."""
    timed = [w for w in waits if w is not None]
    return min([ceiling, *timed]) if timed else ceiling
