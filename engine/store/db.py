"""The asyncpg pool, kept alive across PostgreSQL outages, with errors mapped once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from engine.ari.backoff import Backoff
from engine.domain.errors import TimedOut, Unavailable
from engine.store.migrate import apply_migrations
from engine.store.queries import Queries

log = logging.getLogger(__name__)

# What a pool hands out: a proxy that behaves as a connection.
Conn = asyncpg.Connection | PoolConnectionProxy

# Errors that mean "the database is not there right now", as opposed to a bad query.
_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)


class Database:
    """Owns the pool. ``run()`` connects (and reconnects) in the background; ``up`` tells."""

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int,
        max_size: int,
        backoff: Backoff,
        probe_interval: float = 2.0,
    ) -> None:
        self._dsn = dsn
        self._min_size = min_size
        self._max_size = max_size
        self._backoff = backoff
        self._probe_interval = probe_interval
        self._pool: asyncpg.Pool | None = None
        self._up = False
        self.queries = Queries()
        self.ready = asyncio.Event()

    @property
    def up(self) -> bool:
        return self._up and self._pool is not None

    async def connect_once(self) -> None:
        """Create the pool and apply migrations; raise if PostgreSQL is unreachable."""
        pool = await asyncpg.create_pool(
            self._dsn, min_size=self._min_size, max_size=self._max_size, command_timeout=30
        )
        async with pool.acquire() as conn:
            applied = await apply_migrations(conn)
        if applied:
            log.info("database migrated", extra={"migrations": applied})
        self._pool = pool
        self._up = True
        self.ready.set()

    async def run(self) -> None:
        """Connect with backoff, then probe; flip ``up`` as PostgreSQL comes and goes."""
        while self._pool is None:
            try:
                await self.connect_once()
                self._backoff.reset()
                log.info("database connected")
            except _UNAVAILABLE as exc:
                delay = self._backoff.next_delay()
                log.warning("database unavailable", extra={"error": str(exc), "retry_in": delay})
                await asyncio.sleep(delay)
        while True:
            await asyncio.sleep(self._probe_interval)
            await self._probe()

    async def _probe(self) -> None:
        assert self._pool is not None
        try:
            await self._pool.fetchval("SELECT 1", timeout=self._probe_interval)
        except (*_UNAVAILABLE, TimeoutError) as exc:
            if self._up:
                log.warning("database went down", extra={"error": str(exc)})
            self._up = False
            return
        if not self._up:
            log.info("database is back")
        self._up = True

    async def close(self) -> None:
        if self._pool is not None:
            await asyncio.wait_for(self._pool.close(), timeout=10)
            self._pool = None
        self._up = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        """A pooled connection; outages surface as Unavailable, never as driver errors."""
        if self._pool is None:
            raise Unavailable("database is not available")
        try:
            async with self._pool.acquire(timeout=10) as conn:
                yield conn
        except TimeoutError as exc:
            raise TimedOut("database did not answer in time") from exc
        except _UNAVAILABLE as exc:
            self._up = False
            raise Unavailable("database is not available") from exc

    @asynccontextmanager
    async def listen(self, channel: str,
                     wake: Callable[[], None]) -> AsyncIterator[Callable[[], bool]]:
        """Call ``wake()`` on every ``NOTIFY <channel>`` while the context is open.

        Holds one pooled connection for the whole time (LISTEN is per connection). Yields
        a function telling whether that connection is still alive; ``wake()`` is also
        called when it is lost, so the caller notices at once and listens again."""
        def on_event(*_: object) -> None:
            wake()

        async with self.connection() as conn:
            await conn.add_listener(channel, on_event)
            conn.add_termination_listener(on_event)
            try:
                yield lambda: not conn.is_closed()
            finally:
                if not conn.is_closed():
                    conn.remove_termination_listener(on_event)
                    await conn.remove_listener(channel, on_event)
