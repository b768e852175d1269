"""The webhook delivery store and dispatcher on the real PostgreSQL: two dispatchers never
deliver one callback twice, leases of a dead engine run out, every attempt is logged,
NOTIFY wakes a listener."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from engine.ari.backoff import Backoff
from engine.devstack.stack import Stack
from engine.domain.call import Call, CallState, Leg, LegState, Origin, Role
from engine.domain.commands import Notify
from engine.domain.ids import new_call_uuid
from engine.domain.numbers import External
from engine.domain.plivo.options import ApiCallOptions, Webhook
from engine.domain.voices import VoiceCatalogue
from engine.plivo_assembly import PlivoAssembly
from engine.services.accounts import AccountService
from engine.settings import Settings
from engine.store.accounts import AccountRepository
from engine.store.calls import CallRepository
from engine.store.db import Database
from engine.store.webhooks import AttemptOutcome, WebhookRepository
from engine.webhooks.addresses import AddressPolicy
from engine.webhooks.dispatcher import WebhookDispatcher
from engine.webhooks.guard import GuardedHttp, UrlPolicy
from tests.integration.webhook_server import WebhookServer

pytestmark = pytest.mark.integration


@pytest.fixture
async def scratch(stack: Stack, settings: Settings) -> AsyncIterator[Database]:
    """A database of its own, migrated, that no engine uses."""
    name = f"webhooks_{int(time.time() * 1000)}"
    admin = await asyncpg.connect(settings.dsn)
    db: Database | None = None
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        dsn = settings.dsn.rsplit("/", 1)[0] + "/" + name
        db = Database(dsn, min_size=1, max_size=12, backoff=Backoff(0.1, 1.0))
        await db.connect_once()
        yield db
    finally:
        if db is not None:
            await db.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


def callback(n: int, url: str = "http://127.0.0.1:9/x") -> Notify:
    return Notify("acct", f"call-{n % 3}", "hangup", url, "post", {"N": str(n)})


async def test_concurrent_claims_never_share_a_delivery(scratch: Database) -> None:
    repo = WebhookRepository(scratch)
    for n in range(60):
        await repo.enqueue(callback(n))
    claims = await asyncio.gather(*(repo.claim_due(f"w{i}", 60, 7) for i in range(10)))
    ids = [d.delivery_id for rows in claims for d in rows]
    assert len(ids) == len(set(ids)) == 60
    assert all(d.state == "delivering" and d.attempts == 1 for rows in claims for d in rows)
    assert await repo.claim_due("late", 60, 10) == []


async def test_a_dead_engines_lease_runs_out_and_only_the_claimer_settles(
        scratch: Database) -> None:
    repo = WebhookRepository(scratch)
    await repo.enqueue(callback(1))
    (first,) = await repo.claim_due("dead", 0.2, 10)
    assert await repo.claim_due("alive", 30, 10) == []
    await asyncio.sleep(0.3)
    (again,) = await repo.claim_due("alive", 30, 10)
    assert (again.delivery_id, again.attempts) == (first.delivery_id, 2)
    now = datetime.now(UTC)
    assert not await repo.settle(first, "dead", AttemptOutcome(now, None, "late", "failed"))
    assert await repo.settle(again, "alive", AttemptOutcome(now, 200, "", "delivered"))
    (row,) = await repo.deliveries("acct", "call-1")
    assert (row.state, row.attempts, row.last_status) == ("delivered", 2, 200)
    assert [(a.attempt, a.status, a.error) for a in row.attempt_log] == [
        (1, None, "late"), (2, 200, "")]


async def test_a_retry_waits_its_delay(scratch: Database) -> None:
    repo = WebhookRepository(scratch)
    await repo.enqueue(callback(1))
    (row,) = await repo.claim_due("w", 30, 10)
    await repo.settle(row, "w", AttemptOutcome(datetime.now(UTC), 500, "HTTP 500", "pending",
                                               30.0))
    assert await repo.claim_due("w", 30, 10) == []
    until = await repo.seconds_to_next_due()
    assert until is not None and 25 < until <= 30


async def test_notify_wakes_a_listener(scratch: Database) -> None:
    repo = WebhookRepository(scratch)
    woke = asyncio.Event()
    async with repo.listen(woke.set) as alive:
        assert alive()
        await repo.enqueue(callback(1))
        await asyncio.wait_for(woke.wait(), 10)


async def test_two_dispatchers_deliver_each_callback_once(
        scratch: Database, webhooks: WebhookServer) -> None:
    repo = WebhookRepository(scratch)
    url = webhooks.serve("/status", 500, 200)  # the first answer fails once, then all pass
    for n in range(40):
        await repo.enqueue(callback(n, url))

    async def no_token(account_id: str) -> str | None:
        return None

    https = [GuardedHttp(UrlPolicy(AddressPolicy(allow_loopback=True))) for _ in range(2)]
    dispatchers = [WebhookDispatcher(repo, h, no_token, max_attempts=3, worker_id=f"d{i}",
                                     retry_base_seconds=0.2, concurrency=8)
                   for i, h in enumerate(https)]
    tasks = [asyncio.create_task(d.run()) for d in dispatchers]
    try:
        await webhooks.wait_for("/status", 41, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = [r for n in range(3) for r in await repo.deliveries("acct", f"call-{n}")]
            if all(r.state == "delivered" for r in rows):
                break
            await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for h in https:
            await h.close()
    assert len(rows) == 40 and all(r.state == "delivered" for r in rows)
    sent = [r.params["N"] for r in webhooks.requests_to("/status")]
    assert len(sent) == 41 and len(set(sent)) == 40  # one retried, none delivered twice
    retried = [r for r in rows if r.attempts == 2]
    assert len(retried) == 1
    assert [(a.status, a.error) for a in retried[0].attempt_log] == [(500, "HTTP 500"),
                                                                       (200, "")]


async def test_a_hangup_callback_a_stopped_engine_owed_is_recorded_once(
        scratch: Database, settings: Settings) -> None:
    """An API call ended (its last snapshot stored) but its hangup callback was never
    recorded, as when the engine dies in between: the next engine records it, once."""
    calls, repo = CallRepository(scratch), WebhookRepository(scratch)
    accounts = AccountService(AccountRepository(scratch))
    await accounts.create("account_1", "token-1")
    hook = "http://127.0.0.1:9/hangup"
    ended = ended_api_call(hook)
    told = ended_api_call(hook)
    await calls.save(ended)
    await calls.save(told)
    await repo.enqueue(Notify("account_1", told.request_id, "hangup", hook, "POST", {}))
    assembly = PlivoAssembly(settings, scratch, accounts,
                             lambda: VoiceCatalogue(()), backoff=lambda: Backoff(0.1, 1.0))
    try:
        await assembly.recover_hangups(datetime.now(UTC))
        await assembly.recover_hangups(datetime.now(UTC))  # a second engine, or a restart
    finally:
        await assembly.close()
    (owed,) = await repo.deliveries("account_1", ended.request_id)
    assert (owed.kind, owed.url, owed.state) == ("hangup", hook, "pending")
    assert owed.params["CallUUID"] == ended.request_id
    assert owed.params["HangupCause"] == "NORMAL_CLEARING"
    assert len(await repo.deliveries("account_1", told.request_id)) == 1


def ended_api_call(hangup_url: str) -> Call:
    at = datetime.now(UTC) - timedelta(minutes=5)
    uuid = new_call_uuid()
    leg = Leg(Role.CUSTOMER, External("15162011000"), f"{uuid}.1", LegState.GONE, at,
              answered_at=at, ended_at=at + timedelta(seconds=20), hangup_cause=16,
              dial_status="ANSWER")
    options = ApiCallOptions("15168148111", "15162011000", Webhook("http://127.0.0.1:9/a"),
                             hangup=Webhook(hangup_url))
    return Call(request_id=uuid, account_id="account_1", origin=Origin.API,
                state=CallState.ENDED, caller_id="15168148111", created_at=at,
                customer=External("15162011000"), legs=(leg,), api=options,
                ended_at=at + timedelta(seconds=20), legs_dialled=1)
