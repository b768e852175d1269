"""``POST /api/outbound_call``: an OTP call."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web
from pydantic import Field

from engine.api.auth import current_account
from engine.api.body import SeedModel, ShortStr, read_model
from engine.api.envelope import ok
from engine.api.resources.schemas import RequestIdResponse
from engine.api.routes import RouteSpec
from engine.services.otp import OtpOrder, OtpService


class OutboundCallRequest(SeedModel):
    customer_number: ShortStr = Field(description="Customer number with country code")
    otp: ShortStr = Field(description="The code to announce: 1-12 digits or letters, spoken "
                          "one by one; never stored or logged")
    announce_template_id: ShortStr = Field(description="An approved template of the account "
                                           "(see /api/templates), e.g. AN2222314c96")
    caller_id: ShortStr = Field(description="Caller id shown to the customer")
    repeat: ShortStr | None = Field(default=None, description="1-5 announcements, default 1")
    voice: ShortStr | None = Field(default=None, description="Default Joanna; see /api/voices")
    volume: ShortStr | None = Field(default=None, description="silent, x-soft, soft, medium, "
                                    "loud, x-loud")
    rate: ShortStr | None = Field(default=None, description="x-slow, slow, medium, fast, "
                                  "x-fast")
    pitch: ShortStr | None = Field(default=None, description="x-low, low, medium, high, x-high")
    language_code: ShortStr | None = Field(default=None, description="Default en-US")
    tts_engine_type: ShortStr | None = Field(default=None, description="standard (default) "
                                             "or neural")


class OtpResources:
    def __init__(self, otp: OtpService) -> None:
        self._otp = otp

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("POST", "/api/outbound_call", self.outbound_call,
                      "Call a customer and announce a one-time password",
                      OutboundCallRequest, RequestIdResponse,
                      description="Dials customer_number; when answered, speaks the approved "
                      "template with the OTP digit by digit, repeat times, then hangs up.",
                      example={"customer_number": "15168141000", "otp": "1987",
                               "announce_template_id": "AN2222314c96", "repeat": "1",
                               "caller_id": "15168148111", "voice": "Raveena",
                               "volume": "soft", "rate": "slow", "pitch": "medium",
                               "language_code": "en-US", "tts_engine_type": "standard"}),
        )

    async def outbound_call(self, request: web.Request) -> web.Response:
        body = await read_model(request, OutboundCallRequest)
        order = OtpOrder(
            customer_number=body.customer_number, otp=body.otp,
            announce_template_id=body.announce_template_id, caller_id=body.caller_id,
            repeat=body.repeat, voice=body.voice, volume=body.volume, rate=body.rate,
            pitch=body.pitch, language_code=body.language_code,
            tts_engine_type=body.tts_engine_type)
        request_id = await self._otp.start(current_account(request), order)
        return ok({"request_id": request_id})
