"""Scheduled callbacks: the API's use cases, and the durable exactly-once scheduler.

How "exactly once" holds, across crashes and several engine processes on one database:

1. Callbacks live in PostgreSQL; ``due_at`` is the UTC instant of the local wall time.
2. A scheduler claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and, in the same
   transaction, flips them to ``fired`` with ``claimed_at``/``claimed_by`` (this process's
   id). The claim commits *before* anything is dialled, so two schedulers never both get a
   row, and a row once claimed is never claimed again while its claim is fresh.
3. The dialer persists the call's first snapshot (a ``calls`` row whose request_id is the
   callback's) before it dials. So a ``fired`` callback *with* a call was dialled (or is
   being dialled): it is never fired again, whatever happens next.
4. A ``fired`` callback *without* a call whose claim is older than the lease (30 s) was
   claimed by a process that died between its claim and the dialer's first write: nothing
   was dialled, so it is claimed again (atomically, by the same SKIP LOCKED query) and fired
   once. The scheduler starts after the router replayed its journal, so a call that only
   lived in the journal is in ``calls`` before anyone looks for it.
5. A callback that came due while no engine ran is simply due: it fires once on start.

If the dialer raises ``Unavailable`` (Asterisk down), the callback goes back to
``scheduled``, due again ``retry_seconds`` later (only if no call got persisted), until
``max_attempts`` claims, after which it is ``failed``. A dialer refusing the order
(``Rejected``), or failing unexpectedly, makes it ``failed`` at once: firing it again would
fail the same way.
A callback whose agent extension is known to be unregistered when it comes due is not
dialled either: the dialer records the refused call's CDR (``CHANUNAVAIL``, cause 20) and
the callback is ``failed`` with the reason (``AgentUnregistered``).

Waiting is event-driven: the scheduler sleeps exactly until the next due time (or lease
expiry) read from PostgreSQL, and a ``NOTIFY callbacks`` (sent by every create, update and
delete) wakes it early; it re-reads at least every ``safety_seconds`` anyway.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Protocol

from engine.ari.backoff import Backoff
from engine.domain.accounts import Account
from engine.domain.agents import AgentUnregistered
from engine.domain.call import Call, Origin
from engine.domain.callbacks import (
    CallbackFields,
    CallbackPatch,
    CallbackStatus,
    due_instant,
    merge,
    outcome,
    parse_zone,
    precheck_wall_time,
)
from engine.domain.errors import Conflict, NotFound, Rejected, Unavailable
from engine.domain.ids import is_request_id, new_request_id
from engine.services.click2call import Click2CallOrder
from engine.store.callbacks import CallbackRepository, CallbackRow
from engine.store.woken import run_woken

log = logging.getLogger(__name__)

__all__ = ["CallbackDialer", "CallbackScheduler", "CallbackService", "OrderValidator"]


class CallbackDialer(Protocol):
    """Places a click2call under a given request id (persisting it before dialling)."""

    async def place(self, account_id: str, order: Click2CallOrder, *, origin: Origin,
                    request_id: str) -> str: ...


class OrderValidator(Protocol):
    """Click2call's own validation (``Click2CallService`` fits)."""

    def build_call(self, account: Account, order: Click2CallOrder, now: datetime) -> Call: ...


class ScheduleStore(Protocol):
    """What the scheduler needs from the store (``CallbackRepository`` fits)."""

    async def claim_due(self, worker: str, lease_seconds: float,
                        limit: int) -> list[CallbackRow]: ...
    async def seconds_to_next_due(self, lease_seconds: float) -> float | None: ...
    async def retry(self, request_id: str, worker: str, delay_seconds: float,
                    reason: str) -> bool: ...
    async def fail_unplaced(self, request_id: str, worker: str, reason: str) -> bool: ...
    async def fail_refused(self, request_id: str, reason: str) -> None: ...
    async def settle_ended(self) -> None: ...
    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]: ...


def order_of(fields: CallbackFields) -> Click2CallOrder:
    return Click2CallOrder(fields.agent_number, fields.caller_id, fields.destination_number,
                           fields.recording_option)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CallbackService:
    """Create, change, delete and list an account's callbacks (validation included)."""

    def __init__(self, repo: CallbackRepository, validator: OrderValidator, *,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self._repo = repo
        self._validator = validator
        self._clock = clock

    def _validate(self, account: Account, fields: CallbackFields, now: datetime) -> None:
        # Numbers and recording option are checked exactly as click2call checks them.
        self._validator.build_call(account, order_of(fields), now)

    async def create(self, account: Account, fields: CallbackFields) -> str:
        """Schedule a callback; returns its request id (also the request id of its call)."""
        now = self._clock()
        due = due_instant(fields, now)
        self._validate(account, fields, now)
        request_id = new_request_id()
        await self._repo.insert(request_id, account.account_id, fields, due)
        return request_id

    async def update(self, account: Account, request_id: str, patch: CallbackPatch) -> str:
        """Merge ``patch`` into a waiting callback. A time that is past in every zone is
        refused before the lookup; the precise check uses the callback's own zone."""
        now = self._clock()
        if patch.time_zone is not None:
            parse_zone(patch.time_zone)
        if patch.scheduled_at is not None:
            precheck_wall_time(patch.scheduled_at, now)
        row = await self._waiting(account, request_id)
        fields = merge(row.fields, patch)
        due = due_instant(fields, now) if patch.moves_time else row.due_at
        self._validate(account, fields, now)
        if not await self._repo.update(row.request_id, account.account_id, fields, due):
            await self._waiting(account, request_id)  # raises: it fired meanwhile
        return row.request_id

    async def delete(self, account: Account, request_id: str) -> str:
        """Cancel a waiting callback (it stays listed as ``cancelled``)."""
        row = await self._waiting(account, request_id)
        if not await self._repo.cancel(row.request_id, account.account_id):
            await self._waiting(account, request_id)
        return row.request_id

    async def list_callbacks(self, account: Account) -> list[CallbackRow]:
        """The account's callbacks, soonest first."""
        return await self._repo.list_for_account(account.account_id)

    async def on_call_finished(self, call: Call) -> None:
        """Router hook: a callback's call ended; record done or failed."""
        if call.origin is Origin.CALLBACK:
            await self._repo.finish(call.request_id, outcome(call))

    async def _waiting(self, account: Account, request_id: str) -> CallbackRow:
        request_id = request_id.strip()
        row = None
        if is_request_id(request_id):
            row = await self._repo.get(account.account_id, request_id)
        if row is None:
            raise NotFound("callback not found", code="callback_not_found")
        if row.status is CallbackStatus.CANCELLED:
            raise Conflict("callback was deleted", code="callback_cancelled")
        if row.status is not CallbackStatus.SCHEDULED:
            raise Conflict(f"callback already fired (status {row.status.value}); it can no "
                           "longer be changed or deleted", code="callback_already_fired")
        return row


def new_worker_id() -> str:
    """Unique per process and start: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class CallbackScheduler:
    """The supervised task that fires due callbacks exactly once (see the module doc)."""

    def __init__(
        self, store: ScheduleStore, dialer: CallbackDialer, *, worker_id: str | None = None,
        lease_seconds: float = 30.0, safety_seconds: float = 30.0, retry_seconds: float = 10.0,
        max_attempts: int = 90, batch: int = 10, backoff: Backoff | None = None,
    ) -> None:
        self._store = store
        self._dialer = dialer
        self.worker_id = worker_id or new_worker_id()
        self._lease = lease_seconds
        self._safety = safety_seconds
        self._retry = retry_seconds
        self._max_attempts = max_attempts
        self._batch = batch
        self._backoff = backoff or Backoff(0.5, 10.0)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Re-read the schedule now (what a ``NOTIFY callbacks`` does)."""
        self._wake.set()

    async def run(self) -> None:
        """Fire callbacks forever; database outages are waited out with backoff."""
        await run_woken("callback scheduler", self._store.listen, self._wake, self._backoff,
                        self._pass)

    async def _pass(self) -> float:
        await self._store.settle_ended()
        while await self.fire_due():
            pass
        until_next = await self._store.seconds_to_next_due(self._lease)
        timeout = self._safety if until_next is None else min(until_next, self._safety)
        # A due row another scheduler holds locked for a moment: look again shortly.
        return max(timeout, 0.1)

    async def fire_due(self) -> int:
        """Claim one batch of due callbacks and place their calls; returns how many."""
        rows = await self._store.claim_due(self.worker_id, self._lease, self._batch)
        for row in rows:
            await self._fire(row)
        return len(rows)

    async def _fire(self, row: CallbackRow) -> None:
        extra = {"request_id": row.request_id, "attempt": row.attempts}
        try:
            await self._dialer.place(row.account_id, order_of(row.fields),
                                     origin=Origin.CALLBACK, request_id=row.request_id)
        except Unavailable as exc:
            if row.attempts >= self._max_attempts:
                log.warning("callback failed: the PBX stayed unreachable", extra=extra)
                await self._store.fail_unplaced(row.request_id, self.worker_id,
                                                f"could not be placed: {exc.message}")
                return
            log.warning("callback postponed: the PBX is unreachable", extra=extra)
            await self._store.retry(row.request_id, self.worker_id, self._retry, exc.message)
        except AgentUnregistered as exc:
            # The refused call and its CDR are stored already: the callback failed with it.
            log.warning("callback failed: its agent is not registered", extra=extra)
            await self._store.fail_refused(row.request_id, exc.message)
        except Rejected as exc:
            log.warning("callback refused by the dialer", extra={**extra, "error": exc.message})
            await self._store.fail_unplaced(row.request_id, self.worker_id, exc.message)
        except Exception:
            log.exception("callback could not be placed", extra=extra)
            await self._store.fail_unplaced(row.request_id, self.worker_id, "internal error")
        else:
            log.info("callback fired", extra=extra)
