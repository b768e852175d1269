"""The account-limits store on the real PostgreSQL: limits, the queue bound, concurrent
claims (SKIP LOCKED), order, leases, and what a restarted engine finds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from engine.ari.backoff import Backoff
from engine.devstack.stack import Stack
from engine.settings import Settings
from engine.store.call_limits import CallLimitsRepository, StoredLimits
from engine.store.db import Database

pytestmark = pytest.mark.integration
LEASE = 30.0


@pytest.fixture
async def scratch(stack: Stack, settings: Settings) -> AsyncIterator[Database]:
    """A database of its own, migrated (by Database.connect_once), no engine uses it."""
    name = f"limits_{int(time.time() * 1000)}"
    admin = await asyncpg.connect(settings.dsn)
    db: Database | None = None
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        dsn = settings.dsn.rsplit("/", 1)[0] + "/" + name
        db = Database(dsn, min_size=1, max_size=12, backoff=Backoff(0.1, 1.0))
        await db.connect_once()
        async with db.connection() as conn:
            await conn.execute("INSERT INTO accounts (account_id, token_salt, token_hash) "
                               "VALUES ('acct', 'x', 'y'), ('other', 'x', 'y')")
        yield db
    finally:
        if db is not None:
            await db.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


def uuid_of(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


async def test_limits_are_stored_per_account(scratch: Database) -> None:
    repo = CallLimitsRepository(scratch)
    assert await repo.get_limits("acct") == StoredLimits(None, None)
    assert await repo.get_limits("nobody") is None
    assert await repo.set_limits("acct", 1, None) == StoredLimits(1, None)
    assert await repo.set_limits("acct", None, 2.5) == StoredLimits(1, 2.5)
    assert await repo.set_limits("acct", None, None, queue_limit=0) == StoredLimits(1, 2.5, 0)
    assert await repo.set_limits("acct", None, None, reset=True) == StoredLimits(None, None)
    await repo.set_limits("acct", 3, 0.5, queue_limit=7)
    state = await repo.admission_state("acct")
    assert state.limits == StoredLimits(3, 0.5, 7) and state.queued == 0 and state.live == 0
    assert (await repo.admission_state("other")).limits == StoredLimits(None, None)


async def test_queue_bound_order_and_exactly_once_claims(scratch: Database) -> None:
    repo = CallLimitsRepository(scratch)
    for n in range(40):
        assert await repo.enqueue("acct", uuid_of(n), {"n": n}, 40)
    assert not await repo.enqueue("acct", uuid_of(99), {"n": 99}, 40)  # the bound
    assert await repo.enqueue("other", uuid_of(100), {"n": 100}, 40)  # per account
    assert (await repo.admission_state("acct")).queued == 40
    assert sorted(await repo.queued_accounts(LEASE)) == ["acct", "other"]

    first = await repo.claim_next("acct", "w0", LEASE)
    assert first is not None and first.snapshot == {"n": 0}  # oldest first

    async def claimer(worker: str) -> list[int]:
        got: list[int] = []
        while (row := await repo.claim_next("acct", worker, LEASE)) is not None:
            got.append(int(row.snapshot["n"]))
            await asyncio.sleep(0)
        return got

    results = await asyncio.gather(*(claimer(f"w{n}") for n in range(1, 9)))
    claimed = [n for result in results for n in result]
    assert sorted(claimed) == list(range(1, 40))  # every queued call exactly once
    assert sum(1 for r in results if r) > 1  # they really competed
    assert await repo.queued_accounts(LEASE) == ["other"]  # claimed rows wait for nobody


async def test_leases_restarts_cancel(scratch: Database) -> None:
    repo = CallLimitsRepository(scratch)
    for n in range(3):
        await repo.enqueue("acct", uuid_of(n), {"n": n}, 10)
    launched = await repo.claim_next("acct", "dead", LEASE)
    lost = await repo.claim_next("acct", "dead", LEASE)
    assert launched is not None and lost is not None
    async with scratch.connection() as conn:
        # The dead engine launched its first call (persisted) but not its second.
        await conn.execute("UPDATE api_call_queue SET claimed_at = now() - interval '1 hour' "
                           "WHERE claimed_by = 'dead'")
        await conn.execute("INSERT INTO calls (request_id, account_id, origin, state, "
                           "snapshot) VALUES ($1, 'acct', 'api', 'program', '{}')",
                           launched.request_id)
    assert await repo.cancel("acct", lost.request_id) is False  # claimed: not cancellable
    await repo.settle_launched()
    assert not await repo.is_queued("acct", launched.request_id)
    again = await repo.claim_next("acct", "new", LEASE)
    assert again is not None and again.request_id == lost.request_id  # claimed once more
    third = await repo.claim_next("acct", "new", LEASE)
    assert third is not None and third.request_id == uuid_of(2)
    assert await repo.claim_next("acct", "new", LEASE) is None  # fresh claims are held
    assert (await repo.admission_state("acct")).live == 1
    await repo.remove(again.seq)
    await repo.enqueue("acct", uuid_of(7), {"n": 7}, 10)
    assert await repo.is_queued("acct", uuid_of(7))
    assert not await repo.cancel("other", uuid_of(7))  # another account's: untouched
    assert await repo.cancel("acct", uuid_of(7))
    assert not await repo.is_queued("acct", uuid_of(7))


async def test_a_queued_call_notifies_listeners(scratch: Database) -> None:
    repo = CallLimitsRepository(scratch)
    woken = asyncio.Event()
    async with repo.listen(woken.set) as alive:
        assert alive()
        await repo.enqueue("acct", uuid_of(1), {}, 10)
        await asyncio.wait_for(woken.wait(), 10)
