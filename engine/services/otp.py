"""OTP calls (``POST /api/outbound_call``): dial the customer and announce a code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.calls.router import CallRouter
from engine.domain.accounts import Account
from engine.domain.call import Call, CallState, Origin
from engine.domain.errors import Unavailable
from engine.domain.ids import new_request_id
from engine.domain.numbers import External, normalize_number
from engine.domain.otp import otp_program, otp_utterance, validate_otp, validate_repeat
from engine.domain.templates import split_template
from engine.domain.voices import VoiceCatalogue, validate_tts
from engine.services.click2call import TelephonyRules
from engine.services.templates import TemplateService


@dataclass(frozen=True)
class OtpOrder:
    """The seed's body, as sent (every value a string; TTS fields optional)."""

    customer_number: str
    otp: str
    announce_template_id: str
    caller_id: str
    repeat: str | None = None
    voice: str | None = None
    volume: str | None = None
    rate: str | None = None
    pitch: str | None = None
    language_code: str | None = None
    tts_engine_type: str | None = None


class OtpService:
    def __init__(self, router: CallRouter, templates: TemplateService,
                 catalogue: Callable[[], VoiceCatalogue], rules: TelephonyRules, *,
                 asterisk_up: Callable[[], bool]) -> None:
        self._router = router
        self._templates = templates
        self._catalogue = catalogue
        self._rules = rules
        self._asterisk_up = asterisk_up

    async def start(self, account: Account, order: OtpOrder) -> str:
        """Validate everything, then place the call; returns its request id at once."""
        region = self._rules.default_region
        customer = External(normalize_number(order.customer_number, "customer_number", region))
        caller_id = normalize_number(order.caller_id, "caller_id", region)
        otp = validate_otp(order.otp)
        repeat = validate_repeat(order.repeat)
        voice, prosody = validate_tts(
            voice=order.voice, volume=order.volume, rate=order.rate, pitch=order.pitch,
            language_code=order.language_code, tts_engine_type=order.tts_engine_type,
            catalogue=self._catalogue())
        text = await self._templates.approved_text(account.account_id,
                                                   order.announce_template_id.strip())
        before, after = split_template(text)
        program = otp_program(otp_utterance(before, otp, after, voice, prosody), repeat)
        if not self._asterisk_up():
            raise Unavailable("Asterisk is not reachable right now")
        call = Call(
            request_id=new_request_id(), account_id=account.account_id, origin=Origin.OTP,
            state=CallState.DIALING_CUSTOMER, caller_id=caller_id,
            created_at=datetime.now(UTC), customer=customer, answer_program=program,
        )
        await self._router.launch(call)
        return call.request_id
