"""Dialer benchmark: the highest ``calls_per_minute`` the engine's campaign dialer sustains
with a pacing error of at most 1 %, next to raw ARI dialling the same pattern in the same
run (``campaign_dial``), both measured from the carrier's own log of arriving INVITEs
(``campaign_pacing``).

Rates are climbed in order (by default 300, 600, 1200, 2400 calls a minute, then doubled
up to ``extend_to``) until the first one that either party does not sustain, then
``refine`` bisections between the highest rate the engine sustained and the next one it did
not. Each phase starts once the PBX has no channel and the carrier idles (past its
saturation the simulated carrier, which records every answered call, may churn for minutes
with no call: it is restarted when it has not calmed down after a minute). At each rate raw
ARI goes first, then the engine, each with ``duration`` seconds' worth of fresh numbers. A
rate is sustained when every call reached the carrier and was answered and the pacing error
is ≤ 1 %. A warm-up campaign first puts the announcement's clip in the engine's TTS cache
(raw ARI plays the engine's own clip).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from benchmarks.campaign_data import us_number
from benchmarks.campaign_dial import (
    EngineCampaigns,
    Meter,
    PhaseRun,
    RawAriCampaign,
    campaign_media,
    engine_phase,
    raw_phase,
)
from benchmarks.campaign_pacing import CpuSample, arrivals, pacing
from benchmarks.click2call import HEADERS
from benchmarks.stack import BenchStack
from engine.ari.query import basic_auth_header

MAX_PACING_ERROR = 0.01
FIRST_DIALLED = 2_000_000  # numbers' indices: clear of the import benchmark's


def rates_to_try(rates: list[float], extend_to: float) -> Iterator[float]:
    """``rates``, then the last one doubled while it stays within ``extend_to``."""
    yield from rates
    rate = rates[-1] * 2
    while rate <= extend_to:
        yield rate
        rate *= 2


def per_call_ms(seconds: float | None, calls: int) -> float | None:
    return None if seconds is None else round(seconds / max(1, calls) * 1000, 2)


def summary(run: PhaseRun, bench: BenchStack) -> dict[str, Any]:
    pace = pacing(arrivals(bench.heard_dir / "calls.log", run.numbers),
                  run.calls_per_minute, len(run.numbers))
    calls = pace["invites"]
    engine_cpu = run.cpu_s.get("engine")
    return pace | {
        "failures": run.failures, "wall_s": round(run.wall_s, 2),
        "engine_cpu_s": None if engine_cpu is None else round(engine_cpu, 3),
        "engine_cpu_ms_per_call": per_call_ms(engine_cpu, calls),
        "pbx_cpu_ms_per_call": per_call_ms(run.cpu_s.get("pbx"), calls),
        "cpu_ms_per_call": {name: per_call_ms(seconds, calls)
                            for name, seconds in run.cpu_s.items()},
        "machine_busy_cores": round(run.machine_busy_cores, 2),
        "others_busy_cores": round(run.others_busy_cores, 2),
        "details": run.details,
    }


def sustained(view: dict[str, Any]) -> bool:
    return (view["invites"] == view["expected_calls"] and not view["failures"]
            and view["pacing_error"] <= MAX_PACING_ERROR)


@dataclass(frozen=True)
class Parties:
    """Everything a rate's two phases dial with."""

    bench: BenchStack
    campaigns: EngineCampaigns
    raw: RawAriCampaign
    meter: Meter
    numbers: Iterator[str]  # fresh numbers, each dialled once


class StackBusy(RuntimeError):
    """The stack did not quiet down, even after the carrier was restarted."""


async def one_rate(parties: Parties, rate: float, *, duration: float, tag: str
                   ) -> dict[str, Any]:
    """Raw ARI, then the engine, at ``rate``; each phase once the stack is quiet."""
    count = math.ceil(rate * duration / 60) + 1
    engine_numbers = list(itertools.islice(parties.numbers, count))
    raw_numbers = list(itertools.islice(parties.numbers, count))
    list_id = await parties.campaigns.new_list(engine_numbers)
    timeout = duration * 3 + 120
    raw_gate = await settled_stack(parties, f"raw ARI at {rate:g} cpm")
    raw_run = await raw_phase(parties.raw, parties.meter, rate, raw_numbers, tag,
                              timeout=timeout)
    engine_gate = await settled_stack(parties, f"the engine at {rate:g} cpm")
    engine_run = await engine_phase(parties.campaigns, parties.meter, rate, engine_numbers,
                                    list_id, timeout=timeout)
    raw_run.details["before"], engine_run.details["before"] = raw_gate, engine_gate
    raw_view = summary(raw_run, parties.bench)
    engine_view = summary(engine_run, parties.bench)
    ratio = (engine_view["achieved_cpm"] / raw_view["achieved_cpm"]
             if raw_view["achieved_cpm"] else 0.0)
    row = {"calls_per_minute": rate, "calls_each": count,
           "engine": engine_view, "raw_ari": raw_view,
           "achieved_ratio_engine_over_raw": round(ratio, 4),
           "engine_sustained": sustained(engine_view),
           "raw_sustained": sustained(raw_view)}
    print(f"  {rate:>6g} cpm: engine {engine_view['achieved_cpm']:.1f} cpm "
          f"(error {engine_view['pacing_error']:.2%}, failures {engine_view['failures']}), "
          f"raw {raw_view['achieved_cpm']:.1f} cpm (error {raw_view['pacing_error']:.2%}, "
          f"failures {raw_view['failures']})", flush=True)
    return row


async def quiet(raw: RawAriCampaign, bench: BenchStack, timeout: float) -> dict[str, Any]:
    """Wait until the PBX has no channel and the carrier idles (under 0.15 of a core over a
    second): a phase must not start while the last one's calls are still being torn down."""
    started = time.perf_counter()
    while True:
        carrier = bench.pids()["carrier"]
        before = CpuSample.of(carrier)
        channels = await raw.live_channels()
        await asyncio.sleep(1.0)
        busy = before.until(CpuSample.of(carrier)) or 0.0
        waited = round(time.perf_counter() - started, 1)
        if channels == 0 and busy < 0.15:
            return {"quiet": True, "waited_s": waited}
        if waited > timeout:
            return {"quiet": False, "waited_s": waited, "pbx_channels": channels,
                    "carrier_busy_cores": round(busy, 2)}


async def settled_stack(parties: Parties, what: str, timeout: float = 60.0
                        ) -> dict[str, Any]:
    """``quiet``; a carrier still busy after ``timeout`` (past its saturation it can churn
    for minutes with no call) is restarted, once. StackBusy if even that does not help."""
    gate = await quiet(parties.raw, parties.bench, timeout)
    if gate["quiet"]:
        return gate
    bench = parties.bench
    try:
        channels = await asyncio.to_thread(bench.stack.carrier.cli,
                                           "core show channels count")
    except Exception as exc:  # a diagnosis only
        channels = repr(exc)
    print(f"    the carrier was still busy before {what} ({gate}); restarting it",
          flush=True)
    await asyncio.to_thread(bench.restart_carrier)
    again = await quiet(parties.raw, bench, timeout)
    if not again["quiet"]:
        raise StackBusy(f"the stack was still busy before {what}, even after restarting "
                        f"the carrier: {again}")
    return again | {"carrier_restarted": {"busy": gate, "carrier_cli": channels.strip()}}


async def climb(parties: Parties, rows: list[dict[str, Any]], rate: float, *,
                duration: float, tag: str) -> str:
    """One rate appended to ``rows``; why to stop climbing ("": go on): a party did not
    sustain the rate, or the stack did not quiet down (no row then)."""
    try:
        row = await one_rate(parties, rate, duration=duration, tag=tag)
    except StackBusy as exc:
        return str(exc)
    rows.append(row)
    failed = [party for party in ("engine", "raw") if not row[f"{party}_sustained"]]
    return f"{' and '.join(failed)} did not sustain {rate:g} cpm" if failed else ""


def between(rows: list[dict[str, Any]]) -> tuple[float, float] | None:
    """(highest rate the engine sustained, lowest rate above it that it did not), if both."""
    ok = [r["calls_per_minute"] for r in rows if r["engine_sustained"]]
    if not ok:
        return None
    above = [r["calls_per_minute"] for r in rows
             if not r["engine_sustained"] and r["calls_per_minute"] > max(ok)]
    return (max(ok), min(above)) if above else None


def cpu_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Engine CPU per placed call over the rates it sustained (all rates if none): gross,
    and net of what it spends idling (measured beside the raw ARI phases)."""
    used = [r for r in rows if r["engine_sustained"]] or rows
    cpu = sum(r["engine"]["engine_cpu_s"] or 0.0 for r in used)
    calls = sum(r["engine"]["invites"] for r in used)
    wall = sum(r["engine"]["wall_s"] for r in used)
    idle_cpu = sum(r["raw_ari"]["engine_cpu_s"] or 0.0 for r in rows)
    idle_wall = sum(r["raw_ari"]["wall_s"] for r in rows)
    idle_per_s = idle_cpu / idle_wall if idle_wall else 0.0
    return {
        "engine_cpu_ms_per_call": round(cpu / calls * 1000, 2) if calls else None,
        "engine_cpu_ms_per_call_net_of_idle":
            round((cpu - idle_per_s * wall) / calls * 1000, 2) if calls else None,
        "engine_idle_cpu_ms_per_s": round(idle_per_s * 1000, 2),
        "engine_cpu_over": f"{len(used)} rate(s), {calls} calls",
        "engine_cpu_measured": "utime+stime of the engine process (/proc/<pid>/stat) from "
                               "create_campaign to the campaign settled (progress polled "
                               "once a second), over its INVITEs; idle: the engine beside "
                               "the raw ARI phases",
    }


async def dialer_benchmark(bench: BenchStack, *, rates: list[float], extend_to: float,
                           duration: float, refine: int) -> dict[str, Any]:
    s = bench.settings
    ari_auth = basic_auth_header(s.ari_user, s.ari_password.get_secret_value())
    numbers = (us_number(n) for n in itertools.count(FIRST_DIALLED))
    async with (aiohttp.ClientSession(base_url=bench.base_url, headers=HEADERS) as api,
                aiohttp.ClientSession(headers=ari_auth) as ari):
        campaigns, meter = EngineCampaigns(api), Meter(bench)
        warm_numbers = list(itertools.islice(numbers, 3))
        warm_up = await campaigns.start(await campaigns.new_list(warm_numbers), 600)
        warm_view = await campaigns.settled(warm_up, 120)
        media, synthesised = await campaign_media(bench, warm_up)
        raw = RawAriCampaign(ari, f"{s.ari_url}/ari", media)
        parties = Parties(bench, campaigns, raw, meter, numbers)
        listener = asyncio.ensure_future(raw.listen())
        await asyncio.sleep(0.5)
        rows: list[dict[str, Any]] = []
        stopped = ""
        try:
            for k, rate in enumerate(rates_to_try(rates, extend_to)):
                stopped = await climb(parties, rows, rate, duration=duration, tag=f"r{k}")
                if stopped:
                    break
            for k in range(refine):
                bounds = between(rows)
                rate = round(sum(bounds) / 2 / 30) * 30 if bounds else 0  # whole half-cps
                if bounds is None or rate in bounds:
                    break
                count = len(rows)
                why = await climb(parties, rows, rate, duration=duration, tag=f"b{k}")
                if len(rows) == count:  # the stack did not quiet down
                    stopped = why
                    break
        finally:
            listener.cancel()
    engine_ok = [r["calls_per_minute"] for r in rows if r["engine_sustained"]]
    raw_ok = [r["calls_per_minute"] for r in rows if r["raw_sustained"]]
    return {
        "measured": "INVITE arrivals in the carrier's calls.log; achieved rate = (n-1) "
                    "intervals over the first-to-last span; lateness vs the ideal schedule "
                    "from the first INVITE",
        "duration_s_each": duration, "max_pacing_error": MAX_PACING_ERROR,
        "warm_up": {"campaign_id": warm_up, "answered": warm_view.get("answered"),
                    "raw_media": list(media), "raw_clips_from_engine_cache":
                    synthesised == 0},
        "rates": rows, "climb_stopped": stopped,
        "engine_highest_sustained_cpm": max(engine_ok, default=0),
        "raw_highest_sustained_cpm": max(raw_ok, default=0),
    } | cpu_figures(rows)
