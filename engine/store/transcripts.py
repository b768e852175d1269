"""Transcripts repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.store.db import Database


@dataclass(frozen=True)
class TranscriptRow:
    request_id: str
    status: str
    text: str
    reason: str
    recording: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PendingTranscript:
    request_id: str
    account_id: str
    recording: str


class TranscriptRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def add_pending(self, request_id: str, account_id: str, recording: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute(self._q["insert_transcript"], request_id, account_id, recording)

    async def finish(self, request_id: str, status: str, text: str, reason: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute(self._q["finish_transcript"], request_id, status, text, reason)

    async def get(self, account_id: str, request_id: str) -> TranscriptRow | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["get_transcript"], request_id, account_id)
        return None if row is None else TranscriptRow(**dict(row))

    async def pending(self) -> list[PendingTranscript]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(self._q["pending_transcripts"])
        return [PendingTranscript(**dict(r)) for r in rows]
