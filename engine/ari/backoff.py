"""Reconnect policy shared by every long-lived connection (ARI, AMI, the database). Pure."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Exponential delays between reconnect attempts, capped, with random jitter.

    The n-th call to :meth:`next_delay` (counting from 0) returns about
    ``min(initial * factor**n, maximum)``, spread by ``+/- jitter`` of itself so that
    several clients that lost Asterisk at the same moment do not reconnect in lockstep.
    Every delay lies in ``[0, maximum * (1 + jitter)]``. :meth:`reset` starts over after
    a successful connect.
    """

    def __init__(
        self,
        initial: float,
        maximum: float,
        factor: float = 2.0,
        jitter: float = 0.1,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if initial < 0 or maximum < 0:
            raise ValueError("backoff delays must not be negative")
        if factor < 1:
            raise ValueError("backoff factor must be at least 1")
        if not 0 <= jitter <= 1:
            raise ValueError("backoff jitter must be a fraction between 0 and 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self._rng = rng
        self._attempts = 0
        self._base = min(initial, maximum)

    @property
    def attempts(self) -> int:
        """Delays handed out since the last reset."""
        return self._attempts

    def next_delay(self) -> float:
        """The delay before the next attempt, in seconds; each call grows the base delay."""
        base = self._base
        # Grow step by step rather than initial * factor**n: the power overflows a float
        # after a long outage (an Asterisk down over a weekend).
        self._base = min(base * self.factor, self.maximum)
        self._attempts += 1
        # rng() is in [0, 1); map it to a spread in [-jitter, +jitter]. Clamped, so an
        # injected rng that strays outside [0, 1] cannot break the documented bounds.
        sample = min(max(self._rng(), 0.0), 1.0)
        spread = (2.0 * sample - 1.0) * self.jitter
        return max(0.0, base * (1.0 + spread))

    def reset(self) -> None:
        """Start again from ``initial`` (call after a connection succeeded)."""
        self._attempts = 0
        self._base = min(self.initial, self.maximum)
