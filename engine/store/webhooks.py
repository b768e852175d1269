"""Webhook deliveries repository: status callbacks to send, their claims, and the per-call
delivery log. Every new delivery also sends ``NOTIFY webhooks`` (on commit)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.call import Call
from engine.domain.commands import Notify
from engine.store.call_codec import UnreadableSnapshot, call_from_json
from engine.store.db import Database

CHANNEL = "webhooks"


@dataclass(frozen=True)
class WebhookAttempt:
    """One try at delivering: the HTTP status (None when nothing answered) or the error."""

    attempt: int
    started_at: datetime
    finished_at: datetime
    status: int | None
    error: str

    @classmethod
    def from_row(cls, row: Any) -> WebhookAttempt:
        return cls(row["attempt"], row["started_at"], row["finished_at"], row["status"],
                   row["error"])


@dataclass(frozen=True)
class WebhookDelivery:
    """A status callback and where its delivery stands.

    ``state``: ``pending`` (waiting for its next attempt at ``next_attempt_at``),
    ``delivering`` (an attempt is under way), ``delivered`` or ``failed`` (gave up).
    ``attempt_log`` is filled by ``deliveries()`` only.
    """

    delivery_id: int
    account_id: str
    request_id: str
    kind: str
    url: str
    method: str
    params: Mapping[str, str]
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    attempt_log: tuple[WebhookAttempt, ...] = ()
    # A JSON body posted instead of the form ``params`` (the iSales push), and whose bearer
    # token authorizes it instead of the Plivo signature (the dispatcher looks it up).
    body: Mapping[str, Any] | None = None
    bearer_ref: str | None = None

    @classmethod
    def from_row(cls, row: Any, log: tuple[WebhookAttempt, ...] = ()) -> WebhookDelivery:
        params = row["params"]
        if isinstance(params, str):
            params = json.loads(params)
        return cls(
            delivery_id=row["delivery_id"], account_id=row["account_id"],
            request_id=row["request_id"], kind=row["kind"], url=row["url"],
            method=row["method"], params={str(k): str(v) for k, v in params.items()},
            state=row["state"], attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"], last_status=row["last_status"],
            last_error=row["last_error"], created_at=row["created_at"],
            updated_at=row["updated_at"], delivered_at=row["delivered_at"], attempt_log=log,
            body=_json_object(row.get("body")), bearer_ref=row.get("bearer_ref"),
        )


@dataclass(frozen=True)
class AttemptOutcome:
    """How one attempt went, and the delivery's state after it."""

    started_at: datetime
    status: int | None  # the HTTP status; None when nothing answered
    error: str
    state: str  # delivered | pending (again in retry_seconds) | failed
    retry_seconds: float = 0.0


class WebhookRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def enqueue(self, callback: Notify) -> int:
        """Record a callback to deliver (due now); wakes every dispatcher on commit."""
        method = callback.method.upper()
        async with self._db.connection() as conn, conn.transaction():
            delivery_id: int = await conn.fetchval(
                self._q["insert_webhook"], callback.account_id, callback.request_id,
                callback.kind, callback.url, method if method in ("GET", "POST") else "POST",
                json.dumps(dict(callback.params)))
            await conn.execute(self._q["notify_webhooks"], str(delivery_id))
        return delivery_id

    async def claim_due(self, worker: str, lease_seconds: float,
                        limit: int) -> list[WebhookDelivery]:
        """Claim up to ``limit`` due deliveries for ``worker`` (committed on return); each
        claim counts one attempt."""
        async with self._db.connection() as conn, conn.transaction():
            rows = await conn.fetch(self._q["claim_due_webhooks"], worker, float(lease_seconds),
                                    limit)
        return [WebhookDelivery.from_row(r) for r in rows]

    async def settle(self, delivery: WebhookDelivery, worker: str,
                     outcome: AttemptOutcome) -> bool:
        """Log the attempt and set the delivery's new state; False if the claim was lost."""
        async with self._db.connection() as conn, conn.transaction():
            await conn.execute(self._q["log_webhook_attempt"], delivery.delivery_id,
                               delivery.attempts, outcome.started_at, outcome.status,
                               outcome.error)
            done = await conn.fetchval(self._q["settle_webhook"], delivery.delivery_id, worker,
                                       delivery.attempts, outcome.state, outcome.status,
                                       outcome.error, float(outcome.retry_seconds))
        return done is not None

    async def seconds_to_next_due(self) -> float | None:
        async with self._db.connection() as conn:
            value = await conn.fetchval(self._q["seconds_to_next_webhook"])
        return None if value is None else float(value)

    async def ended_without_hangup(self, before: datetime, within_seconds: float) -> list[Call]:
        """Plivo API calls that ended before ``before`` (at most ``within_seconds`` earlier)
        with a hangup_url, and no hangup callback recorded."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["ended_api_calls_without_hangup"], before,
                                    within_seconds)
        calls = []
        for row in rows:
            try:
                calls.append(call_from_json(json.loads(row["snapshot"])))
            except UnreadableSnapshot:
                continue
        return calls

    async def deliveries(self, account_id: str, request_id: str) -> list[WebhookDelivery]:
        """The call's status callbacks, oldest first, each with its attempts."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["list_call_webhooks"], account_id, request_id)
            if not rows:
                return []
            attempts = await conn.fetch(self._q["list_webhook_attempts"],
                                        [r["delivery_id"] for r in rows])
        by_id: dict[int, list[WebhookAttempt]] = {}
        for a in attempts:
            by_id.setdefault(a["delivery_id"], []).append(WebhookAttempt.from_row(a))
        return [WebhookDelivery.from_row(r, tuple(by_id.get(r["delivery_id"], ())))
                for r in rows]

    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]:
        """``wake()`` on every ``NOTIFY webhooks`` while open (see ``Database.listen``)."""
        return self._db.listen(CHANNEL, wake)


def _json_object(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value) if isinstance(value, dict) else None
