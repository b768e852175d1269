"""Click-to-call: dial the agent, then the destination, then bridge them.

An agent extension that presence knows to be unregistered is not dialled: the order fails
at once with :class:`~engine.domain.agents.AgentUnregistered` (HTTP 409), after the refused
call's CDR is recorded (see :func:`engine.domain.agents.refused_call`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from engine.calls.router import CallRouter
from engine.domain.accounts import Account
from engine.domain.agents import AgentUnregistered, refused_call
from engine.domain.call import Call, CallState, Origin, RecordingOption
from engine.domain.errors import InvalidField, Unavailable
from engine.domain.ids import new_request_id
from engine.domain.numbers import Extension, External, normalize_number, parse_party

# The seed's own example sends "recording_option":"on"; it means "record the call".
_RECORDING_ALIASES = {"on": RecordingOption.BOTH}


@dataclass(frozen=True)
class Click2CallOrder:
    agent_number: str
    caller_id: str
    destination_number: str
    recording_option: str = "off"
    transcript: str = "off"


@dataclass(frozen=True)
class TelephonyRules:
    extensions: tuple[str, ...]
    default_region: str


class AgentPresenceCheck(Protocol):
    """``engine.services.agents.AgentDirectory`` fits: False only for an extension known
    to be unregistered."""

    def registered(self, extension: str) -> bool: ...


class Click2CallService:
    def __init__(
        self, router: CallRouter, rules: TelephonyRules, *, asterisk_up: Callable[[], bool],
        can_transcribe: bool, presence: AgentPresenceCheck | None = None,
        record_refused: Callable[[Call], Awaitable[None]] | None = None,
    ) -> None:
        self._router = router
        self._rules = rules
        self._asterisk_up = asterisk_up
        self._can_transcribe = can_transcribe
        self._presence = presence
        self._record_refused = record_refused

    def build_call(
        self, account: Account, order: Click2CallOrder, now: datetime, *,
        origin: Origin = Origin.CLICK2CALL, request_id: str | None = None,
    ) -> Call:
        """Validate an order into a new call (pure apart from the request id)."""
        rules = self._rules
        agent = parse_party(order.agent_number, "agent_number", rules.extensions,
                            rules.default_region)
        customer = External(normalize_number(order.destination_number, "destination_number",
                                             rules.default_region))
        caller_id = normalize_number(order.caller_id, "caller_id", rules.default_region)
        option = order.recording_option.strip().lower()
        try:
            recording = _RECORDING_ALIASES.get(option) or RecordingOption(option)
        except ValueError:
            raise InvalidField("recording_option",
                               "recording_option must be one of both, agent, customer, off",
                               ) from None
        transcript = order.transcript.strip().lower()
        if transcript not in ("on", "off"):
            raise InvalidField("transcript", "transcript must be on or off")
        if transcript == "on" and not self._can_transcribe:
            raise InvalidField("transcript", "transcription is not installed on this engine "
                               "(install cpaas-engine[transcribe])",
                               code="transcription_unavailable")
        if transcript == "on" and recording is RecordingOption.OFF:
            recording = RecordingOption.BOTH  # a transcript needs the audio
        return Call(
            request_id=request_id or new_request_id(), account_id=account.account_id,
            origin=origin, state=CallState.DIALING_AGENT, caller_id=caller_id,
            agent=agent,
            customer=customer, created_at=now, recording=recording,
            transcript=transcript == "on",
        )

    async def start(self, account: Account, order: Click2CallOrder) -> str:
        """Place the call and return its request id at once."""
        return await self.place(account.account_id, order, origin=Origin.CLICK2CALL,
                                request_id=new_request_id())

    async def place(self, account_id: str, order: Click2CallOrder, *, origin: Origin,
                    request_id: str) -> str:
        """Place a click2call for ``account_id`` (the API's, or a scheduled callback's).

        The router makes the call's first snapshot durable before it dials anyone."""
        call = self.build_call(Account(account_id), order, datetime.now(UTC), origin=origin,
                               request_id=request_id)
        if not self._asterisk_up():
            raise Unavailable("Asterisk is not reachable right now")
        await self._refuse_unregistered_agent(call)
        await self._router.launch(call)
        return call.request_id

    async def _refuse_unregistered_agent(self, call: Call) -> None:
        """Record the refused call's CDR and raise AgentUnregistered if the agent is an
        extension known to be unregistered; unknown presence refuses nothing."""
        agent = call.agent
        if (self._presence is None or not isinstance(agent, Extension)
                or self._presence.registered(agent.number)):
            return
        if self._record_refused is not None:
            await self._record_refused(refused_call(call, datetime.now(UTC)))
        raise AgentUnregistered(agent.number, "agent_number", call.request_id)
