"""The single consumer of Asterisk events."""

from __future__ import annotations

import asyncio
import logging

from engine.ari.client import AriClient
from engine.ari.events import AriEvent, ChannelDestroyed, StasisEnd, StasisStart

log = logging.getLogger(__name__)


class EventRouter:
    """Consumes ARI events in order and keeps the engine's view of live channels true."""

    def __init__(self, ari: AriClient) -> None:
        self._ari = ari
        self._queue: asyncio.Queue[AriEvent] = asyncio.Queue()
        self._channels: dict[str, str] = {}

    def deliver(self, event: AriEvent) -> None:
        self._queue.put_nowait(event)

    async def reconcile(self) -> None:
        """After every (re)connect: forget channels Asterisk no longer has."""
        live = {channel.id for channel in await self._ari.list_channels()}
        for channel_id in [c for c in self._channels if c not in live]:
            log.info("channel vanished while disconnected", extra={"channel": channel_id})
            del self._channels[channel_id]

    def live_call_count(self) -> int:
        return len(self._channels)

    async def run(self) -> None:
        while True:
            event = await self._queue.get()
            if isinstance(event, StasisStart):
                self._channels[event.channel.id] = event.channel.name
            elif isinstance(event, StasisEnd | ChannelDestroyed):
                self._channels.pop(event.channel.id, None)
