"""Scheduled callbacks repository: rows, claims, and the ``callbacks`` notification channel."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.callbacks import CallbackFields, CallbackStatus
from engine.store.db import Database

CHANNEL = "callbacks"


@dataclass(frozen=True)
class CallbackRow:
    request_id: str
    account_id: str
    fields: CallbackFields
    due_at: datetime
    status: CallbackStatus
    claimed_at: datetime | None
    claimed_by: str | None
    attempts: int
    reason: str
    created_at: datetime
    updated_at: datetime
    has_call: bool

    @classmethod
    def from_row(cls, row: Any) -> CallbackRow:
        return cls(
            request_id=row["request_id"], account_id=row["account_id"],
            fields=CallbackFields(row["agent_number"], row["caller_id"],
                                  row["destination_number"], row["recording_option"],
                                  row["time_zone"], row["scheduled_at"]),
            due_at=row["due_at"], status=CallbackStatus(row["status"]),
            claimed_at=row["claimed_at"], claimed_by=row["claimed_by"],
            attempts=row["attempts"], reason=row["reason"], created_at=row["created_at"],
            updated_at=row["updated_at"], has_call=row["has_call"],
        )


def _field_args(fields: CallbackFields) -> tuple[str, ...]:
    return (fields.agent_number, fields.caller_id, fields.destination_number,
            fields.recording_option, fields.time_zone, fields.scheduled_at)


class CallbackRepository:
    """Every write that changes what is due also sends ``NOTIFY callbacks`` (on commit)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def insert(self, request_id: str, account_id: str, fields: CallbackFields,
                     due_at: datetime) -> None:
        async with self._db.connection() as conn, conn.transaction():
            await conn.execute(self._q["insert_callback"], request_id, account_id,
                               *_field_args(fields), due_at)
            await conn.execute(self._q["notify_callbacks"], request_id)

    async def get(self, account_id: str, request_id: str) -> CallbackRow | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["get_callback"], request_id, account_id)
        return None if row is None else CallbackRow.from_row(row)

    async def list_for_account(self, account_id: str) -> list[CallbackRow]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["list_callbacks"], account_id)
        return [CallbackRow.from_row(r) for r in rows]

    async def update(self, request_id: str, account_id: str, fields: CallbackFields,
                     due_at: datetime) -> bool:
        """Replace a waiting callback's fields; False if it is no longer waiting."""
        async with self._db.connection() as conn, conn.transaction():
            done = await conn.fetchval(self._q["update_callback"], request_id, account_id,
                                       *_field_args(fields), due_at)
            if done is not None:
                await conn.execute(self._q["notify_callbacks"], request_id)
        return done is not None

    async def cancel(self, request_id: str, account_id: str) -> bool:
        """Cancel a waiting callback; False if it is no longer waiting."""
        async with self._db.connection() as conn, conn.transaction():
            done = await conn.fetchval(self._q["cancel_callback"], request_id, account_id)
            if done is not None:
                await conn.execute(self._q["notify_callbacks"], request_id)
        return done is not None

    async def claim_due(self, worker: str, lease_seconds: float, limit: int) -> list[CallbackRow]:
        """Atomically mark up to ``limit`` due callbacks ``fired`` by ``worker`` (committed on
        return), including fired ones whose claim expired without a call."""
        async with self._db.connection() as conn, conn.transaction():
            rows = await conn.fetch(self._q["claim_due_callbacks"], worker,
                                    float(lease_seconds), limit)
        return [CallbackRow.from_row(r) for r in rows]

    async def seconds_to_next_due(self, lease_seconds: float) -> float | None:
        async with self._db.connection() as conn:
            value = await conn.fetchval(self._q["seconds_to_next_due"], float(lease_seconds))
        return None if value is None else float(value)

    async def retry(self, request_id: str, worker: str, delay_seconds: float,
                    reason: str) -> bool:
        """Put a claimed callback whose call was never persisted back to waiting."""
        async with self._db.connection() as conn:
            done = await conn.fetchval(self._q["retry_callback"], request_id, worker,
                                       float(delay_seconds), reason)
        return done is not None

    async def fail_unplaced(self, request_id: str, worker: str, reason: str) -> bool:
        """Mark a claimed callback whose call was never persisted ``failed``."""
        async with self._db.connection() as conn:
            done = await conn.fetchval(self._q["fail_unplaced_callback"], request_id, worker,
                                       reason)
        return done is not None

    async def fail_refused(self, request_id: str, reason: str) -> None:
        """Record that a fired callback's call was refused before dialling (``reason``)."""
        async with self._db.connection() as conn:
            await conn.execute(self._q["finish_callback"], request_id,
                               CallbackStatus.FAILED.value, reason)

    async def finish(self, request_id: str, status: CallbackStatus) -> None:
        """Record the outcome of a fired callback's call."""
        async with self._db.connection() as conn:
            await conn.execute(self._q["finish_callback"], request_id, status.value, "")

    async def settle_ended(self) -> None:
        """Give fired callbacks whose call ended (without the hook noticing) their outcome."""
        async with self._db.connection() as conn:
            await conn.execute(self._q["settle_ended_callbacks"])

    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]:
        """``wake()`` on every ``NOTIFY callbacks`` while open (see ``Database.listen``)."""
        return self._db.listen(CHANNEL, wake)
