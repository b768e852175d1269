"""What happened while the engine was not listening: Asterisk's view, gathered at the edge.

On every ARI (re)connect the router needs three facts, all from Asterisk: which channels
still exist, when the PBX last started (did it restart under our calls?), and the CEL
lifetimes of the legs that vanished. Gathering them is I/O, so it happens here, outside the
router's loop; the router then applies them with the pure ``witnessed_end``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.ari.client import AriClient
from engine.calls.witness import CelWitness
from engine.domain.call import Call
from engine.domain.errors import EngineError
from engine.domain.witness import ChannelLifetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AsteriskView:
    """Asterisk's answer to "what happened while we were apart?"."""

    live_channel_ids: frozenset[str]
    taken_at: datetime
    pbx_started_at: datetime | None = None
    # When the engine lost the PBX (ARI connection lost); None after an engine restart.
    lost_at: datetime | None = None
    lifetimes: dict[str, ChannelLifetime] = field(default_factory=dict)

    def pbx_restarted_since(self, moment: datetime) -> bool:
        return self.pbx_started_at is not None and self.pbx_started_at > moment

    def lost_sight_at(self, pbx_restarted: bool) -> datetime:
        """Best knowledge of when a leg with no recorded end was lost."""
        if self.lost_at is not None:
            return self.lost_at
        if pbx_restarted and self.pbx_started_at is not None:
            return self.pbx_started_at
        return self.taken_at


class AsteriskObserver:
    """Takes Asterisk's view for the router (``GET /channels``, ``/asterisk/info``, CEL)."""

    def __init__(self, ari: AriClient, witness: CelWitness) -> None:
        self._ari = ari
        self._witness = witness
        self._lost_at: datetime | None = None

    def connection_lost(self) -> None:
        """The ARI connection dropped: from now on, ends are not seen as they happen."""
        if self._lost_at is None:
            self._lost_at = datetime.now(UTC)

    async def view(self, calls: Callable[[], Iterable[Call]]) -> AsteriskView:
        taken_at = datetime.now(UTC)
        live = frozenset(channel.id for channel in await self._ari.list_channels())
        started_at = await self._pbx_started_at()
        vanished = {leg.channel_id: leg.created_at
                    for call in calls() for leg in call.live_legs()
                    if leg.channel_id not in live and leg.created_at < taken_at}
        lifetimes: dict[str, ChannelLifetime] = {}
        if vanished:
            lifetimes = await self._witness.lifetimes(set(vanished), min(vanished.values()))
        lost_at, self._lost_at = self._lost_at, None
        return AsteriskView(live, taken_at, started_at, lost_at, lifetimes)

    async def _pbx_started_at(self) -> datetime | None:
        try:
            info = await self._ari.asterisk_info()
        except EngineError as exc:
            log.warning("PBX start time unknown", extra={"error": exc.message})
            return None
        return info.status.startup_time if info.status is not None else None


ViewTaker = Callable[[Callable[[], Iterable[Call]]], Awaitable[AsteriskView]]
