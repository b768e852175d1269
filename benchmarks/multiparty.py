"""Multi-party calls (Plivo's PHLO multi_party_call) against raw ARI, measured in the same run.

Both phases run the same call pattern in batches of ``--concurrency`` calls, their batches
taking turns (both meet the PBX and the carrier in the same state): dial an agent (a
simulated agent: a PJSIP registration of the carrier on the PBX, one per call of a batch;
it rings for one second, then answers), put it in a mixing bridge once it answers, then
dial a customer (a carrier number that answers at once, line 1xxx) into the same bridge,
hold the two together for one second, hang up, and wait until both legs are gone.

- engine: ``POST /v1/phlo/`` (one phlo per call), ``POST …/multi_party_call/{node}/``
  ``action=call`` for the agent, then for the customer (``trigger_source``: the agent);
  each member is waited for ``connected`` by polling ``GET …/multi_party_call/{node}/``
  (every 50 ms: the time to connected is up to one poll late); after the hold, ``POST
  …/members/+<customer>/ action=hangup``, poll until it is ``left``, then the same for
  the agent, until every member is ``left`` (``teardown``: the first hangup request to
  every member left). The customer goes first: had the agent, the last agent, left first,
  the engine would play "the leader has left the conference" to the customer before
  hanging it up (its rule), 2.4 s that raw ARI has no counterpart for.
- raw ARI: originate the agent into a Stasis app; on its StasisStart create a mixing
  bridge and add it; then originate the customer and add it on its StasisStart; after the
  hold, ``DELETE`` the customer's channel, once it is destroyed the agent's, then the
  bridge.

The report gives completed calls/s of both and their ratio, the add-member request latency
p50/p99 (engine: the ``POST …/multi_party_call/{node}/``; raw: the originate ``POST
/channels``; both members of every call) and the time from that request to the member
being in the mix, p50/p99 (both members, and each role alone), and teardown p50/p99. The
bench account's limits are raised through ``ENGINE_DEFAULT_CALLS_PER_SECOND`` /
``ENGINE_DEFAULT_MAX_CONCURRENT_CALLS`` so they do not cap the measure. Printed and
written to ``var/bench/multiparty.json``; exits 1 if any call failed (the first errors of
each phase are in the report). The stack is of its own (``var/multiparty-bench``, ports
49xxx) and holds the machine's stack lock. If the PBX, the simulated carrier or the engine
dies mid-run, the run stops at once and says so.

    python -m benchmarks.multiparty --calls 40 --concurrency 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.click2call import BENCH_ENV, CALLER_ID, PhaseResult, RawAriCalls, Tally, percentile
from benchmarks.otp import customer
from benchmarks.stack import StackDied, bench_stack, guarded
from engine.ari.query import basic_auth_header
from engine.settings import Settings

# One simulated agent per call of a batch (--concurrency is at most their number): the
# carrier answers the agent extensions 100-109 (its `_10X`).
AGENTS = tuple(str(ext) for ext in range(100, 110))
CALLS_PER_SECOND, MAX_CONCURRENT = "1000", "10000"
MULTIPARTY_ENV = {
    **BENCH_ENV,
    "ENGINE_VAR_DIR": "var/multiparty-bench",
    "ENGINE_STACK_NAME": "cpaas-mpbench",
    "ENGINE_HTTP_PORT": "49080",
    "ENGINE_DB_PORT": "49433",
    "ENGINE_ARI_URL": "http://127.0.0.1:49088",
    "ENGINE_AMI_PORT": "49038",
    "ENGINE_SIP_PORT": "49060",
    "ENGINE_TRUNK_PORT": "49070",
    "ENGINE_CARRIER_AMI_PORT": "49039",
    "ENGINE_SIMULATED_AGENTS": ",".join(AGENTS),
    "ENGINE_AGENT_EXTENSIONS": ",".join(AGENTS),
    "ENGINE_DEFAULT_CALLS_PER_SECOND": CALLS_PER_SECOND,
    "ENGINE_DEFAULT_MAX_CONCURRENT_CALLS": MAX_CONCURRENT,
}
ACCOUNT, TOKEN = "account_1", "bench-token"  # BENCH_ENV's bootstrap account
RAW_APP = "bench-multiparty-raw"
HOLD_SECONDS = 1.0
POLL_SECONDS = 0.05
CALL_TIMEOUT = 60.0
REPORT = Path("var/bench/multiparty.json")


class Measures:
    """What both phases measure: add-member request ms, request-to-connected ms by role
    (agent, customer), and hangup-to-gone ms (teardown)."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.connect_ms: dict[str, list[float]] = {"agent": [], "customer": []}
        self.teardown_ms: list[float] = []
        self.errors: list[str] = []

    async def noted(self, work: Awaitable[None]) -> None:
        """``work``, its failure noted (and raised again for the batch's tally)."""
        try:
            await work
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            raise


async def until(probe: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``probe`` every ``POLL_SECONDS`` until true (at most ``CALL_TIMEOUT``)."""
    deadline = time.perf_counter() + CALL_TIMEOUT
    while not await probe():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


class EngineMultiparty(Measures):
    """The pattern through the engine's multi-party call API."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__()
        self.session = session
        self.auth = basic_auth_header(ACCOUNT, TOKEN)

    async def _send(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        async with self.session.request(method, path, json=body, headers=self.auth) as reply:
            payload = await reply.json(content_type=None)
        if reply.status not in (200, 201):
            raise RuntimeError(f"{method} {path} answered {reply.status}: {payload}")
        assert isinstance(payload, dict)
        return payload

    async def _members(self, node: str) -> dict[str, str]:
        details = await self._send("GET", node)
        return {str(m["address"]): str(m["state"]) for m in details["members"]}

    async def _add(self, node: str, to: str, role: str, trigger: str, address: str) -> None:
        started = time.perf_counter()
        await self._send("POST", node, {"action": "call", "to": to, "role": role,
                                        "trigger_source": trigger})
        self.latencies_ms.append((time.perf_counter() - started) * 1000)

        async def connected() -> bool:
            state = (await self._members(node)).get(address)
            if state == "left":
                raise RuntimeError(f"{address} left before it was connected")
            return state == "connected"
        await until(connected, f"{address} to be connected")
        self.connect_ms[role].append((time.perf_counter() - started) * 1000)

    async def one_call(self, n: int, agent: str) -> None:
        phlo = await self._send("POST", "/v1/phlo/", {
            "name": f"bench {n}", "caller_id": CALLER_ID, "record": "false"})
        node = f"/v1/phlo/{phlo['phlo_id']}/multi_party_call/{phlo['node_id']}/"
        agent_address, number = f"sip:{agent}", customer(n)
        await self._add(node, agent_address, "agent", agent_address, agent_address)
        await self._add(node, number, "customer", agent_address, f"+{number}")
        await asyncio.sleep(HOLD_SECONDS)
        started = time.perf_counter()
        # The customer first, then the agent: the call ends with nobody left to tell
        # (hanging the agent up first makes the engine play the goodbye to the customer).
        await self._send("POST", f"{node}members/+{number}/", {"action": "hangup"})

        async def customer_left() -> bool:
            return (await self._members(node)).get(f"+{number}") == "left"
        await until(customer_left, "the customer to leave")
        await self._send("POST", f"{node}members/{agent_address}/", {"action": "hangup"})

        async def all_left() -> bool:
            return all(state == "left" for state in (await self._members(node)).values())
        await until(all_left, "every member to leave")
        self.teardown_ms.append((time.perf_counter() - started) * 1000)


class RawAriMultiparty(RawAriCalls, Measures):
    """The same pattern written directly against ARI. Channel ids: ``mp<n>.a`` (agent),
    ``mp<n>.c`` (customer); the bridge: ``mp<n>``."""

    def __init__(self, ari: aiohttp.ClientSession, base: str) -> None:
        RawAriCalls.__init__(self, ari, base, RAW_APP)
        Measures.__init__(self)
        self._waiting: dict[str, asyncio.Future[None]] = {}

    def _future(self, key: str) -> asyncio.Future[None]:
        if key not in self._waiting:
            self._waiting[key] = asyncio.get_running_loop().create_future()
        return self._waiting[key]

    async def _ari(self, method: str, path: str, **params: str) -> None:
        async with self.session.request(method, f"{self.base}{path}", params=params) as reply:
            await reply.read()
            if reply.status >= 300 and method != "DELETE":
                raise RuntimeError(f"ARI {method} {path} answered {reply.status}")

    def _resolve(self, key: str) -> None:
        future = self._future(key)
        if not future.done():
            future.set_result(None)

    async def _joined(self, cid: str) -> None:
        call, _, leg = cid.partition(".")
        try:
            if leg == "a":
                await self._ari("POST", "/bridges", bridgeId=call, type="mixing")
            await self._ari("POST", f"/bridges/{call}/addChannel", channel=cid)
        except RuntimeError as exc:
            future = self._future(f"{cid}:joined")
            if not future.done():
                future.set_exception(exc)
            return
        self._resolve(f"{cid}:joined")

    async def _on_event(self, event: dict[str, object]) -> None:
        kind = event["type"]
        channel = event.get("channel") or {}
        assert isinstance(channel, dict)
        cid = str(channel.get("id", ""))
        if not cid.startswith("mp"):
            return
        if kind == "StasisStart":
            task = asyncio.ensure_future(self._joined(cid))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif kind == "ChannelDestroyed":
            joined = self._future(f"{cid}:joined")
            if not joined.done():
                joined.set_exception(RuntimeError(f"{cid} ended before it was joined"))
            self._resolve(f"{cid}:gone")

    async def _add(self, cid: str, endpoint: str, role: str) -> None:
        started = time.perf_counter()
        await self._post("/channels", endpoint=endpoint, app=self.app, channelId=cid,
                         callerId=CALLER_ID, timeout="30", appArgs="leg")
        await asyncio.wait_for(asyncio.shield(self._future(f"{cid}:joined")), CALL_TIMEOUT)
        self.connect_ms[role].append((time.perf_counter() - started) * 1000)

    async def one_call(self, n: int, agent: str) -> None:  # type: ignore[override]
        call = f"mp{n}"
        await self._add(f"{call}.a", f"PJSIP/{agent}", "agent")
        await self._add(f"{call}.c", f"PJSIP/{customer(n)}@carrier", "customer")
        await asyncio.sleep(HOLD_SECONDS)
        started = time.perf_counter()
        for leg in ("c", "a"):  # the customer first, then the agent, as the engine phase
            await self._ari("DELETE", f"/channels/{call}.{leg}")
            await asyncio.wait_for(asyncio.shield(self._future(f"{call}.{leg}:gone")),
                                   CALL_TIMEOUT)
        await self._ari("DELETE", f"/bridges/{call}")
        self.teardown_ms.append((time.perf_counter() - started) * 1000)


def figures(phase: PhaseResult, measures: Measures, request: str) -> dict[str, Any]:
    connect = measures.connect_ms
    return phase.summary() | {
        "add_member_request": request,
        "connected_p50_ms": round(percentile(connect["agent"] + connect["customer"], 50), 1),
        "connected_p99_ms": round(percentile(connect["agent"] + connect["customer"], 99), 1),
        "agent_connected_p50_ms": round(percentile(connect["agent"], 50), 1),
        "agent_connected_p99_ms": round(percentile(connect["agent"], 99), 1),
        "customer_connected_p50_ms": round(percentile(connect["customer"], 50), 1),
        "customer_connected_p99_ms": round(percentile(connect["customer"], 99), 1),
        "teardown_p50_ms": round(percentile(measures.teardown_ms, 50), 1),
        "teardown_p99_ms": round(percentile(measures.teardown_ms, 99), 1),
        "errors": measures.errors[:10],
    }


async def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    ari_auth = basic_auth_header(settings.ari_user, settings.ari_password.get_secret_value())
    async with (aiohttp.ClientSession(base_url=base_url) as api,
                aiohttp.ClientSession(headers=ari_auth) as ari):
        raw = RawAriMultiparty(ari, f"{settings.ari_url}/ari")
        listener = asyncio.ensure_future(raw.listen())
        await asyncio.sleep(0.5)
        # One untimed call of each first (connections, the engine's first phlo and clips).
        await EngineMultiparty(api).one_call(0, AGENTS[0])
        await RawAriMultiparty.one_call(raw, 0, AGENTS[0])
        raw.latencies_ms.clear()
        raw.connect_ms = {"agent": [], "customer": []}
        raw.teardown_ms.clear()
        engine = EngineMultiparty(api)
        raw_tally, engine_tally = Tally(), Tally()
        for first in range(1, args.calls + 1, args.concurrency):
            batch = range(first, min(args.calls + 1, first + args.concurrency))
            await raw_tally.batch([raw.noted(raw.one_call(n, AGENTS[i]))
                                   for i, n in enumerate(batch)])
            await engine_tally.batch([engine.noted(engine.one_call(n, AGENTS[i]))
                                      for i, n in enumerate(batch)])
        listener.cancel()
    raw_phase = PhaseResult("raw_ari", args.calls, raw_tally.seconds, raw.latencies_ms,
                            raw_tally.failures)
    engine_phase = PhaseResult("engine", args.calls, engine_tally.seconds,
                               engine.latencies_ms, engine_tally.failures)
    ratio = (engine_phase.calls_per_second / raw_phase.calls_per_second
             if raw_phase.calls_per_second else 0.0)
    return {
        "calls": args.calls, "concurrency": args.concurrency, "hold_seconds": HOLD_SECONDS,
        "agents": list(AGENTS[:args.concurrency]),
        "account_limits": {"calls_per_second": int(CALLS_PER_SECOND),
                           "max_concurrent_calls": int(MAX_CONCURRENT)},
        "raw_ari": figures(raw_phase, raw, "originate POST /channels"),
        "engine": figures(engine_phase, engine, "POST /v1/phlo/{phlo}/multi_party_call/{node}/")
                  | {"connected_poll_ms": POLL_SECONDS * 1000},
        "throughput_ratio_engine_over_raw": round(ratio, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int,
                        default=int(os.environ.get("MULTIPARTY_BENCH_CALLS", "40")))
    parser.add_argument("--concurrency", type=int,
                        default=int(os.environ.get("MULTIPARTY_BENCH_CONCURRENCY", "10")))
    args = parser.parse_args()
    if not 1 <= args.concurrency <= len(AGENTS):
        parser.error(f"--concurrency: 1 to {len(AGENTS)} (one simulated agent per call)")
    try:
        with bench_stack(MULTIPARTY_ENV) as bench:
            report = asyncio.run(guarded(run(args, bench.settings), bench.stack))
    except StackDied as exc:
        print(f"multiparty benchmark stopped: {exc}; no figures", flush=True)
        return 2
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"written to {REPORT}")
    return 0 if not report["engine"]["failures"] and not report["raw_ari"]["failures"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
