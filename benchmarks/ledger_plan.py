"""The ledger benchmark's calls: which numbers to dial, in what mix of outcomes, and the
Driver that places them through the engine's API and waits until every one has ended.

Each call takes fresh agent and destination numbers (valid NANP numbers, one area code /
exchange pair each), so every carrier line and recording maps to exactly one CDR leg. The
destination's line (its last four digits) tells the simulated carrier what to do.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import phonenumbers

from benchmarks.ledger_evidence import CarrierEvents

HEADERS = {"account": "account_1", "auth": "ledger-token"}
CALLER_ID = "15168148111"
API_HANGUP_AFTER_S = 2.0
CALL_DEADLINE_S = 60.0
POLL_S = 0.2

# Share of the calls per kind: what the destination does (the agent always answers).
MIX: tuple[tuple[str, float], ...] = (
    ("carrier_hangup", 0.40),  # 7002..7004: answers, the carrier hangs up after 2-4 s
    ("api_hangup", 0.15),  # 1xxx: answers; modify_call hangs up ~2 s after the bridge
    ("busy", 0.15),  # 2xxx
    ("no_answer", 0.10),  # 3xxx: rings until the engine's dial timeout
    ("congestion", 0.10),  # 4xxx
    ("unreachable", 0.10),  # 9xxx
)
AREA_CODES = ("516", "212", "415", "617", "312", "718", "646", "303", "206", "512")


# ---- the plan ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedCall:
    index: int
    kind: str
    agent: str
    destination: str


def _numbers() -> Iterator[tuple[str, str]]:
    """(area code, exchange) pairs; each number of a run takes its own pair."""
    for exchange in range(201, 1000):
        if exchange % 100 == 11:  # N11 codes are services, not exchanges
            continue
        for area in AREA_CODES:
            yield area, str(exchange)


def _line(kind: str, index: int) -> str:
    xxx = f"{index % 1000:03d}"
    match kind:
        case "carrier_hangup":
            return f"700{2 + index % 3}"
        case "api_hangup":
            return f"1{xxx}"
        case "busy":
            return f"2{xxx}"
        case "no_answer":
            return f"3{xxx}"
        case "congestion":
            return f"4{xxx}"
        case "unreachable":
            return f"9{xxx}"
    raise ValueError(kind)


def mix_counts(calls: int) -> dict[str, int]:
    """Calls per kind for ``calls`` calls (largest remainder, so they add up)."""
    exact = {kind: calls * share for kind, share in MIX}
    counts = {kind: math.floor(value) for kind, value in exact.items()}
    by_remainder = sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)
    for kind in by_remainder[: calls - sum(counts.values())]:
        counts[kind] += 1
    return counts


def make_plan(calls: int, seed: int) -> list[PlannedCall]:
    kinds = [kind for kind, count in mix_counts(calls).items() for _ in range(count)]
    random.Random(seed).shuffle(kinds)
    pairs = _numbers()
    plan: list[PlannedCall] = []
    for index, kind in enumerate(kinds):
        numbers = []
        for line in (f"1{index % 1000:03d}", _line(kind, index)):
            while True:
                area, exchange = next(pairs)
                number = f"1{area}{exchange}{line}"
                if phonenumbers.is_valid_number(phonenumbers.parse("+" + number)):
                    break
            numbers.append(number)
        plan.append(PlannedCall(index, kind, numbers[0], numbers[1]))
    return plan


# ---- driving the calls through the API ---------------------------------------------------

@dataclass
class CallRun:
    plan: PlannedCall
    request_id: str = ""
    error: str = ""
    ended_by_itself: bool = False
    hangup_sent: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Driver:
    session: aiohttp.ClientSession
    latencies_ms: dict[str, list[float]] = field(
        default_factory=lambda: {"click2call": [], "modify_call": [], "live_calls": [],
                                 "get_cdr_by_request_id": []})
    live: dict[str, dict[str, Any]] = field(default_factory=dict)
    live_changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    # When the request behind ``live`` was sent (perf_counter).
    live_as_of: float = 0.0

    async def call_api(self, name: str, method: str, path: str,
                       body: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        started = time.perf_counter()
        async with self.session.request(method, path, json=body) as response:
            payload = await response.json(content_type=None)
            status = response.status
        self.latencies_ms[name].append((time.perf_counter() - started) * 1000)
        return status, payload.get("response", {}) if isinstance(payload, dict) else {}

    async def poll_live(self) -> None:
        """Keep ``live`` (request_id -> live_calls entry) fresh for every call task."""
        while True:
            sent = time.perf_counter()
            try:
                status, response = await self.call_api("live_calls", "GET", "/api/live_calls")
            except (aiohttp.ClientError, ValueError, TimeoutError):
                await asyncio.sleep(POLL_S)
                continue
            if status == 200:
                async with self.live_changed:
                    self.live = {c["request_id"]: c for c in response.get("result", [])}
                    self.live_as_of = sent
                    self.live_changed.notify_all()
            await asyncio.sleep(POLL_S)

    async def wait_live(self, after: float, deadline: float) -> dict[str, dict[str, Any]]:
        """A live_calls snapshot requested after ``after``; {} past the deadline."""
        async with self.live_changed:
            while self.live_as_of <= after:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return {}
                try:
                    await asyncio.wait_for(self.live_changed.wait(), remaining)
                except TimeoutError:
                    return {}
            return self.live

    async def run_call(self, run: CallRun) -> None:
        p = run.plan
        body = {"agent_number": p.agent, "caller_id": CALLER_ID,
                "destination_number": p.destination, "recording_option": "off",
                "transcript": "off"}
        try:
            status, response = await self.call_api("click2call", "POST", "/api/click2call", body)
        except (aiohttp.ClientError, ValueError, TimeoutError) as exc:
            run.error = f"click2call failed: {exc!r}"
            return
        if status != 200 or not response.get("request_id"):
            run.error = f"click2call answered {status}: {response}"
            return
        run.request_id = str(response["request_id"])
        accepted = time.perf_counter()
        deadline = accepted + CALL_DEADLINE_S
        hangup_at: float | None = None
        seen = accepted
        while time.perf_counter() < deadline:
            snapshot = await self.wait_live(seen, deadline)
            seen = self.live_as_of
            call = snapshot.get(run.request_id)
            if call is None:
                run.ended_by_itself = time.perf_counter() < deadline
                return
            if p.kind == "api_hangup" and not run.hangup_sent:
                if hangup_at is None and call.get("state") == "bridged":
                    hangup_at = time.perf_counter() + API_HANGUP_AFTER_S
                if hangup_at is not None and time.perf_counter() >= hangup_at:
                    await self.hang_up(run, call)

    async def hang_up(self, run: CallRun, call: dict[str, Any]) -> None:
        run.hangup_sent = True
        agent = [leg for leg in call.get("legs", []) if leg.get("role") == "agent"]
        channel = agent[0].get("channel") if agent else None
        if not channel:
            run.error = f"no agent channel in live_calls: {call}"
            return
        try:
            status, response = await self.call_api(
                "modify_call", "POST", "/api/modify_call",
                {"channel": channel, "modify_type": "2"})
        except (aiohttp.ClientError, ValueError, TimeoutError) as exc:
            run.error = f"modify_call failed: {exc!r}"
            return
        if status != 200:
            run.error = f"modify_call answered {status}: {response}"

    async def fetch_cdrs(self, run: CallRun) -> None:
        if not run.request_id:
            return
        try:
            status, response = await self.call_api(
                "get_cdr_by_request_id", "POST", "/api/get_cdr_by_request_id",
                {"request_id": run.request_id})
        except (aiohttp.ClientError, ValueError, TimeoutError) as exc:
            run.error = f"get_cdr_by_request_id failed: {exc!r}"
            return
        if status == 200 and response.get("success") == "true":
            run.rows = list(response.get("result", []))


async def drive(base_url: str, plan: list[PlannedCall], args: argparse.Namespace,
                carrier: CarrierEvents, idle: Callable[[], bool]
                ) -> tuple[list[CallRun], dict[str, list[float]], float, list[str]]:
    """Place every planned call, wait for all to end, fetch their CDRs."""
    runs = [CallRun(p) for p in plan]
    notes: list[str] = []
    timeout = aiohttp.ClientTimeout(total=30)
    await carrier.connect()
    async with aiohttp.ClientSession(base_url=base_url, headers=HEADERS,
                                     timeout=timeout) as session:
        driver = Driver(session)
        poller = asyncio.ensure_future(driver.poll_live())
        slots = asyncio.Semaphore(args.concurrency)

        async def one(run: CallRun) -> None:
            try:
                await driver.run_call(run)
            finally:
                slots.release()

        started = time.perf_counter()
        tasks = []
        for run in runs:
            await slots.acquire()
            tasks.append(asyncio.ensure_future(one(run)))
            await asyncio.sleep(1 / args.rate)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        leftover = await driver.wait_live(time.perf_counter(), time.perf_counter() + 10)
        if leftover:
            notes.append(f"{len(leftover)} calls still live after the run; hanging them up")
            for call in leftover.values():
                stuck = CallRun(PlannedCall(-1, "cleanup", "", ""))
                await driver.hang_up(stuck, call)
            end = time.perf_counter() + 20
            while driver.live and time.perf_counter() < end:
                await asyncio.sleep(POLL_S)
        poller.cancel()
        fetch_slots = asyncio.Semaphore(10)

        async def fetch(run: CallRun) -> None:
            async with fetch_slots:
                await driver.fetch_cdrs(run)

        await asyncio.gather(*(fetch(run) for run in runs))
    # Every carrier channel gone (so every recording is closed) before reading the evidence.
    end = time.perf_counter() + 20
    while time.perf_counter() < end:
        if carrier.all_hung_up() and await asyncio.to_thread(idle):
            break
        await asyncio.sleep(0.25)
    else:
        notes.append("Asterisk still had channels 20 s after the last call ended")
    await asyncio.sleep(0.5)  # MixMonitor closes its files after the hangup
    carrier.close()
    if carrier.error:
        notes.append(f"carrier AMI: {carrier.error}")
    return runs, driver.latencies_ms, elapsed, notes

