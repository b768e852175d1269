"""Account call limits: admission of API calls, their durable queue, and its dispatcher.

``CallAdmission.submit(call)`` starts an API call at once (``"fired"``) when the account is
below its concurrent-call limit, its calls-per-second pace allows a start now, and no call
of the account is queued ahead; otherwise the call's snapshot is queued in PostgreSQL
(``"queued"``), or refused with ``TooManyRequests`` when the account's queue is full (its
``queue_limit``, by default the setting ``api_call_queue_limit``).

The dispatcher (``run``, a supervised task started after the router restored its calls)
starts queued calls in order as slots free up. It wakes when a call ends (router hook
``on_call_finished``), when a call is queued (``NOTIFY api_call_queue``, from any engine),
and on a timer for the pace: at most ``calls_per_second`` starts in any one-second window
(``engine.domain.call_limits``). Each queued call is claimed with ``FOR UPDATE SKIP
LOCKED`` (committed before it is launched) and removed once launched, so two engines never
start it twice; a claim left by an engine that died before its call was persisted is
claimed again after the lease, and one whose call was persisted is simply removed. Queued
calls survive restarts.

Live calls are counted as the larger of this engine's live calls of the account and the
database's (every engine's calls, as last saved). A call frees its slot the moment it ends,
before its final state is saved: its hangup_url may be called a moment before it leaves the
live views, and a call placed on receiving it must not be queued. The pace is kept per
engine process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from engine.ari.backoff import Backoff
from engine.domain.call import Call
from engine.domain.call_limits import (
    CallLimits,
    admit,
    effective_limits,
    next_wake,
    starts_in_window,
    validate_calls_per_second,
    validate_max_concurrent,
    validate_queue_limit,
    wait_before_start,
)
from engine.domain.errors import NotFound, TooManyRequests
from engine.services.callbacks import new_worker_id
from engine.store.call_codec import UnreadableSnapshot, call_from_json, call_to_json
from engine.store.call_limits import AdmissionState, QueuedCall, StoredLimits
from engine.store.woken import run_woken

log = logging.getLogger(__name__)

__all__ = ["AccountLimitsService", "CallAdmission", "CallLauncher", "LimitsStore", "QueueStore"]


class CallLauncher(Protocol):
    """What admission needs from the router (``CallRouter`` fits)."""

    async def launch(self, call: Call) -> Call: ...
    def live_calls(self, account_id: str) -> list[Call]: ...


class LimitsStore(Protocol):
    """Stored limits (``CallLimitsRepository`` fits)."""

    async def get_limits(self, account_id: str) -> StoredLimits | None: ...
    async def set_limits(self, account_id: str, max_concurrent: int | None,
                         calls_per_second: float | None, *, queue_limit: int | None = None,
                         reset: bool = False) -> StoredLimits: ...


class QueueStore(Protocol):
    """The queue and what admission reads (``CallLimitsRepository`` fits)."""

    async def admission_state(self, account_id: str,
                              ended: Sequence[str] = ()) -> AdmissionState: ...
    async def enqueue(self, account_id: str, request_id: str, snapshot: dict[str, Any],
                      bound: int) -> bool: ...
    async def queued_accounts(self, lease_seconds: float) -> list[str]: ...
    async def claim_next(self, account_id: str, worker: str,
                         lease_seconds: float) -> QueuedCall | None: ...
    async def remove(self, seq: int) -> None: ...
    async def settle_launched(self) -> None: ...
    async def cancel(self, account_id: str, request_id: str) -> bool: ...
    async def is_queued(self, account_id: str, request_id: str) -> bool: ...
    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]: ...


class AccountLimitsService:
    """Read and set an account's limits (the CLI's ``accounts limits``)."""

    def __init__(self, store: LimitsStore, defaults: CallLimits) -> None:
        self._store = store
        self._defaults = defaults

    async def get(self, account_id: str) -> tuple[CallLimits, StoredLimits]:
        """The effective limits and what is stored (``None``: the default)."""
        stored = await self._store.get_limits(account_id)
        if stored is None:
            raise NotFound(f"no account {account_id}")
        return self._effective(stored), stored

    def _effective(self, stored: StoredLimits) -> CallLimits:
        return effective_limits(stored.max_concurrent, stored.calls_per_second,
                                self._defaults, stored.queue_limit)

    async def set(self, account_id: str, *, max_concurrent: int | None = None,
                  calls_per_second: float | None = None, queue_limit: int | None = None,
                  reset: bool = False) -> tuple[CallLimits, StoredLimits]:
        """Set any limit (``reset``: the ones not given go back to the defaults)."""
        if max_concurrent is not None:
            validate_max_concurrent(max_concurrent)
        if calls_per_second is not None:
            calls_per_second = validate_calls_per_second(calls_per_second)
        if queue_limit is not None:
            validate_queue_limit(queue_limit)
        await self.get(account_id)  # NotFound for an unknown account
        stored = await self._store.set_limits(account_id, max_concurrent, calls_per_second,
                                              queue_limit=queue_limit, reset=reset)
        return self._effective(stored), stored


class CallAdmission:
    """Admits API calls under their account's limits; ``run`` is the queue's dispatcher."""

    def __init__(
        self, store: QueueStore, router: CallLauncher, defaults: CallLimits, *,
        worker_id: str | None = None,
        clock: Callable[[], float] = time.monotonic, lease_seconds: float = 30.0,
        safety_seconds: float = 2.0, backoff: Backoff | None = None,
    ) -> None:
        self._store = store
        self._router = router
        self._defaults = defaults
        self.worker_id = worker_id or new_worker_id()
        self._clock = clock
        self._lease = lease_seconds
        self._safety = safety_seconds
        self._backoff = backoff or Backoff(0.5, 10.0)
        self._wake = asyncio.Event()
        self._locks: dict[str, asyncio.Lock] = {}
        self._starts: dict[str, tuple[float, ...]] = {}

    # ---- admission --------------------------------------------------------------------

    async def submit(self, call: Call) -> Literal["fired", "queued"]:
        """Start ``call`` now (``"fired"``) or queue it (``"queued"``).

        Raises ``TooManyRequests`` when the account's queue is full, and what
        ``router.launch`` raises for a call its flow cannot begin."""
        account_id = call.account_id
        async with self._lock(account_id):
            state = await self._admission_state(account_id)
            limits, live = self._limits(state), self._live(account_id, state)
            now = self._clock()
            if admit(live, state.queued, limits, self._recent(account_id), now) == "fire":
                self._started(account_id, limits, now)
                await self._router.launch(call)
                return "fired"
            queued = await self._store.enqueue(account_id, call.request_id,
                                               call_to_json(call), limits.queue_limit)
        if not queued:
            raise TooManyRequests(
                f"too many calls waiting: the account's queue holds at most "
                f"{limits.queue_limit} calls", details={"queue_limit": limits.queue_limit})
        log.info("api call queued", extra={"request_id": call.request_id, "live": live,
                                           "queued_ahead": state.queued})
        self.wake()
        return "queued"

    async def cancel(self, account_id: str, request_id: str) -> bool:
        """Drop a queued call that is not being started yet; True if it was dropped."""
        return await self._store.cancel(account_id, request_id)

    async def is_queued(self, account_id: str, request_id: str) -> bool:
        """True while the account's call waits in the queue (for call details)."""
        return await self._store.is_queued(account_id, request_id)

    async def on_call_finished(self, call: Call) -> None:
        """Router hook: a slot may have freed up."""
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def _recent(self, account_id: str) -> tuple[float, ...]:
        return self._starts.get(account_id, ())

    def _started(self, account_id: str, limits: CallLimits, now: float) -> None:
        kept = starts_in_window(self._recent(account_id), limits, now)
        self._starts[account_id] = (*kept, now)

    def _lock(self, account_id: str) -> asyncio.Lock:
        lock = self._locks.get(account_id)
        if lock is None:
            lock = self._locks[account_id] = asyncio.Lock()
        return lock

    def _limits(self, state: AdmissionState) -> CallLimits:
        return effective_limits(state.limits.max_concurrent, state.limits.calls_per_second,
                                self._defaults, state.limits.queue_limit)

    async def _admission_state(self, account_id: str) -> AdmissionState:
        ended = [c.request_id for c in self._router.live_calls(account_id)
                 if c.ended_at is not None]
        return await self._store.admission_state(account_id, ended)

    def _live(self, account_id: str, state: AdmissionState) -> int:
        unended = [c for c in self._router.live_calls(account_id) if c.ended_at is None]
        return max(len(unended), state.live)

    # ---- the dispatcher -----------------------------------------------------------------

    async def run(self) -> None:
        """Start queued calls forever; database outages are waited out with backoff."""
        await run_woken("call queue", self._store.listen, self._wake, self._backoff,
                        self._pass)

    async def _pass(self) -> float:
        return max(await self.dispatch_ready(), 0.005)

    async def dispatch_ready(self) -> float:
        """Start every queued call that may start now; returns how long to sleep."""
        await self._store.settle_launched()
        waits = [await self._dispatch_account(account_id)
                 for account_id in await self._store.queued_accounts(self._lease)]
        return next_wake(waits, self._safety)

    async def _dispatch_account(self, account_id: str) -> float | None:
        while True:
            async with self._lock(account_id):
                state = await self._admission_state(account_id)
                now = self._clock()
                wait = wait_before_start(self._live(account_id, state), self._limits(state),
                                         self._recent(account_id), now)
                if wait != 0.0:
                    return wait
                queued = await self._store.claim_next(account_id, self.worker_id, self._lease)
                if queued is None:
                    return None
                self._started(account_id, self._limits(state), now)
                await self._start(queued)

    async def _start(self, queued: QueuedCall) -> None:
        extra = {"request_id": queued.request_id}
        try:
            call = call_from_json(queued.snapshot)
            # The call starts now: its legs and CDRs date from this moment, not the request.
            await self._router.launch(replace(call, created_at=datetime.now(UTC)))
        except UnreadableSnapshot as exc:
            log.error("queued call unreadable; dropped", extra={**extra, "error": str(exc)})
        except Exception:
            log.exception("queued call could not be started; dropped", extra=extra)
        else:
            log.info("queued api call started", extra=extra)
        await self._store.remove(queued.seq)
