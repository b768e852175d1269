"""Campaigns: create (validated, with the list's snapshot), stop, pause, resume, and views.

Another account's campaign, list or DND list looks exactly like a missing one (404). The
dialer (``services/campaign_dialer.py``) is woken by ``NOTIFY campaigns`` after each change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from engine.domain.accounts import Account
from engine.domain.campaigns.fields import CampaignFields, check_placeholders, validate_campaign
from engine.domain.campaigns.status import PAUSABLE, RESUMABLE, STOPPABLE, CampaignStatus
from engine.domain.errors import Conflict, InvalidField, NotFound
from engine.domain.ids import CAMPAIGN_ID, DND_LIST_ID, LIST_ID, new_campaign_id
from engine.domain.voices import VoiceCatalogue
from engine.store.campaigns import (
    CampaignProgress,
    CampaignRepository,
    CampaignRow,
    NameTaken,
    ServiceIdTaken,
)
from engine.webhooks.addresses import AddressPolicy
from engine.webhooks.guard import UrlRefused, check_url, parse_url

NOT_FOUND = "campaign_not_found"
_ID_ATTEMPTS = 5

# (account_id, file name) -> the sound: URI the PBX plays (PbxMedia.publish of the files part)
Publisher = Callable[[str, str], Awaitable[str]]
# The voices this machine speaks with: the speech service's ``catalogue``.
Catalogue = Callable[[], VoiceCatalogue]


def _not_found() -> NotFound:
    return NotFound("campaign not found", code=NOT_FOUND)


class CampaignService:
    def __init__(self, repo: CampaignRepository, catalogue: Catalogue, *,
                 publish: Publisher | None, max_calls_per_minute: float,
                 default_region: str = "US",
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 new_id: Callable[[], str] = new_campaign_id,
                 seal: Callable[[str], bytes] | None = None,
                 url_policy: AddressPolicy | None = None) -> None:
        self._repo = repo
        self._catalogue = catalogue
        self._publish = publish
        self._max_rate = max_calls_per_minute
        self._region = default_region
        self._now = now
        self._new_id = new_id
        self._seal = seal  # the iSales push token, sealed (TokenSealer.seal)
        self._url_policy = url_policy or AddressPolicy()  # the webhooks' SSRF rules

    async def create(self, account: Account, fields: CampaignFields) -> str:
        """A new scheduled campaign over a snapshot of its list; returns its id.

        Raises InvalidField (422) for any field, NotFound for a list or DND list that is
        not the account's, Conflict when the account has a campaign of that name."""
        account_id = account.account_id
        voices = self._catalogue()
        plan = validate_campaign(fields, now=self._now(), catalogue=voices,
                                 max_calls_per_minute=self._max_rate,
                                 default_region=self._region)
        if not LIST_ID.fullmatch(plan.list_id) or not await self._repo.owns_list(
                account_id, plan.list_id):
            raise NotFound("list not found", code="list_not_found",
                           details={"field": "list_id"})
        if plan.dnd_list_id is not None and (
                not DND_LIST_ID.fullmatch(plan.dnd_list_id)
                or not await self._repo.owns_dnd_list(account_id, plan.dnd_list_id)):
            raise NotFound("dnd list not found", code="dnd_list_not_found",
                           details={"field": "dnd_list_id"})
        if await self._repo.name_taken(account_id, plan.name):
            raise _name_taken()
        sealed = self._writeback_token(plan.writeback.url, plan.writeback.token)
        definition = plan.definition
        check_placeholders(definition, await self._repo.list_field_keys(plan.list_id))
        if definition.recorded_filename:
            definition = replace(definition, media_uri=await self._published(
                account_id, definition.recorded_filename))
        for _ in range(_ID_ATTEMPTS):  # 40 random bits: a collision is rare, never fatal
            campaign_id = self._new_id()
            try:
                if await self._repo.insert(campaign_id, account_id, plan, definition,
                                           sealed):
                    return campaign_id
            except NameTaken:
                raise _name_taken() from None
            except ServiceIdTaken:
                raise Conflict("the account already has a campaign with that "
                               "isales_service_id", code="isales_service_id_taken",
                               details={"field": "isales_service_id"}) from None
        raise Conflict("could not allocate a campaign id; retry", code="campaign_id_conflict")

    def _writeback_token(self, url: str | None, token: str | None) -> bytes | None:
        """The push token sealed; the URL checked by the webhooks' SSRF rules (an address
        the dispatcher would refuse is refused now; names are vetted when delivering)."""
        if url is None or token is None:
            return None
        try:
            check_url(parse_url(url), self._url_policy)
        except UrlRefused as exc:
            raise InvalidField("isales_url", f"isales_url is refused: {exc.reason}",
                               code="invalid_isales_url") from None
        if self._seal is None:
            raise InvalidField("isales_url", "the iSales write-back is not available on this "
                               "server", code="isales_unavailable")
        return self._seal(token)

    async def stop(self, account: Account, campaign_id: str) -> None:
        await self._act(account, campaign_id, STOPPABLE, "stop", "campaign_already_ended")

    async def pause(self, account: Account, campaign_id: str) -> None:
        await self._act(account, campaign_id, PAUSABLE, "pause", "campaign_not_pausable")

    async def resume(self, account: Account, campaign_id: str) -> None:
        await self._act(account, campaign_id, RESUMABLE, "resume", "campaign_not_paused")

    async def details(self, account: Account, campaign_id: str | None = None,
                      ) -> list[CampaignRow]:
        """The account's campaigns, oldest first; one (or 404) when ``campaign_id`` is set."""
        if campaign_id is None:
            return await self._repo.of_account(account.account_id)
        return [await self.get(account, campaign_id)]

    async def get(self, account: Account, campaign_id: str) -> CampaignRow:
        campaign_id = campaign_id.strip()
        rows = []
        if CAMPAIGN_ID.fullmatch(campaign_id):
            rows = await self._repo.of_account(account.account_id, campaign_id)
        if not rows:
            raise _not_found()
        return rows[0]

    async def progress(self, account: Account,
                       campaign_id: str) -> tuple[CampaignRow, CampaignProgress]:
        row = await self.get(account, campaign_id)
        return row, await self._repo.progress(row.campaign_id)

    async def _act(self, account: Account, campaign_id: str,
                   allowed: frozenset[CampaignStatus], action: str, refused: str) -> None:
        campaign_id = campaign_id.strip()
        if not CAMPAIGN_ID.fullmatch(campaign_id):
            raise _not_found()
        before = await self._repo.transition(account.account_id, campaign_id, allowed, action)
        if before is None:
            raise _not_found()
        if before not in allowed:
            raise Conflict(f"cannot {action} a campaign that is {before.name.lower()}",
                           code=refused, details={"campaign_status": str(int(before))})

    async def _published(self, account_id: str, name: str) -> str:
        if self._publish is None:
            raise InvalidField("recorded_filename", "recorded files are not available on "
                               "this server", code="recorded_file_not_found")
        return await self._publish(account_id, name)


def _name_taken() -> Conflict:
    return Conflict("the account already has a campaign of that name",
                    code="campaign_name_taken", details={"field": "campaign_name"})
