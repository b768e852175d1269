"""Ledger agreement: do the engine's CDRs tell what the simulated carrier saw and heard?

Places click2call calls of mixed outcomes through the engine's API on a real local stack
of its own (``var/ledger-bench/``, ports 3xxxx), waits until every call has ended, then
compares each CDR leg with the carrier's own evidence: ``heard/calls.log`` (one line per
call that reached it), its recordings (``heard/<number>-<uniqueid>.wav``), its clock of
answered calls (``heard/answered.log``, when the carrier keeps one) and its AMI event
stream, followed during the run. Every agent and destination number is used once, so each
carrier line and recording maps to exactly one CDR leg by number.

A leg agrees when (1) the carrier saw a call for the number iff a CDR leg exists for it,
(2) its ``dial_status`` is the carrier's outcome (a recording means ANSWER; otherwise the
line decides: 2xxx BUSY, 3xxx NOANSWER or CANCEL, 4xxx CONGESTION, 9xxx CHANUNAVAIL) with a
consistent ``call_status``/``billsec``, and (3) an answered leg's ``billsec`` is within
0.2 s of the carrier's answered time. That is its own clock where it keeps one, else the
recording's length (``soxi -D``) plus the time its ``Answer()`` waited for the first media
frame (up to 0.5 s, never in the file; measured from its AMI). The report gives agreement
%, billsec error percentiles, request latency and calls/s; it exits 1 below 100 %.

    python -m benchmarks.ledger_truth --calls 300 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import phonenumbers

LEDGER_ENV = {
    "ENGINE_VAR_DIR": "var/ledger-bench",
    "ENGINE_STACK_NAME": "cpaas-ledger",
    "ENGINE_HTTP_PORT": "38080",
    "ENGINE_DB_PORT": "35433",
    "ENGINE_ARI_URL": "http://127.0.0.1:38088",
    "ENGINE_AMI_PORT": "35038",
    "ENGINE_SIP_PORT": "35060",
    "ENGINE_TRUNK_PORT": "35080",
    "ENGINE_CARRIER_AMI_PORT": "35039",
    "ENGINE_BOOTSTRAP_ACCOUNTS": "account_1:ledger-token",
    "ENGINE_DIAL_TIMEOUT_SECONDS": "4",
    "ENGINE_SHUTDOWN_GRACE_SECONDS": "5",
    "ENGINE_SIMULATED_AGENTS": "",
}
HEADERS = {"account": "account_1", "auth": "ledger-token"}
CALLER_ID = "15168148111"
BILLSEC_TOLERANCE_S = 0.2
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
# The carrier's outcome for a number without a recording, by the first digit of its line.
UNANSWERED_STATUS = {
    "2": ("BUSY",), "3": ("NOANSWER", "CANCEL"), "4": ("CONGESTION",), "9": ("CHANUNAVAIL",),
}
ANSWERING_LINES = ("0", "1", "5", "6", "7", "8")
CALL_STATUS = {"ANSWER": "ANSWERED", "BUSY": "BUSY", "NOANSWER": "NO ANSWER",
               "CANCEL": "NO ANSWER", "CHANUNAVAIL": "FAILED", "CONGESTION": "CONGESTION"}
AREA_CODES = ("516", "212", "415", "617", "312", "718", "646", "303", "206", "512")
EPOCH_HTTP = "Thu, 01 Jan 1970 00:00:00 GMT"


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (as numpy's default); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


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


# ---- the carrier's evidence --------------------------------------------------------------

@dataclass
class CarrierChannel:
    """One carrier channel's timeline, as its own AMI tells it (perf_counter seconds)."""

    up_at: float | None = None
    # When its dialplan went on after Answer(): media flows (and is recorded) from then.
    answer_returned_at: float | None = None
    hangup_at: float | None = None
    cause: str = ""


class CarrierEvents:
    """The carrier's event log, read live from its AMI: when each channel answered, when
    its ``Answer()`` returned and when it hung up.

    ``Answer()`` waits up to 0.5 s for the first media frame from the PBX (Asterisk's
    ``__ast_answer``) and nothing is recorded meanwhile, so a recording can be up to 0.5 s
    shorter than the answered time; this log measures that wait for every channel.
    """

    def __init__(self, host: str, port: int, user: str, secret: str) -> None:
        self._address = (host, port)
        self._login = (f"Action: Login\r\nUsername: {user}\r\nSecret: {secret}\r\n"
                       "Events: call,dialplan\r\n\r\n").encode()
        self.channels: dict[str, CarrierChannel] = {}
        self.error = ""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Future[None] | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(*self._address)
        await self._reader.readline()  # "Asterisk Call Manager/…"
        self._writer.write(self._login)
        await self._writer.drain()
        reply = await self._read_block()
        if not reply or reply.get("Response") != "Success":
            raise RuntimeError(f"carrier AMI login failed: {reply}")
        self._task = asyncio.ensure_future(self._listen())

    async def _read_block(self) -> dict[str, str] | None:
        assert self._reader is not None
        fields: dict[str, str] = {}
        while True:
            line = await self._reader.readline()
            if not line:
                return None
            text = line.decode(errors="replace").rstrip("\r\n")
            if not text:
                if fields:
                    return fields
                continue
            key, _, value = text.partition(":")
            fields[key.strip()] = value.strip()

    async def _listen(self) -> None:
        try:
            while (block := await self._read_block()) is not None:
                self.on_event(block, time.perf_counter())
            self.error = "the connection closed during the run"
        except OSError as exc:
            self.error = repr(exc)

    def on_event(self, event: dict[str, str], at: float) -> None:
        kind = event.get("Event")
        if kind not in ("Newchannel", "Newstate", "Newexten", "Hangup"):
            return
        channel = self.channels.setdefault(event.get("Uniqueid", ""), CarrierChannel())
        if kind == "Newstate" and event.get("ChannelStateDesc") == "Up":
            channel.up_at = channel.up_at or at
        elif kind == "Newexten" and channel.up_at is not None:
            channel.answer_returned_at = channel.answer_returned_at or at
        elif kind == "Hangup":
            channel.hangup_at = at
            channel.cause = event.get("Cause", "")

    def all_hung_up(self) -> bool:
        return all(c.hangup_at is not None for c in self.channels.values())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._writer is not None:
            self._writer.close()


@dataclass(frozen=True)
class Recording:
    name: str
    uniqueid: str
    seconds: float | None


@dataclass(frozen=True)
class CarrierEvidence:
    seen: dict[str, list[str]]  # number -> carrier uniqueids (heard/calls.log)
    recordings: dict[str, list[Recording]]  # number -> its recordings (heard/*.wav)
    channels: dict[str, CarrierChannel]  # carrier uniqueid -> timeline (its AMI)
    # carrier uniqueid -> answered seconds by the carrier's own clock (heard/answered.log,
    # "<number> <uniqueid> <answered epoch> <ended epoch>"; absent from older carriers)
    clock: dict[str, float]


def wav_durations(paths: Sequence[Path]) -> dict[Path, float | None]:
    """Each file's duration as sox sees it (``soxi -D``), None when sox cannot read it."""
    durations: dict[Path, float | None] = {}
    for first in range(0, len(paths), 100):
        chunk = list(paths[first:first + 100])
        out = subprocess.run(["soxi", "-D", *map(str, chunk)], capture_output=True,
                             text=True, check=False)
        lines = out.stdout.split()
        if out.returncode == 0 and len(lines) == len(chunk):
            durations.update(zip(chunk, map(float, lines), strict=True))
            continue
        for path in chunk:  # one unreadable file fails the batch: ask one by one
            single = subprocess.run(["soxi", "-D", str(path)], capture_output=True,
                                    text=True, check=False)
            durations[path] = float(single.stdout) if single.returncode == 0 else None
    return durations


def read_carrier(heard: Path, channels: dict[str, CarrierChannel]) -> CarrierEvidence:
    seen: dict[str, list[str]] = {}
    log = heard / "calls.log"
    for line in log.read_text().splitlines() if log.exists() else []:
        parts = line.split()
        if len(parts) >= 3:
            seen.setdefault(parts[0], []).append(parts[-1])
    files = sorted(p for p in heard.glob("*.wav") if not p.name.endswith("-mix.wav"))
    durations = wav_durations(files)
    recordings: dict[str, list[Recording]] = {}
    for path in files:
        number, _, uniqueid = path.stem.partition("-")
        recordings.setdefault(number, []).append(Recording(path.name, uniqueid,
                                                           durations[path]))
    clock: dict[str, float] = {}
    answered = heard / "answered.log"
    for line in answered.read_text().splitlines() if answered.exists() else []:
        parts = line.split()
        if len(parts) == 4:
            clock[parts[1]] = float(parts[3]) - float(parts[2])
    return CarrierEvidence(seen, recordings, channels, clock)


def asterisk_idle(stack: Any) -> bool:
    """Neither Asterisk has a channel left."""
    counts = [stack.pbx.cli("core show channels count"),
              stack.carrier.cli("core show channels count")]
    return all("0 active channels" in c for c in counts)


# ---- agreement ---------------------------------------------------------------------------

@dataclass
class LegCheck:
    number: str
    kind: str
    role: str
    request_id: str
    problems: list[str] = field(default_factory=list)
    billsec: float | None = None
    recording_s: float | None = None  # the recording's own length (soxi -D)
    answer_wait_s: float | None = None  # carrier answer -> Answer() returned (its AMI)
    carrier_events_s: float | None = None  # carrier answer -> hangup (its AMI)
    carrier_clock_s: float | None = None  # answered time in heard/answered.log

    @property
    def recorded_answered_s(self) -> float | None:
        """How long the carrier's recording says the leg was answered: the recording plus
        the time the carrier's Answer() spent waiting for media, when nothing is recorded."""
        if self.recording_s is None:
            return None
        return self.recording_s + (self.answer_wait_s or 0.0)

    @property
    def reference(self) -> str:
        return "answered.log" if self.carrier_clock_s is not None else "recording+answer_wait"

    @property
    def reference_s(self) -> float | None:
        """The carrier's answered time: its own clock when it keeps one, else the recording
        plus the answer wait."""
        if self.carrier_clock_s is not None:
            return self.carrier_clock_s
        return self.recorded_answered_s

    @property
    def error_s(self) -> float | None:
        return _abs_diff(self.billsec, self.reference_s)

    def error_vs(self, name: str) -> float | None:
        return _abs_diff(self.billsec, getattr(self, name))


def _abs_diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else abs(a - b)


def check_leg(check: LegCheck, rows: list[dict[str, Any]], evidence: CarrierEvidence) -> None:
    number = check.number
    seen = evidence.seen.get(number, [])
    recordings = evidence.recordings.get(number, [])
    channels = [evidence.channels[u] for u in seen if u in evidence.channels]
    carrier_up = any(c.up_at is not None for c in channels)
    problems = check.problems
    # (1) the carrier saw a call iff the ledger has a leg for it, once each.
    if len(seen) != len(rows):
        problems.append(f"carrier saw {len(seen)} call(s), ledger has {len(rows)} leg(s)")
    if len(recordings) > 1:
        problems.append(f"{len(recordings)} recordings")
    if channels and carrier_up != bool(recordings):
        problems.append(f"carrier evidence torn: answered={carrier_up}, "
                        f"recordings={len(recordings)}")
    if not rows:
        return
    row = rows[0]
    status = row.get("dial_status")
    billsec = row.get("billsec")
    check.billsec = float(billsec) if isinstance(billsec, int | float) else None
    line = number[-4:]
    # (2) the dial status is the carrier's outcome.
    if recordings:
        expected: tuple[str, ...] = ("ANSWER",)
    elif line[0] in UNANSWERED_STATUS:
        expected = UNANSWERED_STATUS[line[0]]
    else:
        expected = ("ANSWER",)
        problems.append(f"line {line} answers but the carrier has no recording")
    if status not in expected:
        causes = ",".join(c.cause for c in channels)
        problems.append(f"dial_status {status}, carrier says {'/'.join(expected)}"
                        f" (carrier hangup cause {causes or '?'})")
    if row.get("call_status") != CALL_STATUS.get(str(status)):
        problems.append(f"call_status {row.get('call_status')} for dial_status {status}")
    answered = status == "ANSWER"
    if answered and (check.billsec is None or row.get("answer") == EPOCH_HTTP):
        problems.append(f"answered leg with billsec {billsec} and answer {row.get('answer')}")
    if not answered and billsec is not None:
        problems.append(f"unanswered leg with billsec {billsec}")
    if row.get("end") == EPOCH_HTTP:
        problems.append("leg has no end")
    # (3) billsec is what the carrier recorded.
    if recordings:
        check_billsec(check, recordings[0], evidence)


def check_billsec(check: LegCheck, recording: Recording, evidence: CarrierEvidence) -> None:
    problems = check.problems
    check.recording_s = recording.seconds
    check.carrier_clock_s = evidence.clock.get(recording.uniqueid)
    channel = evidence.channels.get(recording.uniqueid)
    if channel is not None and channel.up_at is not None:
        if channel.answer_returned_at is not None:
            check.answer_wait_s = channel.answer_returned_at - channel.up_at
        if channel.hangup_at is not None:
            check.carrier_events_s = channel.hangup_at - channel.up_at
    if check.recording_s is None:
        problems.append(f"recording {recording.name} unreadable")
    elif (error := check.error_s) is not None and error > BILLSEC_TOLERANCE_S:
        problems.append(f"billsec {check.billsec} vs carrier {fmt(check.reference_s)} s"
                        f" ({check.reference}; recording {check.recording_s:.3f} s, answer"
                        f" wait {fmt(check.answer_wait_s)} s, AMI answer->hangup"
                        f" {fmt(check.carrier_events_s)} s)")


def compare(runs: list[CallRun], evidence: CarrierEvidence) -> list[LegCheck]:
    checks: list[LegCheck] = []
    planned: set[str] = set()
    for run in runs:
        p = run.plan
        by_number: dict[str, list[dict[str, Any]]] = {}
        for row in run.rows:
            by_number.setdefault(str(row.get("dialed_number")), []).append(row)
        for role, number in (("agent", p.agent), ("customer", p.destination)):
            planned.add(number)
            check = LegCheck(number, p.kind, role, run.request_id)
            if run.request_id and not run.rows:
                check.problems.append("call has no CDR rows")
            check_leg(check, by_number.pop(number, []), evidence)
            checks.append(check)
        for number, rows in by_number.items():
            extra = LegCheck(number, p.kind, "unplanned", run.request_id)
            extra.problems.append(f"CDR leg for a number this call never dialled: {rows}")
            checks.append(extra)
    for number in sorted(set(evidence.seen) - planned):
        stray = LegCheck(number, "?", "unplanned", "")
        stray.problems.append("the carrier saw a call for a number nobody dialled")
        checks.append(stray)
    return checks


# ---- report ------------------------------------------------------------------------------

def error_summary(values: Sequence[float]) -> dict[str, Any]:
    return {"n": len(values), **{f"p{q}": rounded(percentile(values, q)) for q in (50, 95, 99)},
            "max": rounded(max(values, default=None))}


def build_report(args: argparse.Namespace, runs: list[CallRun], checks: list[LegCheck], *,
                 latencies: dict[str, list[float]], elapsed: float, notes: list[str]
                 ) -> dict[str, Any]:
    agreeing = [c for c in checks if not c.problems]
    errors = [e for c in checks if (e := c.error_s) is not None]
    signed = [(c.billsec or 0.0) - (c.reference_s or 0.0)
              for c in checks if c.error_s is not None]
    per_kind: dict[str, dict[str, Any]] = {}
    for kind, count in Counter(r.plan.kind for r in runs).items():
        legs = [c for c in checks if c.kind == kind]
        kind_errors = [e for c in legs if (e := c.error_s) is not None]
        per_kind[kind] = {
            "calls": count, "legs": len(legs),
            "agreeing_legs": sum(1 for c in legs if not c.problems),
            "billsec_error_p99_s": rounded(percentile(kind_errors, 99)),
        }
    return {
        "calls": len(runs),
        "concurrency": args.concurrency,
        "rate_limit_calls_per_s": args.rate,
        "seed": args.seed,
        "mix": dict(Counter(r.plan.kind for r in runs)),
        "legs_checked": len(checks),
        "legs_agreeing": len(agreeing),
        "agreement_pct": round(100 * len(agreeing) / len(checks), 3) if checks else 0.0,
        # billsec against the carrier's answered time: its own clock (answered.log) where
        # it keeps one, else its recording plus the wait for media after its answer.
        "billsec_error_s": {
            **error_summary(errors), "tolerance": BILLSEC_TOLERANCE_S,
            "mean_signed": rounded(sum(signed) / len(signed) if signed else None),
            "references": dict(Counter(c.reference for c in checks if c.error_s is not None)),
        },
        # The same against each piece of evidence alone, for comparison.
        "billsec_error_vs_s": {
            name: error_summary([e for c in checks if (e := c.error_vs(attr)) is not None])
            for name, attr in (("carrier_clock", "carrier_clock_s"),
                               ("recording_plus_answer_wait", "recorded_answered_s"),
                               ("bare_recording", "recording_s"),
                               ("carrier_ami_answer_to_hangup", "carrier_events_s"))
        },
        "carrier_answer_wait_s": error_summary(
            [w for c in checks if (w := c.answer_wait_s) is not None]),
        "latency_ms": {
            name: {"n": len(values), "p50": rounded(percentile(values, 50), 2),
                   "p99": rounded(percentile(values, 99), 2),
                   "max": rounded(max(values, default=None), 2)}
            for name, values in latencies.items()
        },
        "seconds": round(elapsed, 2),
        "calls_per_s": round(len(runs) / elapsed, 3) if elapsed else 0.0,
        "request_errors": [{"call": asdict(r.plan), "error": r.error} for r in runs if r.error],
        "calls_not_ended_by_themselves": sum(
            1 for r in runs if r.request_id and not r.ended_by_itself),
        "per_kind": per_kind,
        "notes": notes,
        "disagreements": [leg_view(c) for c in checks if c.problems],
        "legs": [leg_view(c) for c in checks],
    }


def leg_view(check: LegCheck) -> dict[str, Any]:
    return {"number": check.number, "kind": check.kind, "role": check.role,
            "request_id": check.request_id, "billsec": check.billsec,
            "recording_s": check.recording_s, "answer_wait_s": rounded(check.answer_wait_s),
            "carrier_clock_s": rounded(check.carrier_clock_s),
            "carrier_ami_s": rounded(check.carrier_events_s),
            "error_s": rounded(check.error_s), "problems": check.problems}


def fmt(value: float | None, unit: str = "", digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def print_table(report: dict[str, Any], path: Path) -> None:
    b, c2c = report["billsec_error_s"], report["latency_ms"]["click2call"]
    vs, wait = report["billsec_error_vs_s"], report["carrier_answer_wait_s"]
    refs = ", ".join(f"{n} {name}" for name, n in b["references"].items()) or "-"
    bare = vs["bare_recording"]
    rows = [
        ("calls / legs checked", f"{report['calls']} / {report['legs_checked']}"),
        ("agreement", f"{report['agreement_pct']:.2f} % ({report['legs_agreeing']}"
                      f"/{report['legs_checked']} legs; target 100 %)"),
        ("billsec error (s)", f"p50 {fmt(b['p50'])}  p95 {fmt(b['p95'])}  p99 {fmt(b['p99'])}"
                              f"  max {fmt(b['max'])}  (n={b['n']}; target p99"
                              " <= 0.1)"),
        ("  against", refs),
        ("  vs bare recording", f"p50 {fmt(bare['p50'])}  p99 {fmt(bare['p99'])}  (carrier's"
                                f" Answer() waited for media p50 {fmt(wait['p50'])} / max"
                                f" {fmt(wait['max'])} s, unrecorded)"),
        ("click2call latency", f"p50 {fmt(c2c['p50'], ' ms', 1)}  p99 {fmt(c2c['p99'], ' ms', 1)}"),
        ("throughput", f"{report['calls_per_s']:.2f} calls/s ({report['calls']} calls in"
                       f" {report['seconds']:.1f} s, concurrency {report['concurrency']})"),
    ]
    width = max(len(name) for name, _ in rows)
    print("ledger_truth")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(f"  {'kind':<15}{'calls':>6}{'legs ok':>12}{'err p99 s':>11}")
    for kind, k in sorted(report["per_kind"].items()):
        print(f"  {kind:<15}{k['calls']:>6}{k['agreeing_legs']:>7}/{k['legs']:<4}"
              f"{fmt(k['billsec_error_p99_s']):>11}")
    for note in report["notes"]:
        print(f"  note: {note}")
    for error in report["request_errors"][:10]:
        print(f"  request error: {error}")
    if report["disagreements"]:
        print(f"  disagreements ({len(report['disagreements'])}, first 10):")
        for d in report["disagreements"][:10]:
            print(f"    {d['number']} {d['role']} ({d['kind']}, {d['request_id'] or '-'}):"
                  f" {'; '.join(d['problems'])}")
    print(f"  report: {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("LEDGER_CALLS", "300")))
    parser.add_argument("--concurrency", type=int,
                        default=int(os.environ.get("LEDGER_CONCURRENCY", "20")))
    parser.add_argument("--rate", type=float, default=10.0,
                        help="at most this many new calls per second (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="shuffles the mix of outcomes")
    args = parser.parse_args()
    log_level = os.environ.get("ENGINE_LOG_LEVEL", "WARNING")
    os.environ.update(LEDGER_ENV)
    os.environ["ENGINE_LOG_LEVEL"] = log_level

    from engine.devstack.stack import Stack  # noqa: PLC0415 - after the environment is set
    from engine.settings import Settings  # noqa: PLC0415

    settings = Settings()
    var_dir = Path(settings.var_dir)
    heard = var_dir / "asterisk" / "carrier" / "spool" / "heard"
    plan = make_plan(args.calls, args.seed)
    stack = Stack(settings, fast_db=True)
    stack.stop_all()
    shutil.rmtree(var_dir, ignore_errors=True)
    carrier = CarrierEvents("127.0.0.1", settings.carrier_ami_port, settings.ami_user,
                            settings.ami_password.get_secret_value())
    try:
        stack.start_infra()
        stack.start_engine()
        stack.wait_engine_ready()
        base_url = f"http://{settings.http_host}:{settings.http_port}"
        runs, latencies, elapsed, notes = asyncio.run(
            drive(base_url, plan, args, carrier, lambda: asterisk_idle(stack)))
        evidence = read_carrier(heard, carrier.channels)
    finally:
        stack.stop_all()
    checks = compare(runs, evidence)
    report = build_report(args, runs, checks, latencies=latencies, elapsed=elapsed,
                          notes=notes)
    path = var_dir / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report, path)
    sys.stdout.flush()
    ok = report["legs_agreeing"] == report["legs_checked"] and not report["request_errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
