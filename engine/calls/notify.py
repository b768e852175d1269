"""Status callbacks as a command: ``Notify`` in, a durable delivery recorded, nothing back.

The call's worker waits at most ``record_seconds`` for the delivery to be recorded; the
webhook dispatcher sends it later, off the call's path. While the database is away, the
callbacks wait in a bounded in-process backlog that is written as soon as it is back, so
an outage never wedges a call's worker (a backlog beyond its bound drops the oldest, and
an engine stopped meanwhile loses what it held: both are logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Protocol

from engine.ari.backoff import Backoff
from engine.calls.executors import CommandExecutors
from engine.domain.commands import Notify

log = logging.getLogger(__name__)


class DeliveryQueue(Protocol):
    """Where callbacks are recorded (``WebhookRepository`` fits)."""

    async def enqueue(self, callback: Notify) -> int: ...


class NotifyExecutor:
    def __init__(self, queue: DeliveryQueue, wake: Callable[[], None] | None = None, *,
                 record_seconds: float = 1.0, backlog_limit: int = 10_000,
                 backoff: Backoff | None = None) -> None:
        self._queue = queue
        self._wake = wake
        self._record_seconds = record_seconds
        self._backlog: deque[Notify] = deque()
        self._backlog_limit = backlog_limit
        self._backoff = backoff or Backoff(0.5, 10.0)
        self._tasks: set[asyncio.Task[None]] = set()
        self._flusher: asyncio.Task[None] | None = None

    def register(self, executors: CommandExecutors) -> None:
        executors.register(Notify, self.notify)

    @property
    def backlog(self) -> int:
        """Callbacks waiting for the database."""
        return len(self._backlog)

    async def notify(self, request_id: str, command: Notify) -> None:
        if not command.url:
            return
        task = asyncio.create_task(self._record(command), name=f"notify-{request_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # Shielded: a slow insert goes on (and backlogs itself if it fails) after we leave.
        await asyncio.wait([task], timeout=self._record_seconds)

    async def _record(self, command: Notify) -> None:
        if self._backlog:  # keep the order: behind what is already waiting
            self._hold(command)
            return
        try:
            await self._enqueue(command)
        except Exception as exc:
            log.warning("status callback kept in memory until the database is back",
                        extra={"webhook": command.kind, "error": type(exc).__name__})
            self._hold(command)

    async def _enqueue(self, command: Notify) -> None:
        await self._queue.enqueue(command)
        if self._wake is not None:
            self._wake()

    def _hold(self, command: Notify) -> None:
        if len(self._backlog) >= self._backlog_limit:
            dropped = self._backlog.popleft()
            log.error("status callback dropped: backlog full",
                      extra={"request_id": dropped.request_id, "webhook": dropped.kind})
        self._backlog.append(command)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="notify-backlog")

    async def _flush(self) -> None:
        while self._backlog:
            await asyncio.sleep(self._backoff.next_delay())
            while self._backlog:
                try:
                    await self._enqueue(self._backlog[0])
                except Exception:
                    break
                self._backlog.popleft()
                self._backoff.reset()
        self._backoff.reset()

    async def close(self) -> None:
        """Stop; what is still in the backlog is logged as lost."""
        if self._flusher is not None:
            self._flusher.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._backlog:
            log.error("status callbacks lost at shutdown (the database was away)",
                      extra={"count": len(self._backlog)})
