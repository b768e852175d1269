"""click2call throughput and latency against raw ARI, measured in the same run.

Both phases run the same call pattern in batches of ``--concurrency`` calls: dial an agent
number that answers at once, play it ringback while dialling a customer number that
answers and hangs up after one second, bridge the two, tear down. One phase drives ARI
directly (no engine), the other asks the engine through ``POST /api/click2call``; their
batches take turns, so both meet the PBX and the carrier in the same state. The report
gives completed calls/s for both, their ratio, request latency percentiles, and whether
every engine call left its CDRs.

    python -m benchmarks.click2call --calls 2000 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field

import aiohttp

from benchmarks.stack import bench_stack
from engine.ari.query import basic_auth_header

BENCH_ENV = {
    "ENGINE_VAR_DIR": "var/bench",
    "ENGINE_STACK_NAME": "cpaas-bench",
    "ENGINE_HTTP_PORT": "28080",
    "ENGINE_DB_PORT": "25433",
    "ENGINE_ARI_URL": "http://127.0.0.1:28088",
    "ENGINE_AMI_PORT": "25038",
    "ENGINE_SIP_PORT": "25060",
    "ENGINE_TRUNK_PORT": "25080",
    "ENGINE_CARRIER_AMI_PORT": "25039",
    "ENGINE_BOOTSTRAP_ACCOUNTS": "account_1:bench-token",
    "ENGINE_LOG_LEVEL": "WARNING",
    "ENGINE_DB_POOL_MAX": "40",
}
AGENT = "15168141000"  # answers at once, stays up
CUSTOMER = "15168147001"  # answers, hangs up after 1 s
CALLER_ID = "15168148111"
HEADERS = {"account": "account_1", "auth": "bench-token"}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class PhaseResult:
    name: str
    calls: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, float | int | str]:
        return {
            "phase": self.name, "calls": self.calls, "seconds": round(self.seconds, 2),
            "calls_per_s": round(self.calls_per_second, 2), "failures": self.failures,
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p99_ms": round(percentile(self.latencies_ms, 99), 2),
        }


class RawAriCalls:
    """The click2call pattern written directly against ARI, as a baseline."""

    def __init__(self, session: aiohttp.ClientSession, base: str, app: str) -> None:
        self.session, self.base, self.app = session, base, app
        self.done: dict[str, asyncio.Event] = {}
        self.latencies_ms: list[float] = []
        self._tasks: set[asyncio.Future[None]] = set()

    async def listen(self) -> None:
        async with self.session.ws_connect(f"{self.base}/events?app={self.app}") as ws:
            async for message in ws:
                await self._on_event(json.loads(message.data))

    def _spawn(self, work: Awaitable[None]) -> None:
        """Run ``work`` beside the event loop of ``listen``, keeping a reference."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ari(self, method: str, path: str, **params: str) -> None:
        """One ARI request, its answer read and dropped (no latency recorded)."""
        async with self.session.request(method, f"{self.base}{path}", params=params) as reply:
            await reply.read()

    async def _post(self, path: str, **params: str) -> None:
        started = time.perf_counter()
        async with self.session.post(f"{self.base}{path}", params=params) as response:
            await response.read()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)

    async def _on_event(self, event: dict[str, object]) -> None:
        kind = event["type"]
        channel = event.get("channel") or {}
        assert isinstance(channel, dict)
        cid = str(channel.get("id", ""))
        call, _, leg = cid.partition(".")
        if kind == "StasisStart" and leg == "a":
            # Ringback for the agent while the customer rings, as the engine does.
            self._tasks.add(asyncio.ensure_future(self._ring_then_dial(call)))
        elif kind == "StasisStart" and leg == "c":
            async with self.session.delete(f"{self.base}/channels/{call}.a/ring"):
                pass
            await self._post("/bridges", bridgeId=call, type="mixing")
            await self._post(f"/bridges/{call}/addChannel", channel=f"{call}.a,{call}.c")
        elif kind == "ChannelDestroyed" and leg == "c":
            async with self.session.delete(f"{self.base}/channels/{call}.a"):
                pass
        elif kind == "ChannelDestroyed" and leg == "a":
            async with self.session.delete(f"{self.base}/bridges/{call}"):
                pass
            if call in self.done:
                self.done[call].set()

    async def _ring_then_dial(self, call: str) -> None:
        await self._post(f"/channels/{call}.a/ring")
        await self._post(
            "/channels", endpoint=f"PJSIP/{CUSTOMER}@carrier", app=self.app,
            channelId=f"{call}.c", callerId=CALLER_ID, timeout="30", appArgs="leg")

    async def one_call(self, n: int) -> None:
        call = f"raw{n}"
        self.done[call] = asyncio.Event()
        await self._post("/channels", endpoint=f"PJSIP/{AGENT}@carrier", app=self.app,
                         channelId=f"{call}.a", callerId=CALLER_ID, timeout="30",
                         appArgs="leg")
        await asyncio.wait_for(self.done[call].wait(), timeout=60)


@dataclass
class Tally:
    """One phase's running totals across its batches."""

    seconds: float = 0.0
    failures: int = 0

    async def batch(self, runs: list[Awaitable[None]]) -> None:
        started = time.perf_counter()
        results = await asyncio.gather(*runs, return_exceptions=True)
        self.failures += sum(1 for r in results if isinstance(r, BaseException))
        self.seconds += time.perf_counter() - started


class EngineCalls:
    """The same pattern through ``POST /api/click2call``; a batch ends when the engine has
    no live call left (so every call's CDRs are stored)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.body = {"agent_number": AGENT, "caller_id": CALLER_ID,
                     "destination_number": CUSTOMER, "recording_option": "off",
                     "transcript": "off"}
        self.latencies_ms: list[float] = []
        self.request_ids: list[str] = []

    async def one_call(self) -> None:
        started = time.perf_counter()
        async with self.session.post("/api/click2call", json=self.body) as response:
            payload = await response.json()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.request_ids.append(payload["response"]["request_id"])

    async def settle(self) -> None:
        deadline = time.perf_counter() + 60
        while await self._live() and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)

    async def _live(self) -> int:
        async with self.session.get("/api/get_live_call_statistics") as response:
            payload = await response.json()
        return int(payload["response"]["result"]["live_calls_c2c"])


async def both_phases(calls: int, concurrency: int, *, ari_url: str, user: str,
                      password: str, base_url: str
                      ) -> tuple[PhaseResult, PhaseResult, list[str]]:
    """Raw ARI and the engine, batch by batch in turn: both meet the same PBX and carrier
    (a carrier that slows down over a long run slows both alike)."""
    raw_tally, engine_tally = Tally(), Tally()
    async with (aiohttp.ClientSession(headers=basic_auth_header(user, password)) as ari,
                aiohttp.ClientSession(base_url=base_url, headers=HEADERS) as api):
        raw, engine = RawAriCalls(ari, f"{ari_url}/ari", "bench-raw"), EngineCalls(api)
        listener = asyncio.ensure_future(raw.listen())
        await asyncio.sleep(0.5)
        for first in range(0, calls, concurrency):
            batch = range(first, min(calls, first + concurrency))
            await raw_tally.batch([raw.one_call(n) for n in batch])
            await engine_tally.batch([engine.one_call() for _ in batch])
            started = time.perf_counter()
            await engine.settle()
            engine_tally.seconds += time.perf_counter() - started
        listener.cancel()
    return (PhaseResult("raw_ari", calls, raw_tally.seconds, raw.latencies_ms[::4],
                        raw_tally.failures),
            PhaseResult("engine", calls, engine_tally.seconds, engine.latencies_ms,
                        engine_tally.failures),
            engine.request_ids)


async def missing_cdrs(base_url: str, request_ids: list[str]) -> int:
    missing = 0
    async with aiohttp.ClientSession(base_url=base_url, headers=HEADERS) as session:
        for request_id in request_ids:
            async with session.post("/api/get_cdr_by_request_id",
                                    json={"request_id": request_id}) as response:
                payload = await response.json()
            rows = payload["response"].get("result", [])
            complete = [r for r in rows if r["call_status"] == "ANSWERED" and r["billsec"]]
            if len(complete) != 2:
                missing += 1
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("BENCH_CALLS", "2000")))
    parser.add_argument("--concurrency", type=int,
                        default=int(os.environ.get("BENCH_CONCURRENCY", "50")))
    args = parser.parse_args()
    with bench_stack(BENCH_ENV) as bench:
        settings = bench.settings
        raw, engine, request_ids = asyncio.run(both_phases(
            args.calls, args.concurrency, ari_url=settings.ari_url, user=settings.ari_user,
            password=settings.ari_password.get_secret_value(), base_url=bench.base_url))
        missing = asyncio.run(missing_cdrs(bench.base_url, request_ids))
    ratio = engine.calls_per_second / raw.calls_per_second if raw.calls_per_second else 0.0
    report = {"raw_ari": raw.summary(), "engine": engine.summary(),
              "throughput_ratio_engine_over_raw": round(ratio, 3),
              "calls_with_missing_cdrs": missing}
    print(json.dumps(report, indent=2))
    return 0 if missing == 0 and engine.failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
