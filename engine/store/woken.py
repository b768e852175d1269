"""The loop of a PostgreSQL-coordinated worker: LISTEN, do a pass, sleep until woken.

The callback scheduler, the API call queue and the webhook dispatcher all work this way:
each pass claims what is due (``FOR UPDATE SKIP LOCKED``) and says how long it may sleep;
a ``NOTIFY`` (from any engine) or a local ``wake()`` ends the sleep early. A lost LISTEN
connection or a database outage is waited out with backoff, then the worker listens again
on a fresh connection (notifications sent meanwhile are covered by the next pass).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, suppress

from engine.ari.backoff import Backoff
from engine.domain.errors import Unavailable

log = logging.getLogger(__name__)

Listen = Callable[[Callable[[], None]], AbstractAsyncContextManager[Callable[[], bool]]]


async def run_woken(name: str, listen: Listen, wake: asyncio.Event, backoff: Backoff,
                    one_pass: Callable[[], Awaitable[float]]) -> None:
    """Forever: ``one_pass()`` returns the seconds to sleep before the next pass (0: go
    on at once); ``wake`` set by a NOTIFY or a local event ends the sleep early."""
    while True:
        try:
            async with listen(wake.set) as listening:
                backoff.reset()
                while True:
                    if not listening():
                        # NOTIFYs would be lost unnoticed: listen again on a fresh connection.
                        raise Unavailable("the LISTEN connection was lost")
                    wake.clear()  # before reading, so a wake-up during the pass is not lost
                    pause = await one_pass()
                    if pause > 0:
                        with suppress(TimeoutError):
                            await asyncio.wait_for(wake.wait(), pause)
        except Unavailable as exc:
            delay = backoff.next_delay()
            log.warning(f"{name} waiting for the database",
                        extra={"error": str(exc), "retry_in": delay})
            await asyncio.sleep(delay)
