"""Campaigns repository: creation (with the list's snapshot), control actions and views."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import asyncpg

from engine.domain.campaigns.definition import (
    CampaignDefinition,
    definition_from_json,
    definition_to_json,
)
from engine.domain.campaigns.fields import CampaignPlan
from engine.domain.campaigns.status import CampaignStatus
from engine.store.db import Conn, Database


class NameTaken(Exception):
    """The account already has a campaign of that name."""


class ServiceIdTaken(Exception):
    """Another campaign of the account has that isales_service_id."""


@dataclass(frozen=True)
class IsalesView:
    """A campaign's iSales write-back settings (no token) and written-back counts."""

    url: str | None = None
    sub_cc_no: int = 1
    vdn_id: int = 1
    service_id: str | None = None
    written_back: int = 0
    final: int = 0


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: str
    name: str
    list_id: str
    dnd_list_id: str | None
    campaign_type: int
    definition: CampaignDefinition
    start_at: datetime
    end_at: datetime
    time_zone: str
    calls_per_minute: float
    max_retries: int
    retry_seconds: int
    retry_on: tuple[str, ...]
    hours_start: time | None
    hours_end: time | None
    status: CampaignStatus
    status_reason: str
    created_at: datetime
    isales: IsalesView = field(default_factory=IsalesView)

    @classmethod
    def from_row(cls, row: Any) -> CampaignRow:
        return cls(
            campaign_id=row["campaign_id"], name=row["name"], list_id=row["list_id"],
            dnd_list_id=row["dnd_list_id"], campaign_type=row["campaign_type"],
            definition=definition_from_json(json.loads(row["definition"])),
            start_at=row["start_at"], end_at=row["end_at"], time_zone=row["time_zone"],
            calls_per_minute=row["calls_per_minute"], max_retries=row["max_retries"],
            retry_seconds=row["retry_seconds"], retry_on=tuple(row["retry_on"]),
            hours_start=row["hours_start"], hours_end=row["hours_end"],
            status=CampaignStatus(row["status"]), status_reason=row["status_reason"],
            created_at=row["created_at"],
            isales=IsalesView(row["isales_url"], row["isales_sub_cc_no"], row["isales_vdn_id"],
                              row["isales_service_id"], row["results_written_back"],
                              row["results_final"]),
        )


@dataclass(frozen=True)
class CampaignProgress:
    total: int
    dialled: int
    answered: int
    failed: int
    dnd: int
    pending: int
    retry_scheduled: int
    in_progress: int
    expired: int
    stopped: int
    attempts: int
    current_calls_per_minute: int
    # the iSales write-back: contacts closed by a final result, contacts with a result
    # written back (final ones), and the pushes by delivery state
    closed: int = 0
    written_back: int = 0
    written_back_final: int = 0
    pushes_delivered: int = 0
    pushes_failed: int = 0
    pushes_pending: int = 0


class CampaignRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def owns_list(self, account_id: str, list_id: str) -> bool:
        return await self._exists("campaigns_list_owned", list_id, account_id)

    async def owns_dnd_list(self, account_id: str, dnd_list_id: str) -> bool:
        return await self._exists("campaigns_dnd_list_owned", dnd_list_id, account_id)

    async def name_taken(self, account_id: str, name: str) -> bool:
        return await self._exists("campaigns_name_taken", account_id, name)

    async def list_field_keys(self, list_id: str) -> frozenset[str]:
        """Every ``contact_fields`` key the list's contacts use."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["campaigns_list_field_keys"], list_id)
        return frozenset(r["key"] for r in rows)

    async def insert(self, campaign_id: str, account_id: str, plan: CampaignPlan,
                     definition: CampaignDefinition, sealed_token: bytes | None = None,
                     ) -> bool:
        """Store the campaign, scheduled, with its own copy of its list's contacts, and wake
        the dialers: one transaction. False if ``campaign_id`` is taken; ``NameTaken`` if the
        account has a campaign of that name."""
        async with self._db.connection() as conn, conn.transaction():
            try:
                created = await conn.fetchval(
                    self._q["campaigns_insert"], campaign_id, account_id, plan.name,
                    plan.list_id, plan.dnd_list_id, definition.campaign_type,
                    json.dumps(definition_to_json(definition)), plan.start_at, plan.end_at,
                    plan.calls_per_minute, plan.max_retries, plan.retry_seconds,
                    list(plan.retry_on), plan.hours_start, plan.hours_end, plan.time_zone)
            except asyncpg.UniqueViolationError:
                raise NameTaken(plan.name) from None
            if created is None:
                return False
            w = plan.writeback
            try:
                await conn.execute(self._q["isales_set_target"], campaign_id, w.url,
                                   sealed_token, w.sub_cc_no, w.vdn_id, w.service_id)
            except asyncpg.UniqueViolationError:
                raise ServiceIdTaken(w.service_id) from None
            await conn.execute(self._q["campaigns_snapshot_contacts"], campaign_id,
                               plan.list_id)
            await conn.execute(self._q["campaigns_notify"], campaign_id)
        return True

    async def transition(self, account_id: str, campaign_id: str,
                         allowed: frozenset[CampaignStatus], action: str) -> CampaignStatus | None:
        """Apply ``action`` (``stop``, ``pause`` or ``resume``) if the campaign's status is in
        ``allowed``, and wake the dialers. Returns the status it had (None: no such campaign
        of the account); nothing changes when that status is not allowed."""
        async with self._db.connection() as conn, conn.transaction():
            status = await conn.fetchval(self._q["campaigns_lock"], campaign_id, account_id)
            if status is None:
                return None
            current = CampaignStatus(status)
            if current in allowed:
                await _apply(conn, self._q, action, campaign_id)
                await conn.execute(self._q["campaigns_notify"], campaign_id)
        return current

    async def of_account(self, account_id: str,
                         campaign_id: str | None = None) -> list[CampaignRow]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["campaigns_of_account"], account_id, campaign_id)
        return [CampaignRow.from_row(r) for r in rows]

    async def progress(self, campaign_id: str) -> CampaignProgress:
        async with self._db.connection() as conn:
            contacts = await conn.fetchrow(self._q["campaigns_progress"], campaign_id)
            attempts = await conn.fetchrow(self._q["campaigns_attempt_counts"], campaign_id)
            pushes = await conn.fetchrow(self._q["campaigns_push_counts"], campaign_id)
        assert contacts is not None and attempts is not None  # aggregates: one row each
        assert pushes is not None
        return CampaignProgress(**{k: int(v) for k, v in contacts.items()},
                                **{k: int(v) for k, v in pushes.items()},
                                attempts=int(attempts["attempts"]),
                                current_calls_per_minute=int(attempts["last_minute"]))

    async def _exists(self, query: str, *args: Any) -> bool:
        async with self._db.connection() as conn:
            return await conn.fetchval(self._q[query], *args) is not None


async def _apply(conn: Conn, queries: Any, action: str, campaign_id: str) -> None:
    if action == "stop":
        await conn.execute(queries["campaigns_stop"], campaign_id)
        await conn.execute(queries["campaigns_stop_contacts"], campaign_id)
    elif action in ("pause", "resume"):
        await conn.execute(queries[f"campaigns_{action}"], campaign_id)
    else:
        raise ValueError(f"unknown campaign action {action!r}")
