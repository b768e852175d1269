"""Accounts repository: frozen rows in, named queries out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.store.db import Database


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    token_salt: bytes
    token_hash: bytes
    created_at: datetime
    rotated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> AccountRow:
        return cls(
            account_id=row["account_id"],
            token_salt=bytes(row["token_salt"]),
            token_hash=bytes(row["token_hash"]),
            created_at=row["created_at"],
            rotated_at=row["rotated_at"],
        )


class AccountRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, account_id: str) -> AccountRow | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._db.queries["get_account"], account_id)
        return None if row is None else AccountRow.from_row(row)

    async def list(self) -> list[AccountRow]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._db.queries["list_accounts"])
        return [AccountRow.from_row(r) for r in rows]

    async def insert(self, account_id: str, salt: bytes, token_hash: bytes) -> bool:
        """Create the account; False if it already exists."""
        async with self._db.connection() as conn:
            created = await conn.fetchval(
                self._db.queries["insert_account"], account_id, salt, token_hash
            )
        return created is not None

    async def set_token(self, account_id: str, salt: bytes, token_hash: bytes) -> bool:
        async with self._db.connection() as conn:
            updated = await conn.fetchval(
                self._db.queries["set_account_token"], account_id, salt, token_hash
            )
        return updated is not None
