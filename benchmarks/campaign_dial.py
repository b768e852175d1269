"""The dialer benchmark's two parties, dialling the same pattern to the same kind of numbers
(the carrier's answer-at-once line 1xxx, each number once): evenly spaced calls at
``calls_per_minute``, each answered call hearing the campaign's short announcement (the
engine's own cached TTS clip of "Hello friend") and hung up when it has been played.

- engine: a contact list and a type 0 campaign made through the engine's API
  (``create_campaign_list``, ``add_contact_to_list``, ``create_campaign``); the phase ends
  when ``get_campaign_progress`` has no contact waiting or being dialled.
- raw ARI: originates fired on an ideal schedule (each at ``start + i * 60 / cpm``, never
  waiting for the previous one's answer), into a Stasis app of this process that plays the
  same clip on StasisStart and hangs up on PlaybackFinished; the phase ends when every
  channel is destroyed.

Each phase records the CPU time the engine and the PBX spent over it (``/proc``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg

from benchmarks.campaign_pacing import CpuSample, MachineSample
from benchmarks.otp import RawAriOtp
from benchmarks.stack import BenchStack
from engine.domain.campaigns.definition import definition_from_json
from engine.domain.campaigns.program import campaign_program
from engine.domain.programs.verbs import Speak
from engine.speech.factory import open_speech

CALLER_ID = "15168148111"
ANNOUNCEMENT = "Hello {field1}"
FIELDS = {"field1": "friend"}
RAW_APP = "bench-campaign-raw"
BATCH = 1000  # contacts per add_contact_to_list request


# "bench": this process (the raw ARI client in raw phases, the API client in engine ones).
PROCESSES = ("engine", "pbx", "carrier", "postgres", "bench")


@dataclass
class PhaseRun:
    """One phase at one rate: what was dialled and what it cost."""

    party: str  # "engine" | "raw_ari"
    calls_per_minute: float
    numbers: list[str]
    wall_s: float = 0.0
    cpu_s: dict[str, float | None] = field(default_factory=dict)  # by PROCESSES
    machine_busy_cores: float = 0.0
    others_busy_cores: float = 0.0  # what the machine did besides the processes measured
    failures: int = 0
    details: dict[str, Any] = field(default_factory=dict)


class Meter:
    """CPU time of the stack's processes (PostgreSQL: its server and every backend), the
    machine's busy cores, and wall time, from ``start()`` to ``stop(run)``."""

    def __init__(self, bench: BenchStack) -> None:
        self.bench = bench
        self._cpu: dict[str, CpuSample] = {}
        self._machine = MachineSample(0, 0)
        self._wall = 0.0

    def _samples(self) -> dict[str, CpuSample]:
        pids = self.bench.pids() | {"bench": os.getpid()}
        # The engine alone (its utime+stime, as asked); the others with their children.
        return {name: CpuSample.of(pids[name], tree=name in {"pbx", "carrier", "postgres"})
                for name in PROCESSES}

    def start(self) -> None:
        self._cpu = self._samples()
        self._machine = MachineSample.now()
        self._wall = time.perf_counter()

    def stop(self, run: PhaseRun) -> None:
        run.wall_s = time.perf_counter() - self._wall
        run.machine_busy_cores = self._machine.busy_cores(MachineSample.now())
        later = self._samples()
        run.cpu_s = {name: self._cpu[name].until(later[name]) for name in PROCESSES}
        ours = sum(v for v in run.cpu_s.values() if v is not None)
        run.others_busy_cores = max(0.0, run.machine_busy_cores - ours / run.wall_s)


class ApiError(RuntimeError):
    """The engine's API answered something other than 200."""


class EngineCampaigns:
    """Lists and campaigns through the engine's API, for the bench account."""

    def __init__(self, api: aiohttp.ClientSession) -> None:
        self.api = api

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        async with self.api.request(method, path, json=body) as response:
            payload: dict[str, Any] = await response.json()
        if response.status != 200:
            raise ApiError(f"{method} {path} answered {response.status}: {payload}")
        answer: dict[str, Any] = payload["response"]
        return answer

    async def new_list(self, numbers: Sequence[str]) -> str:
        answer = await self._call("POST", "/api/create_campaign_list",
                                  {"list_name": f"bench-{uuid.uuid4().hex[:10]}"})
        list_id = str(answer["list_id"])
        for first in range(0, len(numbers), BATCH):
            contacts = [{"contact_name": f"name{n}", "contact_number": n,
                         "contact_fields": FIELDS} for n in numbers[first:first + BATCH]]
            answer = await self._call("POST", "/api/add_contact_to_list",
                                      {"list_id": list_id, "contacts": contacts})
            if str(answer.get("imported")) != str(len(contacts)):
                raise ApiError(f"add_contact_to_list imported {answer}")
        return list_id

    async def start(self, list_id: str, calls_per_minute: float) -> str:
        now = time.time()
        answer = await self._call("POST", "/api/create_campaign", {
            "list_id": list_id, "dnd_list_id": "",
            "campaign_name": f"bench-{uuid.uuid4().hex[:10]}", "campaign_type": "0",
            "campaign_caller_id": CALLER_ID, "dynamic_announcement": "1",
            "recorded_filename": "", "announcement_text": ANNOUNCEMENT,
            "campaign_start_date": wall_utc(now - 60),
            "campaign_end_date": wall_utc(now + 3 * 3600), "time_zone": "UTC",
            "repeat": "1", "max_retries": "0", "retry_time": "60",
            "calls_per_minute": f"{calls_per_minute:g}"})
        return str(answer["campaign_id"])

    async def progress(self, campaign_id: str) -> dict[str, Any]:
        answer = await self._call("POST", "/api/get_campaign_progress",
                                  {"campaign_id": campaign_id})
        result: dict[str, Any] = answer["result"]
        return result

    async def cdr_statistics(self, campaign_id: str) -> dict[str, Any]:
        """Counts of the campaign's CDRs by dial status (nonzero ones)."""
        answer = await self._call("POST", "/api/get_campaign_cdr_statistics",
                                  {"campaign_id": campaign_id})
        found = answer.get("result", answer)
        counts = found[0] if isinstance(found, list) and found else found
        if not isinstance(counts, dict):
            return {"answer": counts}
        return {k: v for k, v in counts.items() if v not in ([0], ["0"], 0, "0")}

    async def settled(self, campaign_id: str, timeout: float) -> dict[str, Any]:
        """The progress once no contact is waiting or being dialled (polled each second)."""
        deadline = time.perf_counter() + timeout
        while True:
            view = await self.progress(campaign_id)
            busy = sum(int(view[k]) for k in ("pending", "retry_scheduled", "in_progress"))
            if not busy:
                return view
            if time.perf_counter() > deadline:
                raise TimeoutError(f"campaign {campaign_id} still busy: {view}")
            await asyncio.sleep(1.0)


def wall_utc(epoch: float) -> str:
    return f"{datetime.fromtimestamp(int(epoch), UTC):%Y-%m-%d %H:%M:%S}"


async def engine_phase(campaigns: EngineCampaigns, meter: Meter, calls_per_minute: float,
                       numbers: list[str], list_id: str, *, timeout: float) -> PhaseRun:
    """One campaign over ``list_id`` (made beforehand, not measured), to its end."""
    run = PhaseRun("engine", calls_per_minute, numbers)
    meter.start()
    campaign_id = await campaigns.start(list_id, calls_per_minute)
    view = await campaigns.settled(campaign_id, timeout)
    meter.stop(run)
    run.failures = len(numbers) - int(view["answered"])
    run.details = {"campaign_id": campaign_id, "progress": view,
                   "cdr_statistics": await campaigns.cdr_statistics(campaign_id)}
    return run


class RawAriCampaign(RawAriOtp):
    """The campaign's calls written directly against ARI (``RawAriOtp``'s play-then-hang-up
    handling), dialled on a schedule; counts the calls that were answered (StasisStart)."""

    def __init__(self, session: aiohttp.ClientSession, base: str, media: Sequence[str]
                 ) -> None:
        super().__init__(session, base, media)
        self.app = RAW_APP
        self.answered: set[str] = set()

    async def _on_event(self, event: dict[str, object]) -> None:
        if event["type"] == "StasisStart":
            channel = event["channel"]
            assert isinstance(channel, dict)
            self.answered.add(str(channel["id"]))
        await super()._on_event(event)

    async def live_channels(self) -> int:
        """Channels the PBX has up right now (any app's)."""
        async with self.session.get(f"{self.base}/channels") as reply:
            channels = await reply.json()
        return len(channels) if isinstance(channels, list) else -1

    async def dial(self, cid: str, number: str, timeout: float) -> None:
        self.done[cid] = asyncio.Event()
        await self._post("/channels", endpoint=f"PJSIP/{number}@carrier", app=self.app,
                         channelId=cid, callerId=CALLER_ID, timeout="30", appArgs="leg")
        await asyncio.wait_for(self.done[cid].wait(), timeout=timeout)


async def raw_phase(raw: RawAriCampaign, meter: Meter, calls_per_minute: float,
                    numbers: list[str], tag: str, *, timeout: float) -> PhaseRun:
    """Originates on the ideal schedule, then wait for every channel to be gone."""
    run = PhaseRun("raw_ari", calls_per_minute, numbers)
    step = 60.0 / calls_per_minute
    loop = asyncio.get_running_loop()
    meter.start()
    start = loop.time() + 0.05
    calls: list[asyncio.Future[None]] = []
    ids: list[str] = []
    for i, number in enumerate(numbers):
        delay = start + i * step - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        ids.append(f"{tag}x{i}.c")  # never a prefix of another live id (see RawAriOtp)
        calls.append(asyncio.ensure_future(raw.dial(ids[-1], number, timeout)))
    results = await asyncio.gather(*calls, return_exceptions=True)
    meter.stop(run)
    errors = [r for r in results if isinstance(r, BaseException)]
    unanswered = [cid for cid in ids if cid not in raw.answered]
    run.failures = len({*unanswered, *(ids[i] for i, r in enumerate(results)
                                       if isinstance(r, BaseException))})
    run.details = {"errors": [repr(e) for e in errors[:5]], "unanswered": len(unanswered)}
    return run


async def campaign_media(bench: BenchStack, campaign_id: str) -> tuple[tuple[str, ...], int]:
    """The ``sound:`` URIs the engine plays for the campaign's announcement (its definition
    as stored, rendered for a contact), from its TTS cache; and how many clips had to be
    synthesised (0: the engine's own cached clips)."""
    conn = await asyncpg.connect(bench.dsn)
    try:
        stored = await conn.fetchval(
            "SELECT definition::text FROM campaigns WHERE campaign_id = $1", campaign_id)
    finally:
        await conn.close()
    definition = definition_from_json(json.loads(stored))
    program = campaign_program(definition, contact_name="name", number=CALLER_ID,
                               fields=FIELDS)
    speaks = [verb for verb in program if isinstance(verb, Speak)]
    service = await open_speech(bench.settings)
    try:
        media: list[str] = []
        for speak in speaks:
            media += await service.synthesize(speak.utterance, "bench")
    finally:
        service.close()
    return tuple(media), service.syntheses
