"""The callback scheduler's decisions against an in-memory store and a fake dialer.

The claim query itself (SKIP LOCKED, leases) is proven on PostgreSQL in
tests/integration/test_callbacks.py; here the store only mimics its contract.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from engine.ari.backoff import Backoff
from engine.domain.call import Origin
from engine.domain.callbacks import CallbackFields, CallbackStatus
from engine.domain.errors import InvalidField, Unavailable
from engine.services.callbacks import CallbackScheduler
from engine.services.click2call import Click2CallOrder
from engine.store.callbacks import CallbackRow

T = datetime(2026, 11, 23, tzinfo=UTC)
FIELDS = CallbackFields("101", "15168148111", "15168141000", "off", "UTC", "2027-01-01 00:00:00")


def row(request_id: str) -> CallbackRow:
    return CallbackRow(request_id, "account_1", FIELDS, T, CallbackStatus.SCHEDULED, None, None,
                       0, "", T, T, False)


@dataclass
class Entry:
    row: CallbackRow
    due: float
    claimed_at: float | None = None


class FakeStore:
    """Mimics CallbackRepository's scheduling contract on the event loop's clock."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.calls: set[str] = set()  # request ids whose call got persisted
        self.wake: Callable[[], None] | None = None
        self.down = 0  # how many more store calls fail as if PostgreSQL were down
        self.next_due_reads = 0
        self.listens = 0
        self.listening = False

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def add(self, request_id: str, in_seconds: float = 0.0) -> None:
        self.entries[request_id] = Entry(row(request_id), self.now() + in_seconds)
        if self.wake:
            self.wake()

    def status(self, request_id: str) -> CallbackStatus:
        return self.entries[request_id].row.status

    def _check(self) -> None:
        if self.down:
            self.down -= 1
            raise Unavailable("database is not available")

    def _claimable(self, e: Entry, lease: float) -> bool:
        if e.row.status is CallbackStatus.SCHEDULED:
            return e.due <= self.now()
        return (e.row.status is CallbackStatus.FIRED and e.row.request_id not in self.calls
                and e.claimed_at is not None and e.claimed_at <= self.now() - lease)

    async def claim_due(self, worker: str, lease_seconds: float,
                        limit: int) -> list[CallbackRow]:
        self._check()
        claimed: list[CallbackRow] = []
        for e in sorted(self.entries.values(), key=lambda e: e.due):
            if len(claimed) < limit and self._claimable(e, lease_seconds):
                e.row = replace(e.row, status=CallbackStatus.FIRED, claimed_by=worker,
                                attempts=e.row.attempts + 1)
                e.claimed_at = self.now()
                claimed.append(e.row)
        return claimed

    async def seconds_to_next_due(self, lease_seconds: float) -> float | None:
        self._check()
        self.next_due_reads += 1
        times = [e.due for e in self.entries.values() if e.row.status is CallbackStatus.SCHEDULED]
        times += [e.claimed_at + lease_seconds for e in self.entries.values()
                  if e.row.status is CallbackStatus.FIRED and e.claimed_at is not None
                  and e.row.request_id not in self.calls]
        return min(times) - self.now() if times else None

    def _unplaced(self, request_id: str, worker: str) -> Entry | None:
        e = self.entries[request_id]
        ok = (e.row.claimed_by == worker and e.row.status is CallbackStatus.FIRED
              and request_id not in self.calls)
        return e if ok else None

    async def retry(self, request_id: str, worker: str, delay_seconds: float,
                    reason: str) -> bool:
        self._check()
        e = self._unplaced(request_id, worker)
        if e is not None:
            e.row = replace(e.row, status=CallbackStatus.SCHEDULED, reason=reason,
                            claimed_by=None)
            e.due, e.claimed_at = self.now() + delay_seconds, None
        return e is not None

    async def fail_unplaced(self, request_id: str, worker: str, reason: str) -> bool:
        self._check()
        e = self._unplaced(request_id, worker)
        if e is not None:
            e.row = replace(e.row, status=CallbackStatus.FAILED, reason=reason)
        return e is not None

    async def fail_refused(self, request_id: str, reason: str) -> None:
        self._check()
        e = self.entries[request_id]
        if e.row.status is CallbackStatus.FIRED:
            e.row = replace(e.row, status=CallbackStatus.FAILED, reason=reason)

    async def settle_ended(self) -> None:
        self._check()

    @asynccontextmanager
    async def listen(self, wake: Callable[[], None]) -> AsyncIterator[Callable[[], bool]]:
        self._check()
        self.wake = wake
        self.listens += 1
        self.listening = True
        try:
            yield lambda: self.listening
        finally:
            self.wake = None


class FakeDialer:
    def __init__(self, store: FakeStore, fail: Exception | None = None) -> None:
        self.store = store
        self.fail = fail
        self.placed: list[tuple[str, Click2CallOrder, Origin, str, float]] = []

    async def place(self, account_id: str, order: Click2CallOrder, *, origin: Origin,
                    request_id: str) -> str:
        if self.fail is not None:
            raise self.fail
        self.store.calls.add(request_id)  # persisted before dialling, like the real one
        self.placed.append((account_id, order, origin, request_id, self.store.now()))
        return request_id


async def until(done: Callable[[], bool], task: asyncio.Task[None], timeout: float = 5.0) -> None:
    """Wait for ``done()``; fail at once if the scheduler task died, or after ``timeout``."""
    async with asyncio.timeout(timeout):
        while not done():
            if task.done():
                task.result()
                raise AssertionError("the scheduler stopped")
            await asyncio.sleep(0.01)


def scheduler(store: FakeStore, dialer: FakeDialer, **options: float) -> CallbackScheduler:
    return CallbackScheduler(store, dialer, worker_id="me", backoff=Backoff(0.01, 0.02),
                             **options)  # type: ignore[arg-type]


async def test_a_due_callback_is_placed_once_as_a_callback() -> None:
    store = FakeStore()
    dialer = FakeDialer(store)
    store.add("aaaaaaaaa1")
    store.add("aaaaaaaaa2", in_seconds=60)
    s = scheduler(store, dialer)
    assert await s.fire_due() == 1
    assert await s.fire_due() == 0
    ((account, order, origin, request_id, _),) = dialer.placed
    assert (account, origin, request_id) == ("account_1", Origin.CALLBACK, "aaaaaaaaa1")
    assert order == Click2CallOrder("101", "15168148111", "15168141000", "off")
    assert store.status("aaaaaaaaa1") is CallbackStatus.FIRED
    assert store.status("aaaaaaaaa2") is CallbackStatus.SCHEDULED


async def test_pbx_down_puts_it_back_to_wait_then_fails_after_max_attempts() -> None:
    store = FakeStore()
    dialer = FakeDialer(store, Unavailable("Asterisk is not reachable right now"))
    store.add("bbbbbbbbb1")
    s = scheduler(store, dialer, retry_seconds=0.0, max_attempts=3)
    assert await s.fire_due() == 1
    entry = store.entries["bbbbbbbbb1"]
    assert entry.row.status is CallbackStatus.SCHEDULED
    assert entry.row.reason == "Asterisk is not reachable right now"
    assert await s.fire_due() == 1
    assert store.status("bbbbbbbbb1") is CallbackStatus.SCHEDULED
    assert await s.fire_due() == 1  # the third attempt was the last
    assert store.status("bbbbbbbbb1") is CallbackStatus.FAILED
    assert await s.fire_due() == 0


async def test_a_retry_waits_its_delay() -> None:
    store = FakeStore()
    s = scheduler(store, FakeDialer(store, Unavailable("down")), retry_seconds=30.0)
    store.add("bbbbbbbbb2")
    await s.fire_due()
    assert await s.fire_due() == 0
    delay = await store.seconds_to_next_due(30.0)
    assert delay is not None and 29 < delay <= 30


@pytest.mark.parametrize(("error", "reason"), [
    (InvalidField("agent_number", "agent_number is not a known extension"),
     "agent_number is not a known extension"),
    (RuntimeError("bug"), "internal error"),
])
async def test_a_refused_or_broken_dial_fails_at_once(error: Exception, reason: str) -> None:
    store = FakeStore()
    s = scheduler(store, FakeDialer(store, error))
    store.add("ccccccccc1")
    await s.fire_due()
    assert store.status("ccccccccc1") is CallbackStatus.FAILED
    assert store.entries["ccccccccc1"].row.reason == reason


async def test_a_claim_that_outlived_its_lease_without_a_call_is_fired_again() -> None:
    store = FakeStore()
    dialer = FakeDialer(store)
    store.add("ddddddddd1")
    store.add("ddddddddd2")
    # Another engine claimed both, then died: it had persisted the call of the second only.
    crashed = scheduler(store, FakeDialer(store), lease_seconds=0.05)
    crashed.worker_id = "dead"
    await store.claim_due("dead", 0.05, 10)
    store.calls.add("ddddddddd2")
    s = scheduler(store, dialer, lease_seconds=0.05)
    assert await s.fire_due() == 0  # the claim is still fresh
    await asyncio.sleep(0.06)
    assert await s.fire_due() == 1
    assert [p[3] for p in dialer.placed] == ["ddddddddd1"]
    await asyncio.sleep(0.06)
    assert await s.fire_due() == 0  # its call exists now: never again


async def test_run_sleeps_until_the_due_time_and_wakes_on_notify() -> None:
    store = FakeStore()
    dialer = FakeDialer(store)
    s = scheduler(store, dialer, safety_seconds=30.0)
    start = store.now()
    store.add("eeeeeeeee1", in_seconds=0.3)
    task = asyncio.create_task(s.run())
    try:
        await until(lambda: bool(dialer.placed), task)
        assert 0.3 <= dialer.placed[0][4] - start < 0.45
        store.add("eeeeeeeee2", in_seconds=0.0)  # NOTIFY: fires at once, not in 30 s
        await until(lambda: len(dialer.placed) >= 2, task)
        assert dialer.placed[1][4] - start < 0.6
        reads = store.next_due_reads
        await asyncio.sleep(0.3)
        assert store.next_due_reads == reads  # idle: no polling
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_run_waits_out_a_database_outage() -> None:
    store = FakeStore()
    dialer = FakeDialer(store)
    store.add("fffffffff1")
    store.down = 3
    task = asyncio.create_task(scheduler(store, dialer).run())
    try:
        await until(lambda: bool(dialer.placed), task)
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_lost_listen_connection_is_replaced_at_once() -> None:
    store = FakeStore()
    dialer = FakeDialer(store)
    task = asyncio.create_task(scheduler(store, dialer, safety_seconds=30.0).run())
    try:
        await until(lambda: store.wake is not None, task)
        wake = store.wake
        assert wake is not None
        store.listening = False  # the connection died; asyncpg tells through wake()
        wake()
        await until(lambda: store.listens >= 2, task)
        store.add("ggggggggg1")  # a NOTIFY on the new connection
        await until(lambda: bool(dialer.placed), task)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
