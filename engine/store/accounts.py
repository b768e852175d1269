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
    # The token sealed with the engine's key (for signing webhooks); None until sealed.
    token_sealed: bytes | None = None

    @classmethod
    def from_row(cls, row: Any) -> AccountRow:
        return cls(
            account_id=row["account_id"],
            token_salt=bytes(row["token_salt"]),
            token_hash=bytes(row["token_hash"]),
            created_at=row["created_at"],
            rotated_at=row["rotated_at"],
            token_sealed=None if row["token_sealed"] is None else bytes(row["token_sealed"]),
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

    async def insert(self, account_id: str, salt: bytes, token_hash: bytes,
                     sealed: bytes | None = None) -> bool:
        """Create the account; False if it already exists."""
        async with self._db.connection() as conn:
            created = await conn.fetchval(
                self._db.queries["insert_account"], account_id, salt, token_hash, sealed
            )
        return created is not None

    async def set_token(self, account_id: str, salt: bytes, token_hash: bytes,
                        sealed: bytes | None = None) -> bool:
        """Replace the token (and its sealed copy: None clears it)."""
        async with self._db.connection() as conn:
            updated = await conn.fetchval(
                self._db.queries["set_account_token"], account_id, salt, token_hash, sealed
            )
        return updated is not None

    async def set_sealed(self, account_id: str, token_hash: bytes, sealed: bytes) -> bool:
        """Store the sealed token, only if ``token_hash`` is still the account's."""
        async with self._db.connection() as conn:
            done = await conn.fetchval(
                self._db.queries["seal_account_token"], account_id, token_hash, sealed
            )
        return done is not None
