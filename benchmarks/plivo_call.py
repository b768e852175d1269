"""Plivo-compatible API calls against raw ARI, measured in the same run.

Both phases run the same call pattern in batches of ``--concurrency`` calls, their batches
taking turns (both meet the PBX and the carrier in the same state): dial a carrier number
that answers at once (line 1xxx), fetch a one-verb answer_url document
(``<Response><Speak>Your code is 1 2 3 4</Speak></Response>``) from a loopback webhook
server in this process, play its speech, hang up when it ends, and tell the server the
call has ended. A call is complete when that hangup notification reaches the server.

- engine: ``POST /v1/Account/{auth_id}/Call/`` (Basic auth) with answer_url and hangup_url;
  the engine fetches the document (signed), speaks it (synthesised once by the warm-up
  call, a cache hit after), hangs up when the document ends and posts the signed
  hangup_url callback through its durable delivery. After every batch, the live-call list
  is polled until empty (counted in the engine's time).
- raw ARI: originate into a Stasis app; on StasisStart POST the answer_url for the same
  document and read its ``<Speak>``, play the engine's own cached clip for it (its
  ``sound:`` URI worked out once, with the engine's document parser and speech service),
  hang up on PlaybackFinished, and on ChannelDestroyed POST a signed hangup notification.

The report gives completed calls/s of both and their ratio (target: the engine at 0.85 or
more of raw ARI), request latency p50/p90/p99 (engine: the ``POST …/Call/``; raw: the
originate ``POST /channels``), whole-call p50/p99 (request sent to hangup notification
received), the hangup callbacks received and how many verify with Plivo's SDK validator,
and whether every engine call left its ended-call record. The bench account's limits are
raised through ``ENGINE_DEFAULT_CALLS_PER_SECOND`` / ``ENGINE_DEFAULT_MAX_CONCURRENT_CALLS``
so they do not cap the measure. Printed and written to ``var/plivo-bench/report.json``; the
stack is of its own (ports 29xxx) and holds the machine's stack lock. If the PBX, the
simulated carrier or the engine dies mid-run, the run stops at once and says so.

    python -m benchmarks.plivo_call --calls 200 --concurrency 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

import aiohttp

from benchmarks.click2call import PhaseResult, Tally, percentile
from benchmarks.plivo_parties import (
    ANSWER,
    CALLS,
    CALLS_PER_SECOND,
    DOCUMENT,
    HANGUP,
    MAX_CONCURRENT,
    PLIVO_ENV,
    RAW_HANGUP,
    Application,
    EnginePlivo,
    RawAriPlivo,
    signed,
)
from benchmarks.stack import StackDied, bench_stack, guarded
from engine.ari.query import basic_auth_header
from engine.domain.plivo.document import DocumentContext, parse_document
from engine.domain.programs.verbs import Speak
from engine.settings import Settings
from engine.speech.factory import open_speech


async def raw_media(settings: Settings) -> tuple[str, int]:
    """The ``sound:`` URIs (comma-joined) the engine plays for the document's <Speak>, from
    its cache (warmed by a first engine call); also how many clips had to be synthesised."""
    service = await open_speech(settings)
    try:
        context = DocumentContext(service.catalogue(), frozenset(), settings.default_region)
        (speak,) = parse_document(DOCUMENT.encode(), context)
        assert isinstance(speak, Speak)
        media = await service.synthesize(speak.utterance, "bench")
    finally:
        service.close()
    return ",".join(media), service.syntheses


async def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    ari_auth = basic_auth_header(settings.ari_user, settings.ari_password.get_secret_value())
    async with (Application().serving() as app,
                aiohttp.ClientSession(base_url=base_url) as api,
                aiohttp.ClientSession(headers=ari_auth) as ari,
                aiohttp.ClientSession() as web_session):
        warm_up = EnginePlivo(api, app)
        await warm_up.one_call(0)
        await warm_up.settle()
        warm_up_ok = not await warm_up.without_ended_record()
        media, synthesised = await raw_media(settings)
        raw = RawAriPlivo(ari, f"{settings.ari_url}/ari", web_session, app, media)
        engine = EnginePlivo(api, app)
        listener = asyncio.ensure_future(raw.listen())
        await asyncio.sleep(0.5)
        raw_tally, engine_tally = Tally(), Tally()
        for first in range(1, args.calls + 1, args.concurrency):
            batch = range(first, min(args.calls + 1, first + args.concurrency))
            await raw_tally.batch([raw.one_call(n) for n in batch])
            await engine_tally.batch([engine.one_call(n) for n in batch])
            started = time.perf_counter()
            await engine.settle()
            engine_tally.seconds += time.perf_counter() - started
        listener.cancel()
        unended = await engine.without_ended_record()
    raw_phase = PhaseResult("raw_ari", args.calls, raw_tally.seconds, raw.latencies_ms,
                            raw_tally.failures + raw.failed_playbacks + raw.bad_documents)
    engine_phase = PhaseResult("engine", args.calls, engine_tally.seconds, engine.latencies_ms,
                               engine_tally.failures)
    ratio = (engine_phase.calls_per_second / raw_phase.calls_per_second
             if raw_phase.calls_per_second else 0.0)
    ours = set(engine.uuids)
    hangups = [h for h in app.requests_to(HANGUP) if h.params.get("CallUUID") in ours]
    return {
        "calls": args.calls, "concurrency": args.concurrency, "document": DOCUMENT,
        "account_limits": {
            "calls_per_second": int(CALLS_PER_SECOND),
            "max_concurrent_calls": int(MAX_CONCURRENT),
            "how": "ENGINE_DEFAULT_CALLS_PER_SECOND / ENGINE_DEFAULT_MAX_CONCURRENT_CALLS "
                   "raised so they do not cap the measure (engine defaults: 10 calls/s, "
                   "50 concurrent)",
            "engine_calls_queued": engine.queued},
        "raw_ari": raw_phase.summary() | timings(raw.latencies_ms, raw.call_ms) | {
            "latency": "originate POST /channels",
            "answer_url_fetches": len([h for h in app.requests_to(ANSWER)
                                       if h.params.get("CallUUID", "").startswith("plv")]),
            "hangup_notifications": len(app.requests_to(RAW_HANGUP))},
        "engine": engine_phase.summary() | timings(engine.latencies_ms, engine.call_ms) | {
            "latency": f"POST {CALLS}",
            "answer_url_fetches": len([h for h in app.requests_to(ANSWER)
                                       if h.params.get("CallUUID") in ours]),
            "hangup_callbacks": len(hangups),
            "hangup_callbacks_calls": len({h.params["CallUUID"] for h in hangups}),
            "hangup_callbacks_signed": len({h.params["CallUUID"] for h in hangups
                                            if signed(h)}),
            "calls_without_completed_ended_record": len(unended)},
        "throughput_ratio_engine_over_raw": round(ratio, 3),
        "target_ratio": 0.85, "target_met": ratio >= 0.85,
        "warm_up_call_completed": warm_up_ok,
        "raw_clips_from_engine_cache": synthesised == 0,
    }


def timings(request_ms: list[float], call_ms: list[float]) -> dict[str, float]:
    return {"p90_ms": round(percentile(request_ms, 90), 2),
            "call_p50_ms": round(percentile(call_ms, 50), 1),
            "call_p99_ms": round(percentile(call_ms, 99), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int,
                        default=int(os.environ.get("PLIVO_BENCH_CALLS", "200")))
    parser.add_argument("--concurrency", type=int,
                        default=int(os.environ.get("PLIVO_BENCH_CONCURRENCY", "30")))
    args = parser.parse_args()
    try:
        with bench_stack(PLIVO_ENV) as bench:
            report = asyncio.run(guarded(run(args, bench.settings), bench.stack))
    except StackDied as exc:
        print(f"plivo_call benchmark stopped: {exc}; no figures", flush=True)
        return 2
    path = bench.var_dir / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"written to {path}")
    engine = report["engine"]
    ok = (not engine["failures"] and not report["raw_ari"]["failures"]
          and not engine["calls_without_completed_ended_record"]
          and engine["hangup_callbacks_signed"] == engine["hangup_callbacks_calls"] == args.calls)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
