"""Announce templates repository: frozen rows in, named queries out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.templates import TemplateStatus
from engine.store.db import Database


@dataclass(frozen=True)
class TemplateRow:
    template_id: str
    account_id: str
    name: str
    text: str
    status: TemplateStatus
    created_at: datetime
    approved_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> TemplateRow:
        return cls(
            template_id=row["template_id"],
            account_id=row["account_id"],
            name=row["name"],
            text=row["text"],
            status=TemplateStatus(row["status"]),
            created_at=row["created_at"],
            approved_at=row["approved_at"],
        )


class TemplateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def insert(
        self, template_id: str, account_id: str, name: str, text: str
    ) -> TemplateRow | None:
        """Store a pending template; None if ``template_id`` is already taken."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["insert_template"], template_id, account_id,
                                      name, text)
        return None if row is None else TemplateRow.from_row(row)

    async def of_account(self, account_id: str) -> list[TemplateRow]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["list_templates"], account_id)
        return [TemplateRow.from_row(r) for r in rows]

    async def get(self, account_id: str, template_id: str) -> TemplateRow | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["get_template"], template_id, account_id)
        return None if row is None else TemplateRow.from_row(row)

    async def delete(self, account_id: str, template_id: str) -> bool:
        async with self._db.connection() as conn:
            deleted = await conn.fetchval(self._q["delete_template"], template_id, account_id)
        return deleted is not None

    async def approve(self, template_id: str) -> TemplateRow | None:
        """Approve a template of any account (an operator's action)."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["approve_template"], template_id)
        return None if row is None else TemplateRow.from_row(row)

    async def pending(self) -> list[TemplateRow]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["pending_templates"])
        return [TemplateRow.from_row(r) for r in rows]
