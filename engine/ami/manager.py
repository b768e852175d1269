"""panoramisk 1.4's Manager, tamed so that :class:`engine.ami.client.AmiClient` supervises.

Left alone, panoramisk 1.4 fights an outer supervisor:

- It reconnects by itself (``call_later(reconnect_timeout, connect)``) after a lost or a
  refused connection, and there is no option to turn that off.
- It pings on its own timer and ignores the answers, so it never notices a dead peer.
- Actions pending when the link drops are queued and re-sent after the next login
  (on ``FullyBooted``). For call control that is dangerous: a Hangup or Redirect from
  before an outage would run minutes later on whatever the channel is by then. Their
  futures also never resolve, so callers would hang.
- That re-send is an async event callback started with ``ensure_future`` and no reference.

So this subclass connects once (awaitably, raising on failure), never pings, never
reconnects, fails every pending action with Unavailable when the link drops, and has
exactly one synchronous ``'*'`` event callback. One instance serves one connection; the
client builds a fresh one, inside the running loop, for every attempt.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol

from engine.domain.errors import Unavailable


class _Protocol(AMIProtocol):  # type: ignore[misc]  # panoramisk is untyped
    """AMIProtocol wired to its manager on connect, and failing pending actions on close."""

    def __init__(self, manager: SupervisedManager) -> None:
        super().__init__()
        self._manager = manager

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        # Wired here, synchronously, so that no data can arrive before the protocol
        # knows its manager (panoramisk wires it later, from a done-callback).
        self._manager.attach(self)

    def close(self) -> None:
        # Take the pending actions first: panoramisk would queue them for re-sending after
        # the next login (and log each one, Login's Secret included).
        pending = [action.future for action in self.responses.values()]
        self.responses.clear()
        super().close()
        for future in pending:
            if not future.done():
                future.set_exception(Unavailable("AMI connection closed"))


class SupervisedManager(Manager):  # type: ignore[misc]  # panoramisk is untyped
    """One AMI connection; ``lost`` is set once it is closed or drops."""

    def __init__(
        self, host: str, port: int, on_event: Callable[[Any], None], encoding: str = "utf8"
    ) -> None:
        super().__init__(host=host, port=port, loop=asyncio.get_running_loop(),
                         encoding=encoding)
        # Manager.__init__ registered its async FullyBooted re-sender; we want none of it.
        self.callbacks.clear()
        self.patterns.clear()
        self.register_event("*", lambda _manager, message: on_event(message))
        self.lost = asyncio.Event()

    async def open(self) -> None:
        """Open the TCP connection; raises OSError when Asterisk is not there."""
        await self.loop.create_connection(
            lambda: _Protocol(self), self.config["host"], self.config["port"],
            ssl=self.config["ssl"],
        )

    def attach(self, protocol: _Protocol) -> None:
        """What panoramisk's ``connection_made`` does, minus its pinger and auto-login."""
        protocol.queue = deque()
        protocol.factory = self
        protocol.log = self.log
        protocol.config = self.config
        protocol.encoding = self.encoding = self.config["encoding"]
        self.responses = protocol.responses = {}
        self.protocol = protocol
        self._connected = True

    @property
    def is_open(self) -> bool:
        return bool(self._connected) and not self.lost.is_set()

    def connection_lost(self, exc: object) -> None:
        """Called by the protocol when the peer drops us; never reconnects."""
        self._connected = False
        self.lost.set()

    def close(self) -> None:
        """Close the connection; pending actions fail with Unavailable."""
        super().close()
        self._connected = False
        self.lost.set()
