"""One call's worker: carries out its commands in order and keeps its newest snapshot.

Commands go first: a call never waits for the database to progress. Snapshots that follow
each other coalesce; the newest is saved whenever the worker has nothing else to do. While
the database is away, every newer snapshot is journaled at once and the save is retried
with backoff. The first snapshot of a new call is the exception: it is made durable before
any command runs, so a crash never leaves a dialled number the engine has no record of.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from engine.ari.backoff import Backoff
from engine.calls.executors import CommandExecutors
from engine.calls.outbox import SnapshotOutbox
from engine.domain.call import Call
from engine.domain.commands import Command
from engine.logs import channel_var, request_id_var


@dataclass(frozen=True)
class PersistFirst:
    """A new call's first snapshot: durable (stored or journaled) before its commands."""

    call: Call


WorkItem = Call | PersistFirst | Command | None  # None: the call is over


class CallWorker:
    def __init__(self, request_id: str, outbox: SnapshotOutbox, executors: CommandExecutors,
                 retry: Backoff, *, done: Callable[[CallWorker], None],
                 settled: Callable[[Call], Awaitable[None]]) -> None:
        self.request_id = request_id
        self.queue: asyncio.Queue[WorkItem] = asyncio.Queue()
        self.last: Call | None = None  # the newest snapshot seen
        self.finished = False
        self._outbox = outbox
        self._executors = executors
        self._retry = retry
        self._done = done
        self._settled = settled
        self._unsaved: Call | None = None
        self._retrying = False
        self.task = asyncio.create_task(self._run(), name=f"call-{request_id}")

    @property
    def settled(self) -> bool:
        """Over, and its final snapshot is stored (not only journaled)."""
        return self.finished and self._unsaved is None

    def put(self, item: WorkItem) -> None:
        self.queue.put_nowait(item)

    async def _run(self) -> None:
        request_id_var.set(self.request_id)
        try:
            while not (self.finished and self._unsaved is None):
                await self._save_when_idle()
                if self.finished and self._unsaved is None:
                    break
                delay = self._retry.next_delay() if self._retrying else None
                if self.finished:  # nothing else will come: retry while the DB is away
                    await asyncio.sleep(delay or 0)
                    self._retrying = False
                    continue
                try:
                    item = await asyncio.wait_for(self.queue.get(), delay)
                except TimeoutError:
                    self._retrying = False  # time to try the database again
                    continue
                await self._take(item)
        finally:
            if self._unsaved is not None:
                # Stopping before the database took it (shutdown): the journal keeps it.
                self._outbox.spool_now(self._unsaved)
            self._done(self)
        if self.settled and self.last is not None:
            # Right after the call left the live views, in this task: whoever sees it gone
            # finds its CDRs stored and its finished hooks under way.
            await self._settled(self.last)

    async def _save_when_idle(self) -> None:
        if self._unsaved is None or self._retrying or not self.queue.empty():
            return
        if await self._outbox.save(self._unsaved):
            self._unsaved = None
            self._retry.reset()
        else:
            self._retrying = True

    async def _take(self, item: WorkItem) -> None:
        if item is None:
            self.finished = True
        elif isinstance(item, PersistFirst):
            self.last = self._unsaved = item.call
            if await self._outbox.save(item.call):  # else it is journaled: durable too
                self._unsaved = None
            else:
                self._retrying = True
        elif isinstance(item, Call):
            self.last = self._unsaved = item
            if self._retrying:  # the database is away: keep the newest state durable now
                await self._outbox.spool(item)
        else:
            channel_var.set(getattr(item, "channel_id", None))
            await self._executors.execute(self.request_id, item)
