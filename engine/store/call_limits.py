"""Account limits and the durable queue of API calls waiting for a slot.

Every queue insert sends ``NOTIFY api_call_queue`` (on commit), so every engine's
dispatcher looks at once. Claims use ``FOR UPDATE SKIP LOCKED`` and commit before the call
is launched: two engines never start the same queued call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from engine.store.db import Database

CHANNEL = "api_call_queue"


@dataclass(frozen=True)
class StoredLimits:
    """What the account has set (``None``: the default applies)."""

    max_concurrent: int | None
    calls_per_second: float | None
    queue_limit: int | None = None


@dataclass(frozen=True)
class AdmissionState:
    limits: StoredLimits
    queued: int
    live: int


@dataclass(frozen=True)
class QueuedCall:
    seq: int
    request_id: str
    account_id: str
    snapshot: dict[str, Any]


def _limits(row: Any) -> StoredLimits:
    cps = row["calls_per_second"]
    return StoredLimits(row["max_concurrent_calls"], None if cps is None else float(cps),
                        row["queue_limit"])


class CallLimitsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def get_limits(self, account_id: str) -> StoredLimits | None:
        """The account's stored limits; None if there is no such account."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["get_account_limits"], account_id)
        return None if row is None else _limits(row)

    async def set_limits(self, account_id: str, max_concurrent: int | None,
                         calls_per_second: float | None, *, queue_limit: int | None = None,
                         reset: bool = False) -> StoredLimits:
        """Set the given limits (``None``: unchanged; ``reset``: others back to default)."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["set_account_limits"], account_id,
                                      max_concurrent, calls_per_second, reset, queue_limit)
        assert row is not None  # an upsert returns its row
        return _limits(row)

    async def admission_state(self, account_id: str,
                              ended: Sequence[str] = ()) -> AdmissionState:
        """Limits, queue length and live calls (``ended``: request ids known to have
        ended whose stored state may lag; not counted)."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["admission_state"], account_id, list(ended))
        assert row is not None
        return AdmissionState(_limits(row), int(row["queued"]), int(row["live"]))

    async def enqueue(self, account_id: str, request_id: str, snapshot: dict[str, Any],
                      bound: int) -> bool:
        """Queue a call unless the account already has ``bound`` queued; True if queued."""
        async with self._db.connection() as conn, conn.transaction():
            seq = await conn.fetchval(self._q["enqueue_api_call"], request_id, account_id,
                                      json.dumps(snapshot), bound)
            if seq is not None:
                await conn.execute(self._q["notify_api_call_queue"], account_id)
        return seq is not None

    async def queued_accounts(self, lease_seconds: float) -> list[str]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["queued_accounts"], float(lease_seconds))
        return [row["account_id"] for row in rows]

    async def claim_next(self, account_id: str, worker: str,
                         lease_seconds: float) -> QueuedCall | None:
        """Claim the account's oldest claimable queued call (committed on return)."""
        async with self._db.connection() as conn, conn.transaction():
            row = await conn.fetchrow(self._q["claim_next_api_call"], account_id, worker,
                                      float(lease_seconds))
        if row is None:
            return None
        return QueuedCall(row["seq"], row["request_id"], row["account_id"],
                          json.loads(row["snapshot"]))

    async def remove(self, seq: int) -> None:
        async with self._db.connection() as conn:
            await conn.execute(self._q["remove_api_call"], seq)

    async def settle_launched(self) -> None:
        """Drop claimed rows whose call was launched (an engine stopped before removing)."""
        async with self._db.connection() as conn:
            await conn.execute(self._q["settle_launched_api_calls"])

    async def cancel(self, account_id: str, request_id: str) -> bool:
        """Remove a queued call not yet being started; True if it was removed."""
        async with self._db.connection() as conn:
            seq = await conn.fetchval(self._q["cancel_api_call"], request_id, account_id)
        return seq is not None

    async def is_queued(self, account_id: str, request_id: str) -> bool:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["queued_api_call"], request_id, account_id)
        return row is not None

    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]:
        """``wake()`` on every ``NOTIFY api_call_queue`` while open (see ``Database.listen``)."""
        return self._db.listen(CHANNEL, wake)
