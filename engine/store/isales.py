"""The iSales write-back repository (``isales.sql``): results written back to contacts, the
push of each settled attempt (a ``webhook_deliveries`` row of kind ``isales``), and the
contact history and delivery log views."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.domain.campaigns.outcomes import AttemptResult
from engine.domain.isales import MidResult, PushedAttempt, PushTarget, push_body
from engine.store.db import Conn, Database
from engine.store.webhooks import WebhookAttempt, WebhookDelivery

KIND = "isales"
MAX_PUSHES_SHOWN = 1000


@dataclass(frozen=True)
class ContactAttempt:
    request_id: str
    attempt: int
    number: str
    claimed_at: datetime
    ended_at: datetime | None
    dial_status: str | None
    hangup_cause: int | None


@dataclass(frozen=True)
class ContactResult:
    status: str
    final: bool
    body: dict[str, Any]
    received_at: datetime


@dataclass(frozen=True)
class ContactHistory:
    """A campaign contact with its attempts, the results written back and the pushes."""

    unique_id: str
    number: str
    name: str
    state: str
    attempts: int
    last_status: str
    result_status: str | None
    result_final: bool
    result_at: datetime | None
    attempt_log: tuple[ContactAttempt, ...] = ()
    results: tuple[ContactResult, ...] = ()
    pushes: tuple[WebhookDelivery, ...] = field(default=())


class IsalesRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    # ---- the server side ------------------------------------------------------------

    async def find_campaign(self, account_id: str, service_id: str) -> str | None:
        """The account's campaign ``service_id`` names (its id or its isales_service_id)."""
        async with self._db.connection() as conn:
            found: str | None = await conn.fetchval(self._q["isales_find_campaign"],
                                                    account_id, service_id)
        return found

    async def record_result(self, campaign_id: str, result: MidResult,
                            now: datetime) -> bool:
        """Store ``result`` with the contact it names; False if the campaign has none."""
        async with self._db.connection() as conn, conn.transaction():
            row = await conn.fetchrow(self._q["isales_lock_contact"], campaign_id,
                                      result.unique_id)
            if row is None:
                return False
            contact_id = row["contact_id"]
            await conn.execute(self._q["isales_insert_result"], campaign_id, contact_id,
                               result.status, result.final, json.dumps(dict(result.fields)),
                               now)
            await conn.execute(self._q["isales_apply_result"], campaign_id, contact_id,
                               result.status, result.final, now)
        return True

    # ---- the push -------------------------------------------------------------------

    async def sealed_token(self, campaign_id: str) -> bytes | None:
        async with self._db.connection() as conn:
            value = await conn.fetchval(self._q["isales_sealed_token"], campaign_id)
        return None if value is None else bytes(value)

    async def enqueue_push(self, conn: Conn, request_id: str, result: AttemptResult,
                           ended_at: datetime) -> int | None:
        """Inside the transaction that settles attempt ``request_id``: record its push
        (wakes the webhook dispatchers on commit). None if its campaign pushes nowhere."""
        row = await conn.fetchrow(self._q["isales_push_context"], request_id)
        if row is None:
            return None
        target = PushTarget(row["isales_sub_cc_no"], row["isales_vdn_id"], row["service_id"])
        attempt = PushedAttempt(request_id, row["unique_id"], row["number"],
                                result.dial_status, result.hangup_cause, row["claimed_at"],
                                ended_at)
        body = push_body(target, attempt)
        delivery_id: int = await conn.fetchval(
            self._q["isales_insert_push"], row["account_id"], request_id, row["isales_url"],
            json.dumps(body), row["campaign_id"])
        await conn.execute(self._q["notify_webhooks"], str(delivery_id))
        return delivery_id

    # ---- views ----------------------------------------------------------------------

    async def campaign_pushes(self, account_id: str, campaign_id: str) -> list[WebhookDelivery]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["isales_campaign_pushes"], campaign_id, account_id,
                                    MAX_PUSHES_SHOWN)
            return await _with_attempts(conn, self._q, rows)

    async def contact_history(self, account_id: str, campaign_id: str,
                              unique_id: str) -> ContactHistory | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["isales_contact"], campaign_id, account_id,
                                      unique_id)
            if row is None:
                return None
            contact_id = row["contact_id"]
            attempts = await conn.fetch(self._q["isales_contact_attempts"], campaign_id,
                                        contact_id)
            results = await conn.fetch(self._q["isales_contact_results"], campaign_id,
                                       contact_id)
            pushes = await conn.fetch(self._q["isales_contact_pushes"], campaign_id,
                                      contact_id, account_id)
            deliveries = await _with_attempts(conn, self._q, pushes)
        return ContactHistory(
            unique_id=row["unique_id"], number=row["number"], name=row["name"],
            state=row["state"], attempts=row["attempts"], last_status=row["last_status"],
            result_status=row["result_status"], result_final=row["result_final"],
            result_at=row["result_at"],
            attempt_log=tuple(ContactAttempt(
                a["request_id"], a["attempt"], a["number"], a["claimed_at"], a["ended_at"],
                a["dial_status"], a["hangup_cause"]) for a in attempts),
            results=tuple(ContactResult(r["status"], r["final"], _json(r["body"]),
                                        r["received_at"]) for r in results),
            pushes=tuple(deliveries))


async def _with_attempts(conn: Conn, queries: Any, rows: list[Any]) -> list[WebhookDelivery]:
    if not rows:
        return []
    attempts = await conn.fetch(queries["list_webhook_attempts"],
                                [r["delivery_id"] for r in rows])
    by_id: dict[int, list[WebhookAttempt]] = {}
    for a in attempts:
        by_id.setdefault(a["delivery_id"], []).append(WebhookAttempt.from_row(a))
    return [WebhookDelivery.from_row(r, tuple(by_id.get(r["delivery_id"], ()))) for r in rows]


def _json(value: Any) -> dict[str, Any]:
    data = json.loads(value) if isinstance(value, str) else value
    return dict(data) if isinstance(data, dict) else {}
