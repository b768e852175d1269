"""The campaign dialer's repository: claims, scrubs and outcomes (``campaign_dialer.sql``).

A claim is one transaction: the campaign's row is locked (``FOR UPDATE SKIP LOCKED``, so
two engines never pace one campaign at once), its next contact is locked the same way,
marked ``dialling``, the attempt is inserted under a fresh request id, and the campaign's
pacing anchor moves on. It commits before anything is dialled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from engine.domain.campaigns.outcomes import AttemptResult
from engine.domain.ids import new_request_id
from engine.store.db import Database
from engine.store.isales import IsalesRepository

CHANNEL = "campaigns"


@dataclass(frozen=True)
class CampaignPace:
    """The locked campaign row a claim works on."""

    campaign_id: str
    account_id: str
    list_id: str
    dnd_list_id: str | None
    campaign_type: int
    definition: Mapping[str, Any]
    calls_per_minute: float
    next_dial_at: datetime
    hours: tuple[time, time] | None
    time_zone: str = "UTC"  # the campaign's: calling hours of numbers of no known zone


@dataclass(frozen=True)
class ClaimedAttempt:
    """An attempt claimed for dialling: everything its call needs."""

    request_id: str
    campaign_id: str
    account_id: str
    list_id: str
    campaign_type: int
    definition: Mapping[str, Any]
    contact_id: int
    number: str
    attempt: int
    contact_name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    campaign_status: int = 1  # the campaign's status when claimed (1: running)


@dataclass(frozen=True)
class RetryPolicy:
    status: int
    max_retries: int
    retry_seconds: int
    retry_on: tuple[str, ...]


@dataclass(frozen=True)
class ClosedAttempt:
    campaign_id: str
    contact_id: int
    attempt: int


@dataclass(frozen=True)
class UnsettledAttempt:
    request_id: str
    result: AttemptResult
    ended_at: datetime


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _fields(value: Any) -> dict[str, str]:
    data = _json(value) or {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


class CampaignDialerRepository:
    """``pushes``: the iSales push of each settled attempt is recorded in the transaction
    that settles it (exactly one per attempt)."""

    def __init__(self, db: Database, pushes: IsalesRepository | None = None) -> None:
        self._db = db
        self._q = db.queries
        self._pushes = pushes

    # ---- campaign lifecycle -----------------------------------------------------------

    async def housekeeping(self, now: datetime) -> None:
        """Open due windows, close ended ones, complete campaigns with nobody left."""
        async with self._db.connection() as conn, conn.transaction():
            await conn.execute(self._q["dialer_activate"], now)
            await conn.execute(self._q["dialer_expire"], now)
            await conn.execute(self._q["dialer_complete"], now)

    async def to_scrub(self, now: datetime, every_seconds: float) -> list[str]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["dialer_to_scrub"], now, float(every_seconds))
        return [r["campaign_id"] for r in rows]

    async def scrub(self, campaign_id: str, now: datetime) -> int:
        """The DND scrub of one campaign; returns how many contacts it took out."""
        async with self._db.connection() as conn, conn.transaction():
            return int(await conn.fetchval(self._q["dialer_scrub"], campaign_id, now) or 0)

    async def seconds_to_next(self, now: datetime) -> float | None:
        async with self._db.connection() as conn:
            value = await conn.fetchval(self._q["dialer_seconds_to_next"], now)
        return None if value is None else float(value)

    async def suspend(self, campaign_id: str, reason: str, now: datetime) -> bool:
        async with self._db.connection() as conn, conn.transaction():
            done = await conn.fetchval(self._q["dialer_suspend"], campaign_id, reason, now)
            if done is not None:
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, campaign_id)
        return done is not None

    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]:
        """``wake()`` on every ``NOTIFY campaigns`` (created, paused, resumed, stopped)."""
        return self._db.listen(CHANNEL, wake)

    # ---- claims -------------------------------------------------------------------------

    async def due_campaigns(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(campaign_id, account_id) of running campaigns whose next call is due, the most
        overdue first."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["dialer_due_campaigns"], now, limit)
        return [(r["campaign_id"], r["account_id"]) for r in rows]

    async def claim(self, campaign_id: str, worker: str, now: datetime,
                    next_dial: Callable[[CampaignPace], datetime],
                    idle_until: Callable[[datetime | None], datetime]
                    ) -> ClaimedAttempt | None:
        """Claim the campaign's next attempt (committed on return), or None: the campaign
        is not due, another engine holds it, or no contact may be dialled now (its anchor
        then moves to ``idle_until(next waiting moment)``)."""
        async with self._db.connection() as conn, conn.transaction():
            row = await conn.fetchrow(self._q["dialer_lock_campaign"], campaign_id, now)
            if row is None:
                return None
            pace = _pace(row)
            start, end = pace.hours or (None, None)
            contact = await conn.fetchrow(self._q["dialer_pick_contact"], campaign_id, now,
                                          pace.dnd_list_id, start, end, pace.time_zone)
            if contact is None:
                waiting = await conn.fetchval(self._q["dialer_next_waiting"], campaign_id,
                                              now)
                await conn.execute(self._q["dialer_set_next_dial"], campaign_id,
                                   idle_until(waiting), now)
                return None
            attempt = await conn.fetchval(self._q["dialer_mark_dialling"], campaign_id,
                                          contact["contact_id"], now)
            request_id = new_request_id()
            await conn.execute(self._q["dialer_insert_attempt"], request_id, campaign_id,
                               contact["contact_id"], attempt, contact["number"], worker, now)
            await conn.execute(self._q["dialer_set_next_dial"], campaign_id, next_dial(pace),
                               now)
        return ClaimedAttempt(
            request_id=request_id, campaign_id=campaign_id, account_id=pace.account_id,
            list_id=pace.list_id, campaign_type=pace.campaign_type,
            definition=pace.definition, contact_id=contact["contact_id"],
            number=contact["number"], attempt=attempt, contact_name=contact["name"],
            fields=_fields(contact["fields"]))

    async def claim_unplaced(self, worker: str, now: datetime, lease_seconds: float,
                             limit: int) -> list[ClaimedAttempt]:
        """Attempts whose claimant died before dialling, claimed again by ``worker``."""
        async with self._db.connection() as conn, conn.transaction():
            rows = await conn.fetch(self._q["dialer_claim_unplaced"], worker, now,
                                    float(lease_seconds), limit)
            claimed = []
            for row in rows:
                context = await conn.fetchrow(self._q["dialer_attempt_context"],
                                              row["campaign_id"], row["contact_id"])
                if context is None:
                    continue
                claimed.append(ClaimedAttempt(
                    request_id=row["request_id"], campaign_id=row["campaign_id"],
                    account_id=context["account_id"], list_id=context["list_id"],
                    campaign_type=context["campaign_type"],
                    definition=_json(context["definition"]), contact_id=row["contact_id"],
                    number=row["number"], attempt=row["attempt"],
                    contact_name=context["name"], fields=_fields(context["fields"]),
                    campaign_status=context["status"]))
        return claimed

    async def drop_unplaced(self, request_id: str, contact_state: str, now: datetime) -> None:
        """Forget an attempt that was never dialled; its contact goes to ``contact_state``."""
        async with self._db.connection() as conn:
            await conn.execute(self._q["dialer_drop_attempt"], request_id, contact_state, now)

    # ---- outcomes -----------------------------------------------------------------------

    async def unsettled(self, limit: int) -> list[UnsettledAttempt]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["dialer_unsettled"], limit)
        return [UnsettledAttempt(
            r["request_id"],
            AttemptResult("ANSWER" if r["answered"] else r["dial_status"], r["hangup_cause"]),
            r["ended_at"]) for r in rows]

    async def settle(self, request_id: str, result: AttemptResult, ended_at: datetime,
                     decide: Callable[[ClosedAttempt, RetryPolicy],
                                      tuple[str, datetime | None]]) -> ClosedAttempt | None:
        """Record an attempt's result and its contact's new state (``decide`` returns it),
        once: None if the attempt was already settled or is not a campaign attempt."""
        async with self._db.connection() as conn, conn.transaction():
            row = await conn.fetchrow(self._q["dialer_close_attempt"], request_id,
                                      result.dial_status, result.hangup_cause, ended_at)
            if row is None:
                return None
            closed = ClosedAttempt(row["campaign_id"], row["contact_id"], row["attempt"])
            policy_row = await conn.fetchrow(self._q["dialer_retry_policy"],
                                              closed.campaign_id)
            if policy_row is None:  # the campaign is gone (deleted with its attempts)
                return None
            policy = RetryPolicy(policy_row["status"], policy_row["max_retries"],
                                 policy_row["retry_seconds"], tuple(policy_row["retry_on"]))
            state, next_at = decide(closed, policy)
            await conn.execute(self._q["dialer_settle_contact"], closed.campaign_id,
                               closed.contact_id, state, next_at, result.dial_status,
                               ended_at)
            if self._pushes is not None:  # the iSales push, if the campaign has one
                await self._pushes.enqueue_push(conn, request_id, result, ended_at)
            if next_at is not None:
                await conn.execute(self._q["dialer_pull_next_dial"], closed.campaign_id,
                                   next_at)
        return closed

    async def recent_outcomes(self, campaign_id: str, limit: int) -> list[str]:
        """The campaign's latest dial statuses, newest first."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["dialer_recent_outcomes"], campaign_id, limit)
        return [r["dial_status"] or "" for r in rows]


def _pace(row: Any) -> CampaignPace:
    start, end = row["hours_start"], row["hours_end"]
    return CampaignPace(
        campaign_id=row["campaign_id"], account_id=row["account_id"], list_id=row["list_id"],
        dnd_list_id=row["dnd_list_id"], campaign_type=row["campaign_type"],
        definition=_json(row["definition"]), calls_per_minute=row["calls_per_minute"],
        next_dial_at=row["next_dial_at"],
        hours=(start, end) if start is not None and end is not None else None,
        time_zone=row["time_zone"])
