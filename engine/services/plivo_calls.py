"""Plivo's Call API over the engine's calls: make calls, control live ones, look them up.

``POST /v1/Account/{id}/Call/`` is validated by ``plivo_orders`` into ordinary ``Call``s
(``origin=api``, ``request_id`` = a UUID, ``api`` = the validated options) that the
account's admission fires or queues. The live-call actions (hang up, transfer, play,
speak, DTMF, record) become events of the one call state machine, applied through the
router; another account's call and an unknown one look the same (``NotFound``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from engine.domain.accounts import Account
from engine.domain.call import Call
from engine.domain.errors import InvalidField, NotFound, Rejected, TooManyRequests, Unavailable
from engine.domain.events import (
    CallEvent,
    HangupRequested,
    LiveActionRequested,
    ProgramReplaced,
)
from engine.domain.ids import is_request_id
from engine.domain.speech import SpeechPart, Utterance
from engine.domain.voices import VoiceCatalogue, validate_tts
from engine.services.click2call import TelephonyRules
from engine.services.plivo_params import (
    Params,
    digits_param,
    flag,
    legs_param,
    method,
    only_default,
    refuse,
    text,
    url,
    urls,
)

__all__ = [
    "Admission",
    "CallControl",
    "MadeCalls",
    "PlivoCallService",
    "StoredCalls",
]

from engine.services.plivo_orders import (
    LIVE_LOOP_FOREVER,
    MAX_SPEAK_CHARS,
    build_calls,
)


class Admission(Protocol):
    """Starts API calls under the account's limits (``services.call_limits.CallAdmission``)."""

    async def submit(self, call: Call) -> Literal["fired", "queued"]: ...
    async def cancel(self, account_id: str, request_id: str) -> bool: ...
    async def is_queued(self, account_id: str, request_id: str) -> bool: ...


class CallControl(Protocol):
    """The live calls (``CallRouter`` fits)."""

    def live_calls(self, account_id: str) -> list[Call]: ...
    async def request(self, account_id: str, channel: str,
                      make_event: Callable[[str], CallEvent]) -> Call: ...


class StoredCalls(Protocol):
    """Calls as last saved, ended ones included (``CallRepository.stored_call``)."""

    async def stored_call(self, account_id: str, request_id: str) -> Call | None: ...


@dataclass(frozen=True)
class MadeCalls:
    """What ``make`` did: the calls' ids in the order of ``to``, and whether any waits."""

    request_uuids: tuple[str, ...]
    queued: bool


# ---- the service ---------------------------------------------------------------------------


class PlivoCallService:
    """Plivo's Call API on the engine's services (no business logic in the façade)."""

    def __init__(self, control: CallControl, admission: Admission, stored: StoredCalls,
                 rules: TelephonyRules, catalogue: Callable[[], VoiceCatalogue], *,
                 asterisk_up: Callable[[], bool] = lambda: True,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._control = control
        self._admission = admission
        self._stored = stored
        self._rules = rules
        self._catalogue = catalogue
        self._asterisk_up = asterisk_up
        self._clock = clock

    async def make(self, account: Account, params: Params) -> MadeCalls:
        """Validate, then fire or queue one call per destination, in the order given.

        Raises ``InvalidField`` before any call starts; ``TooManyRequests`` (the queue is
        full) stops a bulk request where it is: the calls already admitted go on."""
        calls = build_calls(account.account_id, params, self._rules, self._clock(),
                            live=self._control.live_calls(account.account_id))
        if not self._asterisk_up():
            raise Unavailable("Asterisk is not reachable right now")
        queued = False
        for n, call in enumerate(calls):
            try:
                queued = await self._admission.submit(call) == "queued" or queued
            except TooManyRequests as exc:
                if n == 0:
                    raise
                started = [c.request_id for c in calls[:n]]
                raise TooManyRequests(
                    f"{exc.message}; {n} of the {len(calls)} calls were started",
                    details={**exc.details, "request_uuid": started}) from None
        return MadeCalls(tuple(c.request_id for c in calls), queued)

    # ---- looking calls up ----------------------------------------------------------------

    def live_call(self, account: Account, call_uuid: str) -> Call | None:
        uuid = call_uuid.strip().lower()
        return next((c for c in self._control.live_calls(account.account_id)
                     if c.request_id == uuid), None)

    def live_calls(self, account: Account) -> list[Call]:
        calls = self._control.live_calls(account.account_id)
        return sorted(calls, key=lambda c: c.created_at)

    async def stored_call(self, account: Account, call_uuid: str) -> Call | None:
        uuid = call_uuid.strip().lower()
        if not is_request_id(uuid):
            return None
        return await self._stored.stored_call(account.account_id, uuid)

    async def is_queued(self, account: Account, call_uuid: str) -> bool:
        uuid = call_uuid.strip().lower()
        return is_request_id(uuid) and await self._admission.is_queued(account.account_id,
                                                                        uuid)

    # ---- live calls ------------------------------------------------------------------------

    async def hang_up(self, account: Account, call_uuid: str) -> None:
        """Hang a live call up, or drop it from the queue if it is still waiting there."""
        uuid = call_uuid.strip().lower()
        try:
            await self._apply(account, uuid, lambda: HangupRequested(self._clock()),
                              need_program=False)
        except NotFound:
            if not (is_request_id(uuid)
                    and await self._admission.cancel(account.account_id, uuid)):
                raise

    async def transfer(self, account: Account, call_uuid: str, params: Params) -> None:
        """Plivo's transfer of the A leg: its program is replaced by ``aleg_url``'s."""
        legs_param(params, "legs")
        address = url(params, "aleg_url", required=True)
        chosen = method(params, "aleg_method")
        for name in ("bleg_url", "bleg_method"):
            if text(params, name, max_length=2048):
                refuse(name, f"{name} is not supported: only the A leg can be transferred")
        refuse_if_given(params, "callback_url", "callback_method")
        await self._apply(account, call_uuid,
                          lambda: ProgramReplaced(address, chosen, self._clock()))

    async def play(self, account: Account, call_uuid: str, params: Params) -> None:
        media = urls(params, "urls")
        legs_param(params, "legs")
        only_default(params, "mix", True)
        refuse_if_given(params, "length", "callback_url", "callback_method")
        loop = LIVE_LOOP_FOREVER if flag(params, "loop", False) else 1
        await self._apply(account, call_uuid, lambda: LiveActionRequested(
            "play", self._clock(), media=media, loop=loop))

    async def speak(self, account: Account, call_uuid: str, params: Params) -> None:
        words = text(params, "text", required=True, max_length=MAX_SPEAK_CHARS)
        voice_name = text(params, "voice", max_length=64) or "WOMAN"
        language = text(params, "language", max_length=32) or None
        legs_param(params, "legs")
        only_default(params, "mix", True)
        refuse_if_given(params, "type", "callback_url", "callback_method")
        loop = LIVE_LOOP_FOREVER if flag(params, "loop", False) else 1
        try:
            voice, prosody = validate_tts(voice=voice_name, language_code=language,
                                          catalogue=self._catalogue())
        except InvalidField as exc:
            name = "language" if exc.field == "language_code" else "voice"
            raise InvalidField(name, exc.message) from None
        utterance = Utterance((SpeechPart(words),), voice, prosody)
        await self._apply(account, call_uuid, lambda: LiveActionRequested(
            "speak", self._clock(), utterance=utterance, loop=loop))

    async def stop(self, account: Account, call_uuid: str,
                   what: Literal["play", "speak", "record"]) -> None:
        await self._apply(account, call_uuid,
                          lambda: LiveActionRequested(f"stop_{what}", self._clock()))

    async def send_digits(self, account: Account, call_uuid: str, params: Params) -> None:
        digits = digits_param(params, "digits")
        legs_param(params, "leg")
        legs_param(params, "legs")
        refuse_if_given(params, "callback_url", "callback_method")
        await self._apply(account, call_uuid,
                          lambda: LiveActionRequested("dtmf", self._clock(), digits=digits))

    async def record(self, account: Account, call_uuid: str, params: Params) -> str:
        """Start recording the call; returns the recording's name."""
        file_format = text(params, "file_format", max_length=8).lower()
        if file_format not in ("", "wav"):
            refuse("file_format", "file_format must be wav (recordings are WAV files)")
        refuse_if_given(params, "time_limit", "transcription_type", "transcription_url",
                        "transcription_method", "transcription_report_type", "callback_url",
                        "callback_method", "record_channel_type")
        call = await self._apply(account, call_uuid,
                                 lambda: LiveActionRequested("record", self._clock()))
        prefix = f"{call.request_id}-api-rec"
        names = [name for name in call.recordings if name.startswith(prefix)]
        if not names:
            raise Rejected("the call is not in progress; it cannot be recorded now")
        return names[-1]

    async def _apply(self, account: Account, call_uuid: str,
                     make_event: Callable[[], CallEvent], *, need_program: bool = True
                     ) -> Call:
        uuid = call_uuid.strip().lower()
        live = self.live_call(account, uuid)
        if live is None:
            raise NotFound("call not found", code="call_not_found")
        if need_program and (live.program is None or live.program.outcome is not None):
            raise Rejected("the call is not in progress (not answered yet, or ending)",
                           code="call_not_in_progress")
        return await self._control.request(account.account_id, uuid,
                                           lambda _channel: make_event())


def refuse_if_given(params: Params, *names: str) -> None:
    """``InvalidField`` for the first of ``names`` present: Plivo has it, this engine not."""
    for name in names:
        value: Any = params.get(name)
        if value not in (None, ""):
            refuse(name, f"{name} is not supported by this engine")
