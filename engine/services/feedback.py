"""Call quality feedback use cases: post (ended calls only), the latest per call, a report.

Another account's call and an unknown one fail alike (``NotFound``). A call still in
progress is refused with ``CallInProgress`` (also a ``NotFound``: Plivo's feedback service
only knows calls that ended). Calls of every origin can be rated: API calls by their UUID,
others by their 10-hex request_id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from engine.domain.errors import NotFound
from engine.domain.feedback import Feedback, FeedbackSummary
from engine.domain.ids import is_request_id
from engine.store.feedback import FeedbackRecord

__all__ = ["CallInProgress", "FeedbackService", "FeedbackStore", "feedback_view"]

CALL_NOT_FOUND = "Please check the Call UUID"


class CallInProgress(NotFound):
    """Feedback for a call that has not ended yet."""

    code = "call_in_progress"


class FeedbackStore(Protocol):
    """What the service needs from the store (``FeedbackRepository`` fits)."""

    async def insert(self, account_id: str, request_id: str, feedback: Feedback,
                     api_id: str) -> FeedbackRecord | None: ...
    async def call_ended(self, account_id: str, request_id: str) -> bool | None: ...
    async def latest(self, account_id: str, request_id: str) -> FeedbackRecord | None: ...
    async def summary(self, account_id: str, start: datetime | None,
                      end: datetime | None) -> FeedbackSummary: ...


def _new_api_id() -> str:
    return str(uuid.uuid4())


def feedback_view(record: FeedbackRecord) -> dict[str, Any]:
    """A stored feedback as JSON (what call details show under ``feedback``)."""
    return {
        "rating": record.feedback.rating,
        "issues": list(record.feedback.issues),
        "notes": record.feedback.notes,
        "posted_at": record.created_at.isoformat(),
    }


class FeedbackService:
    def __init__(self, store: FeedbackStore, *,
                 new_api_id: Callable[[], str] = _new_api_id) -> None:
        self._store = store
        self._new_api_id = new_api_id

    async def post(self, account_id: str, call_uuid: str, feedback: Feedback) -> FeedbackRecord:
        """Store ``feedback`` for the account's ended call ``call_uuid``.

        Raises ``NotFound`` (unknown call, or another account's) or ``CallInProgress``."""
        request_id = call_uuid.strip().lower()
        if not is_request_id(request_id):
            raise NotFound(CALL_NOT_FOUND, code="call_not_found")
        record = await self._store.insert(account_id, request_id, feedback, self._new_api_id())
        if record is not None:
            return record
        ended = await self._store.call_ended(account_id, request_id)
        if ended is False:
            raise CallInProgress(f"{CALL_NOT_FOUND}: the call is still in progress; post "
                                 "feedback once it has ended")
        # None: no such call. True: it ended between the two reads (cannot happen: an
        # ended call stays ended), reported as not found rather than retried.
        raise NotFound(CALL_NOT_FOUND, code="call_not_found")

    async def latest(self, account_id: str, request_id: str) -> FeedbackRecord | None:
        """The newest feedback posted for the account's call, if any (for call details)."""
        request_id = request_id.strip().lower()
        if not is_request_id(request_id):
            return None
        return await self._store.latest(account_id, request_id)

    async def report(self, account_id: str, start: datetime | None,
                     end: datetime | None) -> FeedbackSummary:
        """Feedback the account posted in ``[start, end)`` (open ends: no bound)."""
        return await self._store.summary(account_id, start, end)
