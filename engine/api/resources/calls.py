"""click2call, modify_call and live calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from engine.api.auth import current_account
from engine.api.body import read_model
from engine.api.envelope import ok
from engine.api.resources.schemas import (
    Click2CallRequest,
    MessageResponse,
    ModifyCallRequest,
    RequestIdResponse,
)
from engine.api.routes import RouteSpec
from engine.calls.router import CallRouter
from engine.domain.call import Call
from engine.domain.cdr import http_date
from engine.services.click2call import Click2CallOrder, Click2CallService
from engine.services.modify_call import ModifyCallService, ModifyOrder


def live_call_view(call: Call) -> dict[str, Any]:
    return {
        "request_id": call.request_id,
        "origin": call.origin.value,
        "state": call.state.value,
        "started_at": http_date(call.created_at),
        "agent_number": call.agent.number if call.agent else "",
        "customer_number": call.customer.number if call.customer else "",
        "caller_id": call.caller_id,
        "legs": [
            {
                "role": leg.role.value,
                "channel": leg.channel_name,
                "uniqueid": leg.channel_id,
                "number": leg.party.number,
                "state": leg.state.value,
                "live": leg.live,
                "started_at": http_date(leg.created_at),
                "answered_at": http_date(leg.answered_at) if leg.answered_at else None,
            }
            for leg in call.legs
        ],
    }


class CallResources:
    def __init__(self, click2call: Click2CallService, modify: ModifyCallService,
                 router: CallRouter) -> None:
        self._click2call = click2call
        self._modify = modify
        self._router = router

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("POST", "/api/click2call", self.click2call,
                      "Connect an agent and a customer", Click2CallRequest, RequestIdResponse,
                      description="Dials the agent; when the agent answers, dials the "
                      "destination and bridges both. Answers at once with the request_id.",
                      example={"agent_number": "101", "caller_id": "15168148111",
                               "destination_number": "15168141000",
                               "recording_option": "off", "transcript": "off"}),
            RouteSpec("POST", "/api/modify_call", self.modify_call,
                      "Transfer, hang up or record a live call", ModifyCallRequest,
                      MessageResponse,
                      example={"channel": "PJSIP/101-0000023c", "modify_type": "0",
                               "transfer_to": "102"}),
            RouteSpec("GET", "/api/live_calls", self.live_calls,
                      "The account's live calls with their channels and legs"),
        )

    async def click2call(self, request: web.Request) -> web.Response:
        body = await read_model(request, Click2CallRequest)
        order = Click2CallOrder(body.agent_number, body.caller_id, body.destination_number,
                                body.recording_option, body.transcript)
        request_id = await self._click2call.start(current_account(request), order)
        return ok({"request_id": request_id})

    async def modify_call(self, request: web.Request) -> web.Response:
        body = await read_model(request, ModifyCallRequest)
        order = ModifyOrder(body.channel, body.modify_type, body.transfer_to,
                            body.transfer_action)
        message = await self._modify.modify(current_account(request), order)
        return ok({"message": message})

    async def live_calls(self, request: web.Request) -> web.Response:
        calls = self._router.live_calls(current_account(request).account_id)
        calls.sort(key=lambda c: c.created_at)
        message = "live calls found" if calls else "no live calls"
        return ok({"message": message, "result": [live_call_view(c) for c in calls]})
