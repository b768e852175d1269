"""The iSales write-back use cases: who a bearer token is, a result written back to a
campaign's contact, the token of a campaign's push, and the views (delivery log, contact
history).

Another account's campaign or contact looks exactly like a missing one (result code 1 on
the write-back; 404 on the views).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from engine.domain.accounts import Account, token_matches
from engine.domain.errors import NotFound
from engine.domain.ids import CAMPAIGN_ID
from engine.domain.isales import (
    MAX_ID_CHARS,
    RESULT_OK,
    RESULT_UNKNOWN_CONTACT,
    RESULT_UNKNOWN_TASK,
    MidResult,
)
from engine.store.accounts import AccountRow
from engine.store.isales import ContactHistory, IsalesRepository
from engine.store.webhooks import WebhookDelivery
from engine.webhooks.sealing import TokenSealer

log = logging.getLogger(__name__)

MAX_TOKEN_CHARS = 256


class AccountRows(Protocol):
    """Every account row (``AccountRepository`` fits)."""

    async def list(self) -> list[AccountRow]: ...


class BearerAccounts:
    """The account whose API token a bearer token is. Tokens are stored as salted hashes,
    so the account rows (a handful on a self-hosted engine) are kept for ``cache_seconds``
    and the token is checked against each: a rotated token stops working within that time.
    """

    def __init__(self, repo: AccountRows, *, cache_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._repo = repo
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._rows: tuple[float, list[AccountRow]] | None = None

    async def authenticate(self, token: str) -> Account | None:
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        for row in await self._accounts():
            if token_matches(token, row.token_salt, row.token_hash):
                return Account(row.account_id)
        return None

    async def _accounts(self) -> list[AccountRow]:
        now = self._clock()
        if self._rows is None or now - self._rows[0] >= self._cache_seconds:
            self._rows = (now, await self._repo.list())
        return self._rows[1]


class IsalesService:
    """``campaign``: the account's campaign or NotFound (``CampaignService.get`` fits)."""

    def __init__(self, repo: IsalesRepository,
                 campaign: Callable[[Account, str], Awaitable[object]],
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._repo = repo
        self._campaign = campaign
        self._now = now

    async def write_back(self, account: Account, result: MidResult) -> int:
        """Store ``result`` with the contact it names; the seed's result code."""
        campaign_id = await self._repo.find_campaign(account.account_id, result.service_id)
        if campaign_id is None:
            return RESULT_UNKNOWN_TASK
        if not await self._repo.record_result(campaign_id, result, self._now()):
            return RESULT_UNKNOWN_CONTACT
        log.info("isales result written back",
                 extra={"campaign_id": campaign_id, "status": result.status,
                        "final": result.final})
        return RESULT_OK

    async def pushes(self, account: Account, campaign_id: str) -> list[WebhookDelivery]:
        """The campaign's push delivery log, oldest first."""
        await self._campaign(account, campaign_id)
        return await self._repo.campaign_pushes(account.account_id, campaign_id.strip())

    async def history(self, account: Account, campaign_id: str,
                      unique_id: str) -> ContactHistory:
        campaign_id, unique_id = campaign_id.strip(), unique_id.strip()
        found = None
        if CAMPAIGN_ID.fullmatch(campaign_id) and 0 < len(unique_id) <= MAX_ID_CHARS:
            found = await self._repo.contact_history(account.account_id, campaign_id,
                                                     unique_id)
        if found is None:
            raise NotFound("contact not found", code="contact_not_found")
        return found


class PushTokens:
    """The bearer token of a campaign's push, unsealed (the webhook dispatcher's lookup)."""

    def __init__(self, repo: IsalesRepository, sealer: TokenSealer) -> None:
        self._repo = repo
        self._sealer = sealer

    async def token(self, campaign_id: str) -> str | None:
        sealed = await self._repo.sealed_token(campaign_id)
        return None if sealed is None else self._sealer.unseal(sealed)
