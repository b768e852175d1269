"""CallAdmission and its dispatcher over an in-memory queue and a fake router.

The queue's SQL (claims, SKIP LOCKED, restarts) and real calls are proven on the real stack
(tests/integration/test_call_limits.py); here: the decisions and their order.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from engine.domain.call import Call, CallState, Origin
from engine.domain.call_limits import CallLimits
from engine.domain.errors import InvalidField, NotFound, TooManyRequests
from engine.domain.numbers import External
from engine.services.call_limits import AccountLimitsService, CallAdmission
from engine.store.call_codec import call_from_json, call_to_json
from engine.store.call_limits import AdmissionState, QueuedCall, StoredLimits
from tests.unit.domain.calls import T0

_ids = itertools.count(1)


def api_call(account_id: str = "account_1") -> Call:
    n = next(_ids)
    return Call(request_id=f"00000000-0000-4000-8000-{n:012d}", account_id=account_id,
                origin=Origin.API, state=CallState.DIALING_CUSTOMER, caller_id="14152224444",
                created_at=T0, customer=External("14152223333"))


@dataclass
class Row:
    seq: int
    call: Call
    claimed_by: str | None = None


@dataclass
class MemoryQueue:
    limits: dict[str, StoredLimits] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    seqs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    db_live: dict[str, int] = field(default_factory=dict)
    saved_live: set[str] = field(default_factory=set)  # request ids stored as not ended

    async def admission_state(self, account_id: str,
                              ended: Sequence[str] = ()) -> AdmissionState:
        queued = sum(1 for r in self.rows if r.call.account_id == account_id)
        saved = len(self.saved_live - set(ended))
        return AdmissionState(self.limits.get(account_id, StoredLimits(None, None)), queued,
                              self.db_live.get(account_id, 0) + saved)

    async def enqueue(self, account_id: str, request_id: str, snapshot: dict[str, Any],
                      bound: int) -> bool:
        if sum(1 for r in self.rows if r.call.account_id == account_id) >= bound:
            return False
        self.rows.append(Row(next(self.seqs), call_from_json(snapshot)))
        return True

    async def queued_accounts(self, lease_seconds: float) -> list[str]:
        return sorted({r.call.account_id for r in self.rows if r.claimed_by is None})

    async def claim_next(self, account_id: str, worker: str,
                         lease_seconds: float) -> QueuedCall | None:
        for row in self.rows:
            if row.call.account_id == account_id and row.claimed_by is None:
                row.claimed_by = worker
                return QueuedCall(row.seq, row.call.request_id, account_id,
                                  call_to_json(row.call))
        return None

    async def remove(self, seq: int) -> None:
        self.rows = [r for r in self.rows if r.seq != seq]

    async def settle_launched(self) -> None:
        return None

    async def cancel(self, account_id: str, request_id: str) -> bool:
        before = len(self.rows)
        self.rows = [r for r in self.rows if not (
            r.call.request_id == request_id and r.call.account_id == account_id
            and r.claimed_by is None)]
        return len(self.rows) < before

    async def is_queued(self, account_id: str, request_id: str) -> bool:
        return any(r.call.request_id == request_id and r.call.account_id == account_id
                   for r in self.rows)

    @asynccontextmanager
    async def listen(self, wake: Callable[[], None]) -> AsyncIterator[Callable[[], bool]]:
        yield lambda: True

    async def get_limits(self, account_id: str) -> StoredLimits | None:
        if account_id == "nobody":
            return None
        return self.limits.get(account_id, StoredLimits(None, None))

    async def set_limits(self, account_id: str, max_concurrent: int | None,
                         calls_per_second: float | None, *, queue_limit: int | None = None,
                         reset: bool = False) -> StoredLimits:
        old = StoredLimits(None, None) if reset else self.limits.get(
            account_id, StoredLimits(None, None))
        new = StoredLimits(max_concurrent if max_concurrent is not None else old.max_concurrent,
                           calls_per_second if calls_per_second is not None
                           else old.calls_per_second,
                           queue_limit if queue_limit is not None else old.queue_limit)
        self.limits[account_id] = new
        return new


class FakeRouter:
    def __init__(self) -> None:
        self.live: dict[str, Call] = {}
        self.started: list[Call] = []
        self.launched = asyncio.Event()

    async def launch(self, call: Call) -> Call:
        self.live[call.request_id] = call
        self.started.append(call)
        self.launched.set()
        return call

    def live_calls(self, account_id: str) -> list[Call]:
        return [c for c in self.live.values() if c.account_id == account_id]

    def end(self, call: Call) -> None:
        del self.live[call.request_id]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


DEFAULTS = CallLimits(2, 4.0, 10)  # two at once, four starts a second, ten may wait


@pytest.fixture
def queue() -> MemoryQueue:
    return MemoryQueue()


@pytest.fixture
def router() -> FakeRouter:
    return FakeRouter()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def admission(queue: MemoryQueue, router: FakeRouter, clock: Clock) -> CallAdmission:
    return CallAdmission(queue, router, DEFAULTS, worker_id="w1", clock=clock,
                         safety_seconds=2.0)


async def test_below_the_limits_a_call_fires(queue: MemoryQueue, router: FakeRouter,
                                             clock: Clock) -> None:
    gate = admission(queue, router, clock)
    call = api_call()
    assert await gate.submit(call) == "fired"
    assert router.started == [call]
    assert queue.rows == []


async def test_a_call_over_the_rate_waits_its_turn(
        queue: MemoryQueue, router: FakeRouter, clock: Clock) -> None:
    queue.limits["account_1"] = StoredLimits(10, 1.0)  # one start a second
    gate = admission(queue, router, clock)
    first, second = api_call(), api_call()
    assert await gate.submit(first) == "fired"
    clock.now += 0.1
    assert await gate.submit(second) == "queued"
    assert await gate.is_queued("account_1", second.request_id)
    assert await gate.dispatch_ready() == pytest.approx(0.9)  # until the window moves on
    assert [c.request_id for c in router.started] == [first.request_id]
    clock.now += 0.9
    # (it then sleeps out the window it just used, as no start may come sooner)
    assert await gate.dispatch_ready() == pytest.approx(1.0)
    assert [c.request_id for c in router.started] == [first.request_id, second.request_id]
    assert router.started[1].created_at > T0  # it starts now, not when it was asked for
    assert queue.rows == []


async def test_at_the_concurrent_limit_calls_queue_until_one_ends(
        queue: MemoryQueue, router: FakeRouter, clock: Clock) -> None:
    queue.limits["account_1"] = StoredLimits(1, None)
    gate = admission(queue, router, clock)
    first, second, third = api_call(), api_call(), api_call()
    assert await gate.submit(first) == "fired"
    clock.now += 10
    assert await gate.submit(second) == "queued"
    assert await gate.submit(third) == "queued"
    assert await gate.dispatch_ready() == 2.0  # no slot: only a call ending frees one
    assert len(router.started) == 1
    router.end(first)
    await gate.dispatch_ready()
    assert [c.request_id for c in router.started][1:] == [second.request_id]
    router.end(router.started[1])
    clock.now += 10
    await gate.dispatch_ready()
    assert [c.request_id for c in router.started][2:] == [third.request_id]


async def test_the_database_count_of_live_calls_counts_too(
        queue: MemoryQueue, router: FakeRouter, clock: Clock) -> None:
    queue.db_live["account_1"] = 2  # another engine's calls
    gate = admission(queue, router, clock)
    assert await gate.submit(api_call()) == "queued"


async def test_nobody_overtakes_a_queued_call(queue: MemoryQueue, router: FakeRouter,
                                              clock: Clock) -> None:
    queue.limits["account_1"] = StoredLimits(1, None)
    gate = admission(queue, router, clock)
    first = api_call()
    await gate.submit(first)
    queued = api_call()
    assert await gate.submit(queued) == "queued"
    router.end(first)
    clock.now += 5  # a slot and the pace would allow a start, but one call waits already
    late = api_call()
    assert await gate.submit(late) == "queued"
    await gate.dispatch_ready()
    assert router.started[1].request_id == queued.request_id


async def test_a_full_queue_is_refused(queue: MemoryQueue, router: FakeRouter,
                                       clock: Clock) -> None:
    queue.limits["account_1"] = StoredLimits(1, None, 2)
    gate = admission(queue, router, clock)
    await gate.submit(api_call())
    await gate.submit(api_call())
    await gate.submit(api_call())
    with pytest.raises(TooManyRequests):
        await gate.submit(api_call())
    # Other accounts are not affected; without a limit of their own, the default bounds them.
    assert await gate.submit(api_call("account_2")) == "fired"
    assert await gate.submit(api_call("account_2")) == "fired"  # two at once
    for _ in range(10):
        assert await gate.submit(api_call("account_2")) == "queued"
    with pytest.raises(TooManyRequests):
        await gate.submit(api_call("account_2"))
    queue.limits["account_3"] = StoredLimits(1, None, 0)  # nobody may wait
    assert await gate.submit(api_call("account_3")) == "fired"
    with pytest.raises(TooManyRequests):
        await gate.submit(api_call("account_3"))


async def test_cancel_drops_a_queued_call(queue: MemoryQueue, router: FakeRouter,
                                          clock: Clock) -> None:
    queue.limits["account_1"] = StoredLimits(1, None)
    gate = admission(queue, router, clock)
    await gate.submit(api_call())
    waiting = api_call()
    await gate.submit(waiting)
    assert not await gate.cancel("account_2", waiting.request_id)
    assert await gate.cancel("account_1", waiting.request_id)
    assert not await gate.is_queued("account_1", waiting.request_id)


async def test_a_new_engine_starts_what_the_old_one_queued(
        queue: MemoryQueue, router: FakeRouter, clock: Clock) -> None:
    queue.limits["account_1"] = StoredLimits(1, None)
    await admission(queue, router, clock).submit(api_call())
    waiting = api_call()
    await admission(queue, router, clock).submit(waiting)
    restarted = FakeRouter()  # the old engine's calls are gone with it
    await admission(queue, restarted, clock).dispatch_ready()
    assert [c.request_id for c in restarted.started] == [waiting.request_id]


async def test_the_dispatcher_wakes_when_a_call_ends(
        queue: MemoryQueue, router: FakeRouter, clock: Clock) -> None:
    queue.limits["account_1"] = StoredLimits(1, 1000.0)
    gate = CallAdmission(queue, router, DEFAULTS, worker_id="w1", clock=clock,
                         safety_seconds=3600.0)
    first, second = api_call(), api_call()
    await gate.submit(first)
    await gate.submit(second)
    task = asyncio.create_task(gate.run())
    try:
        await asyncio.sleep(0.05)
        assert len(router.started) == 1
        router.launched.clear()
        router.end(first)
        clock.now += 1
        await gate.on_call_finished(first)
        await asyncio.wait_for(router.launched.wait(), 5)
        assert router.started[1].request_id == second.request_id
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_account_limits_service(queue: MemoryQueue) -> None:
    limits = AccountLimitsService(queue, CallLimits(50, 10.0, 500))
    assert (await limits.get("account_1"))[0] == CallLimits(50, 10.0, 500)
    effective, stored = await limits.set("account_1", max_concurrent=1)
    assert effective == CallLimits(1, 10.0, 500) and stored == StoredLimits(1, None)
    effective, _ = await limits.set("account_1", calls_per_second=0.5, queue_limit=0)
    assert effective == CallLimits(1, 0.5, 0)
    effective, _ = await limits.set("account_1", reset=True)
    assert effective == CallLimits(50, 10.0, 500)
    with pytest.raises(NotFound):
        await limits.get("nobody")
    with pytest.raises(InvalidField):
        await limits.set("account_1", max_concurrent=0)
    with pytest.raises(InvalidField):
        await limits.set("account_1", queue_limit=-1)


def test_snapshot_round_trip_keeps_the_call() -> None:
    call = api_call()
    assert call_from_json(call_to_json(call)) == replace(call)


async def test_a_call_frees_its_slot_when_it_ends_not_when_its_end_is_saved(
        queue: MemoryQueue, router: FakeRouter, clock: Clock) -> None:
    # hangup_url may be called while the ended call's final state is still being saved
    # (it is still in the router's live views, and stored as live): a call placed on
    # receiving it fires.
    queue.limits["account_1"] = StoredLimits(1, None)
    gate = admission(queue, router, clock)
    first, second = api_call(), api_call()
    assert await gate.submit(first) == "fired"
    queue.saved_live.add(first.request_id)
    clock.now += 10
    router.live[first.request_id] = replace(first, state=CallState.ENDED, ended_at=T0)
    assert await gate.submit(second) == "fired"
    assert [c.request_id for c in router.started] == [first.request_id, second.request_id]
