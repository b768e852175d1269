"""Calls, CDRs and DIDs repository."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from engine.domain.call import Call
from engine.domain.ledger import CdrRecord, cdr_for_leg
from engine.store.call_codec import (
    UnreadableSnapshot,
    call_from_json,
    call_to_json,
    channel_ids_of,
)
from engine.store.db import Database

_CDR_FIELDS = [f.name for f in fields(CdrRecord)]


def cdr_from_row(row: Any) -> CdrRecord:
    return CdrRecord(**{name: row[name] for name in _CDR_FIELDS})


@dataclass(frozen=True)
class CdrStatistics:
    answer_calls: int
    busy_calls: int
    cancel_calls: int
    chanunavail_calls: int
    congestion_calls: int
    noanswer_calls: int
    platform_failed_calls: int
    total_calls: int


@dataclass(frozen=True)
class CampaignCdrStatistics:
    """The seed's get_campaign_cdr_statistics counts (DND rows included)."""

    answer_calls: int
    busy_calls: int
    cancel_calls: int
    chanunavail_calls: int
    congestion_calls: int
    dnd_calls: int
    noanswer_calls: int
    platform_failed_calls: int
    total_calls: int


@dataclass(frozen=True)
class UnreadableCall:
    """A live call whose snapshot this engine cannot read: it is closed, not restored."""

    request_id: str
    channel_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Did:
    did: str
    account_id: str
    agent: str


class CallRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def save(self, call: Call) -> None:
        """Persist the call's snapshot and one CDR row per leg, atomically.

        Idempotent; a snapshot older than the stored one (by revision) changes nothing."""
        snapshot = json.dumps(call_to_json(call))
        rows = [_cdr_args(cdr_for_leg(call, leg)) for leg in call.legs]
        async with self._db.connection() as conn, conn.transaction():
            applied = await conn.fetchval(
                self._q["upsert_call"], call.request_id, call.account_id, call.origin.value,
                call.state.value, snapshot, call.created_at, call.ended_at, call.revision,
            )
            if applied is not None and rows:
                await conn.executemany(self._q["upsert_cdr"], rows)

    async def live_calls(self) -> tuple[list[Call], list[UnreadableCall]]:
        """The calls a previous engine left live, and those it cannot rebuild."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["live_call_snapshots"])
        calls: list[Call] = []
        unreadable: list[UnreadableCall] = []
        for row in rows:
            data = json.loads(row["snapshot"])
            try:
                calls.append(call_from_json(data))
            except UnreadableSnapshot as exc:
                unreadable.append(UnreadableCall(row["request_id"],
                                                 tuple(channel_ids_of(data)), str(exc)))
        return calls, unreadable

    async def stored_call(self, account_id: str, request_id: str) -> Call | None:
        """The call as last saved (ended ones included); None if it is not the account's,
        or if its snapshot cannot be read."""
        async with self._db.connection() as conn:
            snapshot = await conn.fetchval(self._q["stored_call"], request_id, account_id)
        if snapshot is None:
            return None
        try:
            return call_from_json(json.loads(snapshot))
        except UnreadableSnapshot:
            return None

    async def close_unreadable(self, request_id: str, at: datetime) -> None:
        """End a call whose snapshot cannot be read; its CDRs stay as last stored."""
        async with self._db.connection() as conn:
            await conn.execute(self._q["close_unreadable_call"], request_id, at)

    async def cdrs_by_date(
        self, account_id: str, start: datetime, end: datetime, limit: int, offset: int
    ) -> list[CdrRecord]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["cdrs_by_date"], account_id, start, end, limit, offset)
        return [cdr_from_row(r) for r in rows]

    async def cdrs_by_request(self, account_id: str, request_id: str) -> list[CdrRecord]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["cdrs_by_request"], account_id, request_id)
        return [cdr_from_row(r) for r in rows]

    async def cdrs_by_campaign(self, account_id: str, campaign_id: str) -> list[CdrRecord]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["cdrs_by_campaign"], account_id, campaign_id)
        return [cdr_from_row(r) for r in rows]

    async def owns_call(self, account_id: str, request_id: str) -> bool:
        """True if ``request_id`` is a call of the account (live or ended)."""
        async with self._db.connection() as conn:
            return await conn.fetchval(self._q["call_owner"], request_id, account_id) is not None

    async def statistics(self, account_id: str) -> CdrStatistics:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["cdr_statistics"], account_id)
        assert row is not None  # an aggregate always returns one row
        return CdrStatistics(**{f.name: int(row[f.name]) for f in fields(CdrStatistics)})

    async def campaign_statistics(self, account_id: str,
                                  campaign_id: str) -> CampaignCdrStatistics | None:
        """Counts of the campaign's CDRs; None if it is not a campaign of the account."""
        async with self._db.connection() as conn:
            if await conn.fetchval(self._q["cdr_campaign_owner"], campaign_id,
                                   account_id) is None:
                return None
            row = await conn.fetchrow(self._q["campaign_cdr_statistics"], account_id,
                                      campaign_id)
        assert row is not None  # an aggregate always returns one row
        return CampaignCdrStatistics(**{f.name: int(row[f.name])
                                        for f in fields(CampaignCdrStatistics)})

    async def owns_recording(self, account_id: str, recording_name: str) -> bool:
        async with self._db.connection() as conn:
            found = await conn.fetchval(self._q["recording_owner"], recording_name, account_id)
        return found is not None

    async def get_did(self, did: str) -> Did | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["get_did"], did)
        return None if row is None else Did(row["did"], row["account_id"], row["agent"])

    async def upsert_did(self, did: str, account_id: str, agent: str) -> bool:
        """Route ``did`` to ``agent``; False if the DID belongs to another account."""
        async with self._db.connection() as conn:
            done = await conn.fetchval(self._q["upsert_did"], did, account_id, agent)
        return done is not None

    async def list_dids(self, account_id: str) -> list[Did]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["list_dids"], account_id)
        return [Did(r["did"], r["account_id"], r["agent"]) for r in rows]

    async def delete_did(self, did: str, account_id: str) -> bool:
        async with self._db.connection() as conn:
            return await conn.fetchval(self._q["delete_did"], did, account_id) is not None


def _cdr_args(record: CdrRecord) -> tuple[Any, ...]:
    return (
        record.account_id, record.request_id, record.uniqueid, record.role,
        record.agent_number, record.customer_number, record.dialed_number, record.caller_id,
        record.channel, record.call_direction, record.destination_context,
        record.dial_status, record.call_status, record.call_date, record.answer, record.end,
        record.billsec, record.call_duration, record.hangup_cause, record.dtmf_inputs,
        record.recording_name, record.campaign_id, record.list_id, record.is_dnd,
        record.machine_detection, record.machine_detection_status,
    )
