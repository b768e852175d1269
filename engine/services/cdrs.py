"""CDR queries and statistics for one account."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from engine.domain.accounts import Account
from engine.domain.errors import InvalidField, NotFound
from engine.domain.ids import CAMPAIGN_ID, is_request_id
from engine.domain.ledger import cdr_to_api
from engine.store.calls import CallRepository

MAX_RECORD_COUNT = 5000
DEFAULT_RECORD_COUNT = 1000


def parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidField(field, f"{field} must be a date like 2023-06-13") from None


def parse_count(value: str | int | None, field: str, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidField(field, f"{field} must be a whole number") from None
    if number < 0 or number > maximum:
        raise InvalidField(field, f"{field} must be between 0 and {maximum}")
    return number


class CdrService:
    def __init__(self, repo: CallRepository) -> None:
        self._repo = repo

    async def by_date(
        self, account: Account, start_call_date: str, end_call_date: str,
        record_count: str | int | None, offset: str | int | None,
    ) -> list[dict[str, Any]]:
        """CDRs whose call_date falls on the inclusive date range, newest first."""
        start = parse_day(start_call_date, "start_call_date")
        end = parse_day(end_call_date, "end_call_date")
        if end < start:
            raise InvalidField("end_call_date", "end_call_date is before start_call_date")
        limit = parse_count(record_count, "record_count", DEFAULT_RECORD_COUNT, MAX_RECORD_COUNT)
        skip = parse_count(offset, "offset", 0, 10_000_000)
        lower = datetime.combine(start, time.min, UTC)
        upper = datetime.combine(end + timedelta(days=1), time.min, UTC)
        rows = await self._repo.cdrs_by_date(account.account_id, lower, upper, limit, skip)
        return [cdr_to_api(r) for r in rows]

    async def by_request_id(self, account: Account, request_id: str) -> list[dict[str, Any]]:
        request_id = request_id.strip()
        rows = []
        if is_request_id(request_id):
            rows = await self._repo.cdrs_by_request(account.account_id, request_id)
        if not rows:
            raise NotFound("cdr not found", code="cdr_not_found")
        return [cdr_to_api(r) for r in rows]

    async def by_campaign_id(self, account: Account, campaign_id: str) -> list[dict[str, Any]]:
        rows = await self._repo.cdrs_by_campaign(account.account_id, campaign_id.strip())
        if not rows:
            raise NotFound("cdr not found", code="cdr_not_found")
        return [cdr_to_api(r) for r in rows]

    async def statistics(self, account: Account) -> dict[str, list[int]]:
        """Counts in the seed's shape: ``{"answer_calls": [248], …}``."""
        stats = await self._repo.statistics(account.account_id)
        return {name: [value] for name, value in vars(stats).items()}

    async def campaign_statistics(self, account: Account,
                                  campaign_id: str) -> dict[str, list[int]]:
        """One campaign's counts in the seed's shape, DND rows included: ``{"dnd_calls":
        [4], …}``; 404 ``campaign_not_found`` for a campaign that is not the account's."""
        campaign_id = campaign_id.strip()
        stats = None
        if CAMPAIGN_ID.fullmatch(campaign_id):
            stats = await self._repo.campaign_statistics(account.account_id, campaign_id)
        if stats is None:
            raise NotFound("campaign not found", code="campaign_not_found")
        return {name: [value] for name, value in vars(stats).items()}
