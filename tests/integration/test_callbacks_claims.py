"""The callback claim query on the real PostgreSQL: concurrent claims and leases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from engine.devstack.stack import Stack
from engine.settings import Settings
from engine.store.migrate import apply_migrations
from engine.store.queries import Queries

pytestmark = pytest.mark.integration
LEASE_SECONDS = 30.0


@pytest.fixture
async def scratch_db(stack: Stack, settings: Settings) -> AsyncIterator[str]:
    """A database of its own, migrated, that no running engine schedules from."""
    name = f"claims_{int(time.time() * 1000)}"
    admin = await asyncpg.connect(settings.dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        dsn = settings.dsn.rsplit("/", 1)[0] + "/" + name
        conn = await asyncpg.connect(dsn)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        yield dsn
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def test_concurrent_claims_never_return_the_same_row(scratch_db: str) -> None:
    queries = Queries()
    setup = await asyncpg.connect(scratch_db)
    ids = [f"{n:010x}" for n in range(300)]
    await setup.execute("INSERT INTO accounts (account_id, token_salt, token_hash) "
                        "VALUES ('acct', 'x', 'y')")
    await setup.executemany(
        "INSERT INTO callbacks (request_id, account_id, agent_number, caller_id, "
        "destination_number, recording_option, time_zone, scheduled_at, due_at, status) "
        "VALUES ($1, 'acct', '101', '1', '2', 'off', 'UTC', '', now() - interval '1 s', "
        "'scheduled')", [(i,) for i in ids])

    async def claimer(worker: str) -> list[str]:
        conn = await asyncpg.connect(scratch_db)
        got: list[str] = []
        try:
            while True:
                async with conn.transaction():
                    rows = await conn.fetch(queries["claim_due_callbacks"], worker,
                                            LEASE_SECONDS, 3)
                    await asyncio.sleep(0.001)  # hold the locks a moment: overlap the claims
                if not rows:
                    return got
                got += [r["request_id"] for r in rows]
        finally:
            await conn.close()

    results = await asyncio.gather(*(claimer(f"w{n}") for n in range(8)))
    claimed = [request_id for result in results for request_id in result]
    assert sorted(claimed) == ids  # every row exactly once
    assert sum(1 for r in results if r) > 1  # they really competed
    by = await setup.fetch("SELECT claimed_by, count(*) FROM callbacks GROUP BY 1")
    assert sum(r["count"] for r in by) == 300 and all(r["claimed_by"] for r in by)

    # Leases: a stale claim without a call is claimed again, once; one with a call never is.
    await setup.execute("UPDATE callbacks SET claimed_at = now() - interval '1 hour' "
                        "WHERE request_id IN ($1, $2)", ids[0], ids[1])
    await setup.execute(
        "INSERT INTO calls (request_id, account_id, origin, state, snapshot) "
        "VALUES ($1, 'acct', 'callback', 'ended', '{}')", ids[1])
    again = await setup.fetch(queries["claim_due_callbacks"], "w9", LEASE_SECONDS, 10)
    assert [r["request_id"] for r in again] == [ids[0]]
    assert await setup.fetch(queries["claim_due_callbacks"], "w9", LEASE_SECONDS, 10) == []
    wait = await setup.fetchval(queries["seconds_to_next_due"], LEASE_SECONDS)
    assert 25 < wait <= LEASE_SECONDS
    await setup.close()
