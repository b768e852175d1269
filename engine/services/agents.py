"""The live agent directory: presence folded from the PBX's AMI, asked synchronously.

:meth:`AgentDirectory.run` reads the AMI client's events (which must carry the client's
connection markers and the events of :data:`engine.domain.agents.PRESENCE_EVENTS`). After
every login it asks for ``PJSIPShowContacts`` and ``DeviceStateList``, so presence is right
again after an outage, whatever changed meanwhile.

Anyone about to dial an agent asks :meth:`AgentDirectory.registered`: it is False only
when the engine *knows* that the extension has no registered softphone. While the AMI is
down or has not finished its first listing, presence is unknown and nothing is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from engine.ami.messages import CONNECTED, DISCONNECTED, AmiEvent, AmiResponse, HeaderValue
from engine.domain import agents
from engine.domain.accounts import Account
from engine.domain.agents import AgentPresence
from engine.domain.errors import EngineError, Rejected

log = logging.getLogger(__name__)

# Answered by events (ContactList…, DeviceStateChange…) that the fold reads.
_SYNC_ACTIONS = ("PJSIPShowContacts", "DeviceStateList")


class PresenceSource(Protocol):
    """The AMI client as the directory uses it (``AmiClient`` with ``markers=True``)."""

    @property
    def events(self) -> _EventQueue: ...

    async def action(self, name: str, fields: dict[str, HeaderValue]) -> AmiResponse: ...


class _EventQueue(Protocol):
    async def get(self) -> AmiEvent: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AgentDirectory:
    """Presence of the agent extensions, current as of the last AMI event read."""

    def __init__(self, extensions: Iterable[str], *,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self._clock = clock
        self._presence = agents.initial(extensions, clock())

    @property
    def known(self) -> bool:
        """True once a contact listing completed on the current AMI connection."""
        return self._presence.known

    def registered(self, extension: str) -> bool:
        """False only if ``extension`` is known to have no registered softphone.

        Unknown presence (AMI down, first listing not complete) and extensions that are
        not agent extensions answer True: the caller dials as it would without presence."""
        return not agents.refuses(self._presence, extension)

    def listing(self, account: Account) -> list[AgentPresence]:
        """The account's agent extensions, in extension order.

        Agent extensions are the engine's (``ENGINE_AGENT_EXTENSIONS``), shared by every
        account, exactly as click2call accepts them from every account."""
        return sorted(self._presence.agents.values(), key=lambda agent: agent.extension)

    def apply(self, event: AmiEvent) -> bool:
        """Fold one event in; True if it is a new connection (time to ask for a listing)."""
        now = self._clock()
        if event.name == CONNECTED:
            self._presence = agents.connected(self._presence, now)
            return True
        if event.name == DISCONNECTED:
            self._presence = agents.disconnected(self._presence, now)
        else:
            self._presence = agents.fold(self._presence, event, now)
        return False

    async def run(self, source: PresenceSource) -> None:
        """Follow ``source`` until cancelled. Presence is an aid, never a reason to stop
        the engine: an event it cannot fold is logged and skipped."""
        while True:
            event = await source.events.get()
            try:
                connected = self.apply(event)
            except Exception:
                log.exception("could not fold an AMI event into agent presence",
                              extra={"ami_event": event.name})
                continue
            if connected:
                await self._ask_listing(source)

    async def _ask_listing(self, source: PresenceSource) -> None:
        for action in _SYNC_ACTIONS:
            try:
                await source.action(action, {})
            except EngineError as exc:
                if _no_contacts(action, exc):
                    # Not one softphone is registered: Asterisk says so instead of listing.
                    self._presence = agents.no_contacts(self._presence, self._clock())
                    continue
                # The link dropped again (its marker follows), or the PBX refuses: presence
                # stays unknown, which refuses nothing.
                log.warning("agent presence listing failed",
                            extra={"ami_action": action, "error": exc.message})
                return


def _no_contacts(action: str, exc: EngineError) -> bool:
    return (action == "PJSIPShowContacts" and isinstance(exc, Rejected)
            and "no contacts" in exc.message.lower())
