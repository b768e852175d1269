"""CDR queries and call statistics."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from engine.api.auth import current_account
from engine.api.body import read_model
from engine.api.envelope import ok
from engine.api.resources.schemas import (
    CdrByCampaignIdRequest,
    CdrByDateRequest,
    CdrByRequestIdRequest,
)
from engine.api.routes import RouteSpec
from engine.calls.router import CallRouter
from engine.services.cdrs import CdrService


class CdrResources:
    def __init__(self, cdrs: CdrService, router: CallRouter) -> None:
        self._cdrs = cdrs
        self._router = router

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("POST", "/api/get_cdr_by_date", self.by_date,
                      "CDRs of an inclusive date range, newest first", CdrByDateRequest,
                      example={"start_call_date": "2023-06-13", "end_call_date": "2023-06-17",
                               "record_count": "5", "offset": "1"}),
            RouteSpec("POST", "/api/get_cdr_by_request_id", self.by_request_id,
                      "CDRs of one call (one row per leg)", CdrByRequestIdRequest,
                      example={"request_id": "91da7c083f"}),
            RouteSpec("POST", "/api/get_cdr_by_campaign_id", self.by_campaign_id,
                      "CDRs of a campaign", CdrByCampaignIdRequest,
                      example={"campaign_id": "CM39139118b8"}),
            RouteSpec("GET", "/api/get_cdr_statistics", self.statistics,
                      "Counts of legs by dial status"),
            RouteSpec("POST", "/api/get_campaign_cdr_statistics", self.campaign_statistics,
                      "Counts of a campaign's CDRs by dial status, DND rows included",
                      CdrByCampaignIdRequest, example={"campaign_id": "CM7b1b0f4c2f"}),
            RouteSpec("GET", "/api/get_live_call_statistics", self.live_statistics,
                      "Live calls by kind, from the engine's own state"),
        )

    async def by_date(self, request: web.Request) -> web.Response:
        body = await read_model(request, CdrByDateRequest)
        rows = await self._cdrs.by_date(current_account(request), body.start_call_date,
                                        body.end_call_date, body.record_count, body.offset)
        return ok({"message": "cdr found" if rows else "cdr not found", "result": rows})

    async def by_request_id(self, request: web.Request) -> web.Response:
        body = await read_model(request, CdrByRequestIdRequest)
        rows = await self._cdrs.by_request_id(current_account(request), body.request_id)
        return ok({"message": "cdr found", "result": rows})

    async def by_campaign_id(self, request: web.Request) -> web.Response:
        body = await read_model(request, CdrByCampaignIdRequest)
        rows = await self._cdrs.by_campaign_id(current_account(request), body.campaign_id)
        return ok({"message": "cdr found", "result": rows})

    async def statistics(self, request: web.Request) -> web.Response:
        return ok({"result": await self._cdrs.statistics(current_account(request))})

    async def campaign_statistics(self, request: web.Request) -> web.Response:
        body = await read_model(request, CdrByCampaignIdRequest)
        result = await self._cdrs.campaign_statistics(current_account(request),
                                                      body.campaign_id)
        return ok({"result": result})

    async def live_statistics(self, request: web.Request) -> web.Response:
        counts = self._router.live_counts(current_account(request).account_id)
        return ok({"result": counts})
