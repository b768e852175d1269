"""The durable outbox of call snapshots: nothing a call became is ever dropped.

A snapshot goes to PostgreSQL. If PostgreSQL refuses, the snapshot is spooled to the local
journal at once (fsync'd), so a crash after that point loses nothing, and the caller keeps
retrying for as long as the database is away. At start, before any call is restored, the
journal is replayed into PostgreSQL. Saves are idempotent and guarded by the call's
revision, so a replayed or late snapshot never overwrites a newer one.
"""

from __future__ import annotations

import asyncio
import logging

from engine.domain.call import Call
from engine.domain.errors import EngineError
from engine.store.call_codec import call_from_json, call_to_json
from engine.store.calls import CallRepository
from engine.store.journal import CallJournal

log = logging.getLogger(__name__)


class SnapshotOutbox:
    def __init__(self, repo: CallRepository, journal: CallJournal) -> None:
        self._repo = repo
        self._journal = journal
        self._lock = asyncio.Lock()
        # Journaled snapshots not yet stored: request id -> newest journaled revision.
        self._spooled: dict[str, int] = {}

    async def save(self, call: Call) -> bool:
        """One attempt to store ``call``; on failure it is journaled and False returned."""
        try:
            await self._repo.save(call)
        except Exception as exc:  # whatever the driver raised, the snapshot must not be lost
            message = exc.message if isinstance(exc, EngineError) else repr(exc)
            log.warning("call snapshot not stored yet; journaled",
                        extra={"error": message, "revision": call.revision})
            await self.spool(call)
            return False
        await self._stored(call)
        return True

    async def spool(self, call: Call) -> None:
        """Make ``call`` durable locally (the database is known to be away)."""
        if self._spooled.get(call.request_id, -1) >= call.revision:
            return
        async with self._lock:
            await asyncio.to_thread(self._journal.append, call_to_json(call))
            self._spooled[call.request_id] = call.revision

    def spool_now(self, call: Call) -> None:
        """``spool`` for a task being cancelled: blocking, and it cannot be interrupted."""
        if self._spooled.get(call.request_id, -1) < call.revision:
            self._journal.append(call_to_json(call))
            self._spooled[call.request_id] = call.revision

    async def _stored(self, call: Call) -> None:
        if self._spooled.get(call.request_id, call.revision + 1) <= call.revision:
            del self._spooled[call.request_id]
            if not self._spooled:
                async with self._lock:
                    if not self._spooled:  # nothing was spooled while we waited
                        await asyncio.to_thread(self._journal.clear)

    async def replay(self, retry_delay: float = 1.0) -> int:
        """Store every journaled snapshot (newest per call), then empty the journal.

        Runs at start, before the router restores live calls; waits for as long as the
        database refuses. Returns how many calls were replayed."""
        newest: dict[str, Call] = {}
        snapshots, end = await asyncio.to_thread(self._journal.read_with_end)
        for snapshot in snapshots:
            try:
                call = call_from_json(snapshot)
            except (KeyError, TypeError, ValueError) as exc:
                log.error("unreadable journal entry skipped", extra={"error": str(exc)})
                continue
            if call.revision >= newest.get(call.request_id, call).revision:
                newest[call.request_id] = call
        for call in newest.values():
            while True:
                try:
                    await self._repo.save(call)
                    break
                except EngineError as exc:
                    log.warning("journal replay waits for the database",
                                extra={"error": exc.message})
                    await asyncio.sleep(retry_delay)
        async with self._lock:
            # Calls may have journaled snapshots of their own meanwhile: keep those.
            await asyncio.to_thread(self._journal.discard_through, end)
        if newest:
            log.info("journal replayed", extra={"calls": len(newest)})
        return len(newest)
