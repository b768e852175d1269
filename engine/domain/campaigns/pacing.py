"""Campaign pacing (pure): calls evenly spaced at ``60 / calls_per_minute`` seconds.

A campaign keeps one anchor, ``next_dial_at``: the moment its next call may start. Each
placed call moves the anchor one interval past the slot it used, not past the moment it
actually went out, so wake-up jitter never accumulates into drift over a run. A campaign
that fell behind by more than ``CATCH_UP`` or one interval, whichever is longer (it waited
for a free line, the engine was down), starts a fresh schedule from now instead of catching
up in a burst; a shorter stall (a slow round trip at a high rate) is caught up.

Engine-wide and per-account rates are enforced with a sliding one-second window of starts
(``engine.domain.call_limits.starts_in_window`` does the same for API calls).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def interval(calls_per_minute: float) -> timedelta:
    """The spacing between two calls of a campaign."""
    if calls_per_minute <= 0:
        raise ValueError("calls_per_minute must be positive")
    return timedelta(seconds=60.0 / calls_per_minute)


CATCH_UP = timedelta(seconds=0.5)


def next_slot(slot: datetime, placed_at: datetime, calls_per_minute: float) -> datetime:
    """The campaign's next anchor after a call for ``slot`` went out at ``placed_at``."""
    step = interval(calls_per_minute)
    if placed_at - slot < max(step, CATCH_UP):
        return slot + step
    return placed_at + step


def recent_starts(starts: Sequence[float], now: float, window: float = 1.0) -> list[float]:
    """The starts (monotonic seconds) that still count in the window ending at ``now``."""
    return [t for t in starts if now - t < window]


def rate_wait(starts: Sequence[float], per_second: float, now: float) -> float:
    """Seconds until one more start fits ``per_second`` in any one-second window (0: now).

    ``per_second`` may be fractional (0.5: one start every two seconds): the window then
    spans ``1 / per_second`` seconds for one start.
    """
    if per_second >= 1:
        window, allowed = 1.0, int(per_second)
    else:
        window, allowed = 1.0 / per_second, 1
    inside = sorted(t for t in starts if now - t < window)
    if len(inside) < allowed:
        return 0.0
    return max(0.0, inside[len(inside) - allowed] + window - now)
