"""The parts of multi-party calls, built for the composition root (``daemon.py``).

The bridge executor (``calls.multiparty_bridge``) is made with the router's command
executors and takes the conference joins of member legs; the service and its API routes
are made once the router exists; ARI events reach the bridges through the conference
executor's ``observe``. ``daemon.py`` supervises ``run`` once the database is up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from engine.api.auth import Authenticator
from engine.api.plivo.multiparty import MultipartyResources
from engine.api.routes import ResourceGroup
from engine.ari.client import AriClient
from engine.calls.conferences import Conferences
from engine.calls.executors import Feedback
from engine.calls.multiparty_bridge import AriMultipartyOps, CallKey, MultipartyBridges
from engine.calls.router import CallRouter
from engine.domain.call import Call, Origin
from engine.domain.multiparty.members import Member
from engine.services.click2call import TelephonyRules
from engine.services.multiparty import AgentPresence, MultipartyService
from engine.settings import Settings
from engine.store.db import Database
from engine.store.multiparty import AdoptableMember, MultipartyRepository


class MultipartyAssembly:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self.repo = MultipartyRepository(db)
        self.bridges: MultipartyBridges | None = None
        self.service: MultipartyService | None = None
        self._router: CallRouter | None = None
        self._started_at = datetime.now(UTC)

    def register_executors(self, conferences: Conferences | None, feedback: Feedback,
                           ari: AriClient) -> None:
        """Member legs' joins go to the multi-party bridges before the conference roster."""
        bridges = MultipartyBridges(AriMultipartyOps(ari), feedback, save=self._save,
                                    save_recording=self._save_recording,
                                    hang_up=self._hang_up)
        if conferences is None:
            raise RuntimeError("multi-party calls need the conference executor")
        conferences.divert_to(bridges.join, bridges.observe)
        self.bridges = bridges

    def resources(self, router: CallRouter, authenticator: Authenticator, *,
                  asterisk_up: Callable[[], bool],
                  presence: AgentPresence | None,
                  record_refused: Callable[[Call], Awaitable[None]] | None,
                  ) -> Sequence[ResourceGroup]:
        """The service and its routes; ``presence`` (the AMI agent directory) refuses
        agent extensions known to be unregistered, their CDR saved by ``record_refused``."""
        s = self._settings
        if self.bridges is None:
            raise RuntimeError("the multi-party executor is not registered yet")
        service = MultipartyService(
            self.repo, self.bridges, router,
            TelephonyRules(s.agent_extensions, s.default_region),
            asterisk_up=asterisk_up, recordings_dir=s.recordings_dir,
            presence=presence, record_refused=record_refused)
        router.on_finished(service.on_call_finished)
        self.service = service
        self._router = router
        return (MultipartyResources(service, authenticator),)

    async def run(self) -> None:
        """The supervised task, once the router has restored its calls: members whose calls
        are still live are taken back into their bridges, the others a stopped engine held
        have left; then it waits, and on shutdown cancels the bridges' pending work."""
        adopted = await self._adopt()
        await self.repo.close_stale_members(self._started_at, adopted)
        try:
            await asyncio.Event().wait()
        finally:
            if self.bridges is not None:
                await self.bridges.close()

    async def _adopt(self) -> list[str]:
        """Take back the members of restored live calls; their request ids."""
        if self._router is None or self.bridges is None:
            return []
        restored = {c.request_id: c for c in self._router.live_calls_of(Origin.API)
                    if c.multiparty}
        channels = {request_id: _member_channel(c) for request_id, c in restored.items()}
        found = await self.repo.adoptable_members(list(channels))
        calls: dict[CallKey, list[AdoptableMember]] = {}
        for adoptable in found:
            calls.setdefault(adoptable.key, []).append(adoptable)
        for key, members in calls.items():
            first = members[0]
            await self.bridges.adopt(key, first.account_id, first.record, first.session, [
                (m.member, channels[m.member.request_id]) for m in members])
        # A call that ended while its member was looked up: it leaves now.
        live = {c.request_id for c in self._router.live_calls_of(Origin.API)}
        for request_id in [m.member.request_id for m in found if m.member.request_id not in live]:
            await self.bridges.call_finished(restored[request_id])
        return [m.member.request_id for m in found]

    async def _save(self, key: CallKey, session: str, member: Member) -> None:
        await self.repo.save_member(key[0], key[1], member, session)

    async def _save_recording(self, key: CallKey, name: str) -> None:
        await self.repo.add_recording(key[0], key[1], name)

    async def _hang_up(self, account_id: str, request_id: str) -> None:
        if self.service is not None:
            await self.service.hang_up(account_id, request_id)


def _member_channel(call: Call) -> str | None:
    """The channel of a member call's live leg (None once it is gone)."""
    legs = call.live_legs()
    return legs[0].channel_id if legs else None
