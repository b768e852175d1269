"""Call quality feedback repository: one row per post, the newest shown per call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.feedback import Feedback, FeedbackSummary
from engine.store.db import Database


@dataclass(frozen=True)
class FeedbackRecord:
    """A stored feedback: what was said, about which call, when (``api_id``: the answer's)."""

    request_id: str
    account_id: str
    feedback: Feedback
    api_id: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> FeedbackRecord:
        return cls(
            request_id=row["request_id"], account_id=row["account_id"],
            feedback=Feedback(float(row["rating"]), tuple(row["issues"]), row["notes"]),
            api_id=row["api_id"], created_at=row["created_at"],
        )


class FeedbackRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._q = db.queries

    async def insert(self, account_id: str, request_id: str, feedback: Feedback,
                     api_id: str) -> FeedbackRecord | None:
        """Store feedback for an *ended* call of the account; None if there is none such."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["insert_feedback"], request_id, account_id,
                                      feedback.rating, list(feedback.issues), feedback.notes,
                                      api_id)
        return None if row is None else FeedbackRecord.from_row(row)

    async def call_ended(self, account_id: str, request_id: str) -> bool | None:
        """None: the account has no such call; False: it is live; True: it ended."""
        async with self._db.connection() as conn:
            value = await conn.fetchval(self._q["feedback_call_ended"], request_id, account_id)
        return None if value is None else bool(value)

    async def latest(self, account_id: str, request_id: str) -> FeedbackRecord | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(self._q["latest_feedback"], request_id, account_id)
        return None if row is None else FeedbackRecord.from_row(row)

    async def summary(self, account_id: str, start: datetime | None,
                      end: datetime | None) -> FeedbackSummary:
        async with self._db.connection() as conn:
            totals = await conn.fetchrow(self._q["feedback_totals"], account_id, start, end)
            issues = await conn.fetch(self._q["feedback_issue_counts"], account_id, start, end)
        assert totals is not None  # an aggregate always returns one row
        mean = totals["mean_rating"]
        return FeedbackSummary(int(totals["feedbacks"]), None if mean is None else float(mean),
                               {row["issue"]: int(row["n"]) for row in issues})
