"""The simulated carrier's evidence: what it saw (``heard/calls.log``), what it recorded
(``heard/<number>-<uniqueid>.wav``, measured with ``soxi -D``), its own clock of answered
calls (``heard/answered.log``) and its AMI event stream, followed live during the run.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
