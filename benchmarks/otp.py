"""OTP calls through the engine against raw ARI, measured in the same run.

Both phases run the same call pattern in batches of ``--concurrency`` calls: dial a carrier
number that answers at once, play "Your one time password is 1 9 8 7" (the engine's own
cached TTS clips: the prefix, then one clip per digit), hang up when the playback ends.
Phase 1 drives ARI directly (no engine) with the clips' ``sound:`` URIs worked out once;
phase 2 asks the engine through ``POST /api/outbound_call`` with an approved template, so
each call also pays the engine's speech step (a cache lookup per clip after warm-up).

Before the phases, one engine OTP call warms the engine's clip cache, and the engine's
``SpeechService`` is timed in-process on the same utterance and voice: cold (an empty
cache: the prefix and four digits synthesised by espeak-ng and converted by sox) and warm
(every clip a cache hit: what each benchmarked engine call costs in speech). The calls are
not timed from inside the engine: its answer-to-first-playback gap is not visible from
outside.

The report gives completed calls/s for both phases and their ratio (engine over raw),
request latency percentiles (engine: the ``POST /api/outbound_call``; raw: the originate
``POST /channels``), whole-call percentiles for the raw phase, and whether every engine
call left one CDR with ``dial_status`` ANSWER. It is printed and written to
``var/otp-bench/report.json``. The stack is of its own (``var/otp-bench``, ports 4xxxx);
the integration tests' stack lock is held while it runs, so the figures are not taken
beside a test run.

    python -m benchmarks.otp --calls 300 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.click2call import (
    BENCH_ENV,
    CALLER_ID,
    HEADERS,
    PhaseResult,
    RawAriCalls,
    percentile,
)
from benchmarks.stack import bench_stack
from benchmarks.tts import timed
from engine.ari.query import basic_auth_header
from engine.domain.otp import otp_utterance
from engine.domain.speech import Utterance
from engine.domain.templates import split_template
from engine.domain.voices import validate_tts
from engine.settings import Settings
from engine.speech.factory import open_speech
from engine.speech.service import SpeechService

OTP_ENV = {
    **BENCH_ENV,
    "ENGINE_VAR_DIR": "var/otp-bench",
    "ENGINE_STACK_NAME": "cpaas-otpbench",
    "ENGINE_HTTP_PORT": "48080",
    "ENGINE_DB_PORT": "45433",
    "ENGINE_ARI_URL": "http://127.0.0.1:48088",
    "ENGINE_AMI_PORT": "45038",
    "ENGINE_SIP_PORT": "45060",
    "ENGINE_TRUNK_PORT": "45080",
    "ENGINE_CARRIER_AMI_PORT": "45039",
    "ENGINE_SIMULATED_AGENTS": "",
}
TEMPLATE = "Your one time password is {otp}"
OTP = "1987"
RAW_APP = "bench-otp-raw"
CALL_TIMEOUT = 60.0


def customer(n: int) -> str:
    """The carrier's line 1xxx: answers at once and stays up until the PBX hangs up."""
    return f"15168141{n % 1000:03d}"


async def in_batches(calls: int, concurrency: int, one: Callable[[int], Awaitable[None]],
                     settle: Callable[[], Awaitable[None]] | None = None) -> tuple[float, int]:
    """Run ``one(n)`` for every n, ``concurrency`` at a time, each batch to its end (then
    ``settle()``); returns (seconds, failed calls)."""
    failures = 0
    started = time.perf_counter()
    for first in range(0, calls, concurrency):
        batch = range(first, min(calls, first + concurrency))
        results = await asyncio.gather(*(one(n) for n in batch), return_exceptions=True)
        failures += sum(1 for r in results if isinstance(r, BaseException))
        if settle is not None:
            await settle()
    return time.perf_counter() - started, failures


class RawAriOtp(RawAriCalls):
    """The OTP pattern written directly against ARI: originate, play the clips when the
    number answers (it enters Stasis then), hang up when the playback has finished.
    ``latencies_ms`` holds the originate requests' latencies."""

    def __init__(self, session: aiohttp.ClientSession, base: str, media: Sequence[str]
                 ) -> None:
        super().__init__(session, base, RAW_APP)
        self.media = ",".join(media)
        self.call_ms: list[float] = []
        self.failed_playbacks = 0



    async def _on_event(self, event: dict[str, object]) -> None:
        kind = event["type"]
        if kind == "StasisStart":
            channel = event["channel"]
            assert isinstance(channel, dict)
            cid = str(channel["id"])
            self._spawn(self._ari("POST", f"/channels/{cid}/play/{cid}.p", media=self.media))
        elif kind == "PlaybackFinished":
            playback = event["playback"]
            assert isinstance(playback, dict)
            if playback.get("state") != "done":
                self.failed_playbacks += 1
            cid = str(playback["target_uri"]).removeprefix("channel:")
            self._spawn(self._ari("DELETE", f"/channels/{cid}"))
        elif kind == "ChannelDestroyed":
            channel = event["channel"]
            assert isinstance(channel, dict)
            done = self.done.get(str(channel["id"]))
            if done is not None:
                done.set()

    async def one_call(self, n: int) -> None:
        # Asterisk refuses a channel id that another live one begins with ("otp2" while
        # "otp20" is up): the suffix keeps any id from being a prefix of another.
        cid = f"otp{n}.c"
        self.done[cid] = asyncio.Event()
        started = time.perf_counter()
        await self._post("/channels", endpoint=f"PJSIP/{customer(n)}@carrier", app=self.app,
                         channelId=cid, callerId=CALLER_ID, timeout="30", appArgs="leg")
        await asyncio.wait_for(self.done[cid].wait(), timeout=CALL_TIMEOUT)
        self.call_ms.append((time.perf_counter() - started) * 1000)


async def raw_phase(calls: int, concurrency: int, settings: Settings, media: Sequence[str]
                    ) -> tuple[PhaseResult, RawAriOtp]:
    auth = basic_auth_header(settings.ari_user, settings.ari_password.get_secret_value())
    async with aiohttp.ClientSession(headers=auth) as session:
        raw = RawAriOtp(session, f"{settings.ari_url}/ari", media)
        listener = asyncio.ensure_future(raw.listen())
        await asyncio.sleep(0.5)
        elapsed, failures = await in_batches(calls, concurrency, raw.one_call)
        listener.cancel()
    failures += raw.failed_playbacks
    return PhaseResult("raw_ari", calls, elapsed, raw.latencies_ms, failures), raw


class EngineOtp:
    """OTP calls through the engine's API, for one approved template."""

    def __init__(self, session: aiohttp.ClientSession, template_id: str) -> None:
        self.session, self.template_id = session, template_id
        self.latencies_ms: list[float] = []
        self.request_ids: list[str] = []

    async def one_call(self, n: int) -> None:
        body = {"customer_number": customer(n), "otp": OTP,
                "announce_template_id": self.template_id, "repeat": "1",
                "caller_id": CALLER_ID}
        started = time.perf_counter()
        async with self.session.post("/api/outbound_call", json=body) as response:
            payload = await response.json()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status != 200 or payload["response"].get("success") != "true":
            raise RuntimeError(f"outbound_call answered {response.status}: {payload}")
        self.request_ids.append(payload["response"]["request_id"])

    async def settle(self) -> None:
        """Wait until the engine has no OTP call live (at most ``CALL_TIMEOUT``)."""
        deadline = time.perf_counter() + CALL_TIMEOUT
        while time.perf_counter() < deadline:
            async with self.session.get("/api/get_live_call_statistics") as response:
                payload = await response.json()
            if not int(payload["response"]["result"]["live_calls_otp"]):
                return
            await asyncio.sleep(0.05)

    async def cdr_rows(self, request_id: str) -> list[dict[str, Any]]:
        async with self.session.post("/api/get_cdr_by_request_id",
                                     json={"request_id": request_id}) as response:
            payload = await response.json()
        rows: list[dict[str, Any]] = payload["response"].get("result", [])
        return rows

    async def unanswered(self, request_ids: Sequence[str]) -> list[str]:
        """The request ids without exactly one CDR, with ``dial_status`` ANSWER (asked
        again for up to 10 s, in case a CDR is still being written)."""
        pending = list(request_ids)
        deadline = time.perf_counter() + 10
        while True:
            rows = await asyncio.gather(*(self.cdr_rows(r) for r in pending))
            pending = [r for r, found in zip(pending, rows, strict=True)
                       if [row["dial_status"] for row in found] != ["ANSWER"]]
            if not pending or time.perf_counter() > deadline:
                return pending
            await asyncio.sleep(1)


async def approved_template(session: aiohttp.ClientSession) -> str:
    """A template of the bench account, approved with the operator CLI (this stack's env)."""
    async with session.post("/api/templates", json={"name": "bench", "text": TEMPLATE}
                            ) as response:
        payload = await response.json()
    template_id = str(payload["response"]["template_id"])
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "engine", "templates", "approve", template_id],
        env=dict(os.environ), capture_output=True, text=True, timeout=60, check=False)
    if result.returncode:
        raise RuntimeError(f"templates approve failed: {result.stderr}")
    return template_id


def engine_utterance(service: SpeechService) -> Utterance:
    """What the engine says for the bench's order (default voice and prosody)."""
    voice, prosody = validate_tts(catalogue=service.catalogue())
    before, after = split_template(TEMPLATE)
    return otp_utterance(before, OTP, after, voice, prosody)


async def speech_cost(rounds: int) -> dict[str, float]:
    """In-process ``SpeechService.synthesize`` of the bench's utterance: ms on an empty
    cache, then per call once warm."""
    with tempfile.TemporaryDirectory(prefix="otp-bench-tts-") as tmp:
        service = await open_speech(Settings(tts_path=Path(tmp)))
        try:
            utterance = engine_utterance(service)

            async def say(_index: int) -> None:
                await service.synthesize(utterance, "bench")

            cold = await timed(1, say)
            warm = await timed(rounds, say)
        finally:
            service.close()
    return {"cold_ms": round(cold[0], 1), "warm_p50_ms": round(percentile(warm, 50), 3),
            "warm_p99_ms": round(percentile(warm, 99), 3),
            "warm_mean_ms": round(sum(warm) / len(warm), 3), "warm_rounds": rounds}


async def engine_clips(settings: Settings) -> tuple[tuple[str, ...], int]:
    """The ``sound:`` URIs the engine plays for the bench's utterance, from its own cache
    (warmed by a first call); also how many clips had to be synthesised (0 when shared)."""
    service = await open_speech(settings)
    try:
        media = await service.synthesize(engine_utterance(service), "bench")
    finally:
        service.close()
    return media, service.syntheses


async def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    async with aiohttp.ClientSession(base_url=base_url, headers=HEADERS) as session:
        template_id = await approved_template(session)
        warm_up = EngineOtp(session, template_id)
        await warm_up.one_call(0)
        await warm_up.settle()
        warm_up_unanswered = await warm_up.unanswered(warm_up.request_ids)
        speech = await speech_cost(args.tts_rounds)
        media, synthesised = await engine_clips(settings)
        raw, raw_calls = await raw_phase(args.calls, args.concurrency, settings, media)
        engine = EngineOtp(session, template_id)
        elapsed, failures = await in_batches(args.calls, args.concurrency, engine.one_call,
                                             engine.settle)
        unanswered = await engine.unanswered(engine.request_ids)
    phase = PhaseResult("engine", args.calls, elapsed, engine.latencies_ms, failures)
    ratio = phase.calls_per_second / raw.calls_per_second if raw.calls_per_second else 0.0
    return {
        "calls": args.calls, "concurrency": args.concurrency,
        "utterance": f"{TEMPLATE.format(otp=' '.join(OTP))} (default voice), "
                     f"{len(media)} clips",
        "raw_ari": raw.summary() | {
            "latency": "originate POST /channels",
            "call_p50_ms": round(percentile(raw_calls.call_ms, 50), 1),
            "call_p99_ms": round(percentile(raw_calls.call_ms, 99), 1)},
        "engine": phase.summary() | {"latency": "POST /api/outbound_call"},
        "throughput_ratio_engine_over_raw": round(ratio, 3),
        "engine_calls_without_one_answered_cdr": len(unanswered),
        "warm_up_call_answered": not warm_up_unanswered,
        "tts_per_call": speech | {
            "measured": "SpeechService.synthesize() in-process, same utterance and voice: "
                        "cold on an empty cache, warm with every clip cached (the cost "
                        "of each benchmarked engine call)"},
        "raw_clips_from_engine_cache": synthesised == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("OTP_CALLS", "300")))
    parser.add_argument("--concurrency", type=int,
                        default=int(os.environ.get("OTP_CONCURRENCY", "50")))
    parser.add_argument("--tts-rounds", type=int, default=50,
                        help="warm synthesize() timings to take (default 50)")
    args = parser.parse_args()
    with bench_stack(OTP_ENV) as bench:
        report = asyncio.run(run(args, bench.settings))
    path = bench.var_dir / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"written to {path}")
    ok = (not report["engine_calls_without_one_answered_cdr"]
          and not report["engine"]["failures"] and not report["raw_ari"]["failures"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
