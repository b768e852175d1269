"""Multi-party calls and their members in PostgreSQL (queries in queries/multiparty.sql).

Every lookup takes the account: another account's call is simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.multiparty.members import Member, MemberRole, MemberState
from engine.domain.numbers import Extension, External, Party
from engine.store.db import Database


@dataclass(frozen=True)
class MultipartyRecord:
    phlo_id: str
    node_id: str
    account_id: str
    name: str
    caller_id: str
    record: bool
    recordings: tuple[str, ...]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> MultipartyRecord:
        return cls(row["phlo_id"], row["node_id"], row["account_id"], row["name"],
                   row["caller_id"], row["record"], tuple(row["recordings"]),
                   row["created_at"])


@dataclass(frozen=True)
class AdoptableMember:
    """A member to take back after a restart, with what its bridge needs."""

    key: tuple[str, str]  # (phlo_id, node_id)
    account_id: str
    record: bool
    session: str
    member: Member


def _party_columns(party: Party) -> tuple[str, str]:
    if isinstance(party, Extension):
        return "extension", party.number
    return "number", party.e164_digits


def _member(row: Any) -> Member:
    party: Party = (Extension(row["party"]) if row["party_kind"] == "extension"
                    else External(row["party"]))
    return Member(row["request_id"], party, MemberRole(row["role"]), MemberState(row["state"]),
                  row["created_at"], row["joined_at"], row["left_at"])


class MultipartyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def create(self, record: MultipartyRecord) -> MultipartyRecord:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["insert_multiparty_call"], record.phlo_id,
                                      record.node_id, record.account_id, record.name,
                                      record.caller_id, record.record)
        return MultipartyRecord.from_row(row)

    async def get(self, account_id: str, phlo_id: str, node_id: str) -> MultipartyRecord | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["multiparty_call"], phlo_id, node_id, account_id)
        return None if row is None else MultipartyRecord.from_row(row)

    async def of_phlo(self, account_id: str, phlo_id: str) -> list[MultipartyRecord]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["multiparty_calls_of_phlo"], phlo_id, account_id)
        return [MultipartyRecord.from_row(r) for r in rows]

    async def of_account(self, account_id: str, limit: int,
                         offset: int) -> list[MultipartyRecord]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["multiparty_calls_of_account"], account_id, limit,
                                    offset)
        return [MultipartyRecord.from_row(r) for r in rows]

    async def delete(self, account_id: str, phlo_id: str, node_id: str) -> bool:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["delete_multiparty_call"], phlo_id, node_id,
                                      account_id)
        return row is not None

    async def add_recording(self, phlo_id: str, node_id: str, name: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute(self._q["add_multiparty_recording"], phlo_id, node_id, name)

    async def owns_recording(self, account_id: str, phlo_id: str, node_id: str,
                             name: str) -> bool:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["multiparty_recording_owner"], account_id,
                                      phlo_id, node_id, name)
        return row is not None

    async def save_member(self, phlo_id: str, node_id: str, member: Member,
                          session: str = "") -> None:
        kind, value = _party_columns(member.party)
        async with self._db.connection() as conn:
            await conn.execute(self._q["upsert_multiparty_member"], phlo_id, node_id,
                               member.request_id, kind, value, member.role.value,
                               member.state.value, member.created_at, member.joined_at,
                               member.left_at, session)

    async def members(self, phlo_id: str, node_id: str) -> list[Member]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["multiparty_members"], phlo_id, node_id)
        return [_member(r) for r in rows]

    async def adoptable_members(self, request_ids: Sequence[str]) -> list[AdoptableMember]:
        """Members not left whose calls are among ``request_ids`` (restored live)."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["adoptable_multiparty_members"], list(request_ids))
        return [AdoptableMember((r["phlo_id"], r["node_id"]), r["account_id"], r["record"],
                                r["session"], _member(r)) for r in rows]

    async def close_stale_members(self, started_at: datetime,
                                  adopted: Sequence[str] = ()) -> None:
        """Members dialled before ``started_at`` and not ``adopted`` have left."""
        async with self._db.connection() as conn:
            await conn.execute(self._q["close_stale_multiparty_members"], started_at,
                               list(adopted))
