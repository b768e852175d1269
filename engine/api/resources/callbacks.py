"""Scheduled callbacks: ``POST | PATCH | DELETE | GET /api/callback``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import current_account
from engine.api.body import SeedModel, ShortStr, read_model
from engine.api.envelope import ok
from engine.api.resources.schemas import RequestIdResponse
from engine.api.routes import RouteSpec
from engine.domain.callbacks import CallbackFields, CallbackPatch
from engine.domain.cdr import http_date
from engine.services.callbacks import CallbackService
from engine.store.callbacks import CallbackRow

_WHEN = "Local date and time in time_zone, YYYY-mm-dd hh:mm:ss, in the future (at most " \
        "366 days ahead). A time the clocks skip for daylight saving is refused; a time " \
        "that happens twice is its first occurrence."


class CallbackRequest(SeedModel):
    agent_number: ShortStr = Field(description="Agent extension (101-105) or number with "
                                   "country code, e.g. 919979271000")
    caller_id: ShortStr = Field(description="Caller id shown to both parties")
    destination_number: ShortStr = Field(description="Customer number with country code")
    recording_option: ShortStr = Field(default="off", description="both, agent, customer, "
                                       "off (\"on\" means both)")
    time_zone: ShortStr = Field(description="IANA time zone of scheduled_at, e.g. "
                                "Asia/Kolkata, US/Eastern")
    scheduled_at: ShortStr = Field(description=_WHEN)


class CallbackUpdateRequest(SeedModel):
    request_id: ShortStr = Field(description="The request_id the POST returned")
    agent_number: ShortStr | None = None
    caller_id: ShortStr | None = None
    destination_number: ShortStr | None = None
    recording_option: ShortStr | None = None
    time_zone: ShortStr | None = Field(default=None, description="Default: the callback's own")
    scheduled_at: ShortStr | None = Field(default=None, description=_WHEN)


class CallbackDeleteRequest(SeedModel):
    request_id: ShortStr = Field(description="The request_id the POST returned")


class CallbackMessageResponse(BaseModel):
    message: str
    request_id: str


class CallbackItem(BaseModel):
    request_id: str
    status: str = Field(description="scheduled, fired, done, failed or cancelled")
    agent_number: str
    caller_id: str
    destination_number: str
    recording_option: str
    time_zone: str
    scheduled_at: str = Field(description="As sent, in time_zone")
    call_request_id: str = Field(description="The call it placed (its CDRs carry it); empty "
                                 "until it fired")
    reason: str = Field(description="Why it failed or was postponed, if it did")
    created_at: str
    updated_at: str


class CallbackListResponse(BaseModel):
    message: str
    result: list[CallbackItem]


def callback_view(row: CallbackRow) -> dict[str, Any]:
    f = row.fields
    return {
        "request_id": row.request_id, "status": row.status.value,
        "agent_number": f.agent_number, "caller_id": f.caller_id,
        "destination_number": f.destination_number, "recording_option": f.recording_option,
        "time_zone": f.time_zone, "scheduled_at": f.scheduled_at,
        "call_request_id": row.request_id if row.has_call else "",
        "reason": row.reason, "created_at": http_date(row.created_at),
        "updated_at": http_date(row.updated_at),
    }


class CallbackResources:
    def __init__(self, callbacks: CallbackService) -> None:
        self._callbacks = callbacks

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("POST", "/api/callback", self.create, "Schedule a callback",
                      CallbackRequest, RequestIdResponse,
                      description="At scheduled_at (in time_zone) the engine places a "
                      "click2call with these fields; its CDRs carry this request_id.",
                      example={"agent_number": "101", "caller_id": "15168148111",
                               "destination_number": "15168141000", "recording_option": "off",
                               "time_zone": "Asia/Kolkata",
                               "scheduled_at": "2027-08-15 12:55:00"}),
            RouteSpec("PATCH", "/api/callback", self.update, "Change a scheduled callback",
                      CallbackUpdateRequest, CallbackMessageResponse,
                      description="Only the fields sent change. A callback that already "
                      "fired cannot change (409 callback_already_fired).",
                      example={"request_id": "fd5ff6e021", "recording_option": "on",
                               "scheduled_at": "2027-08-16 09:00:02"}),
            RouteSpec("DELETE", "/api/callback", self.delete, "Cancel a scheduled callback",
                      CallbackDeleteRequest, CallbackMessageResponse,
                      example={"request_id": "fd5ff6e021"}),
            RouteSpec("GET", "/api/callback", self.list, "The account's callbacks",
                      response_model=CallbackListResponse),
        )

    async def create(self, request: web.Request) -> web.Response:
        body = await read_model(request, CallbackRequest)
        fields = CallbackFields(body.agent_number, body.caller_id, body.destination_number,
                                body.recording_option, body.time_zone, body.scheduled_at)
        request_id = await self._callbacks.create(current_account(request), fields)
        return ok({"request_id": request_id})

    async def update(self, request: web.Request) -> web.Response:
        body = await read_model(request, CallbackUpdateRequest)
        patch = CallbackPatch(body.agent_number, body.caller_id, body.destination_number,
                              body.recording_option, body.time_zone, body.scheduled_at)
        request_id = await self._callbacks.update(current_account(request), body.request_id,
                                                  patch)
        return ok({"message": "callback data modified successfully", "request_id": request_id})

    async def delete(self, request: web.Request) -> web.Response:
        body = await read_model(request, CallbackDeleteRequest)
        request_id = await self._callbacks.delete(current_account(request), body.request_id)
        return ok({"message": "callback request deleted successfully",
                   "request_id": request_id})

    async def list(self, request: web.Request) -> web.Response:
        rows = await self._callbacks.list_callbacks(current_account(request))
        return ok({"message": "callbacks found" if rows else "no callbacks",
                   "result": [callback_view(r) for r in rows]})
