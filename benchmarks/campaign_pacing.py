"""What the dialer benchmark measures with: the carrier's own log of arriving INVITEs, the
pacing figures drawn from it, and the CPU time of a process from ``/proc``.

``calls.log`` (the simulated carrier's ``heard/``) has one line per call as its INVITE
arrives: ``<number> <caller id shown> <uniqueid> <arrival epoch>`` (its own clock, to the
microsecond). A phase's calls are told apart by their numbers (each phase dials its own).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.click2call import percentile


def arrivals(calls_log: Path, numbers: Collection[str]) -> list[float]:
    """The arrival epochs (sorted) of every INVITE the carrier logged for ``numbers``."""
    wanted = set(numbers)
    found: list[float] = []
    try:
        text = calls_log.read_text()
    except FileNotFoundError:
        return found
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0] in wanted:
            found.append(float(fields[3]))
    return sorted(found)


def pacing(times: Sequence[float], calls_per_minute: float, expected: int
           ) -> dict[str, Any]:
    """How evenly ``times`` (sorted arrival epochs) follow ``calls_per_minute``.

    - achieved rate: (n - 1) intervals over the first-to-last span, per minute;
    - pacing error: |achieved - asked| / asked;
    - lateness: each INVITE's arrival minus its slot on the ideal schedule that starts at
      the first arrival (slot i = first + i * 60 / calls_per_minute), in ms;
    - gaps: the intervals between consecutive arrivals, in ms (ideal: the step).
    """
    n = len(times)
    step = 60.0 / calls_per_minute
    result: dict[str, Any] = {"asked_cpm": calls_per_minute, "expected_calls": expected,
                              "invites": n, "step_ms": round(step * 1000, 2)}
    if n < 2:
        return result | {"achieved_cpm": 0.0, "pacing_error": 1.0}
    span = times[-1] - times[0]
    achieved = (n - 1) / span * 60.0 if span > 0 else float("inf")
    lateness = [(t - (times[0] + i * step)) * 1000 for i, t in enumerate(times)]
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    return result | {
        "span_s": round(span, 3),
        "achieved_cpm": round(achieved, 2),
        "pacing_error": round(abs(achieved - calls_per_minute) / calls_per_minute, 5),
        "lateness_ms": spread(lateness),
        "gap_ms": spread(gaps) | {"min": round(min(gaps), 2), "max": round(max(gaps), 2)},
        # Gaps longer than 1.5 steps, and the time they lost beyond one step each (a late
        # call moves the dialer's schedule on from the moment it went out).
        "long_gaps": sum(1 for g in gaps if g > 1.5 * step * 1000),
        "long_gaps_lost_s": round(sum(g / 1000 - step for g in gaps
                                      if g > 1.5 * step * 1000), 3),
        # The rate of the least-squares line through (i, arrival i): less sensitive to the
        # first and last calls' own lateness than the first-to-last rate.
        "fitted_cpm": round(60.0 / fitted_step(times), 2),
        "fitted_error": round(abs(60.0 / fitted_step(times) - calls_per_minute)
                              / calls_per_minute, 5),
    }


def fitted_step(times: Sequence[float]) -> float:
    """The slope (seconds per call) of the least-squares line through (i, times[i])."""
    n = len(times)
    mean_i, mean_t = (n - 1) / 2, sum(times) / n
    cov = sum((i - mean_i) * (t - mean_t) for i, t in enumerate(times))
    var = sum((i - mean_i) ** 2 for i in range(n))
    return cov / var


def spread(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(percentile(values, q), 2) for q in (50, 95, 99)}


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces): state is field 3.
    return stat.rsplit(")", 1)[1].split()


def _cpu_seconds(fields: list[str], *, reaped: bool = False) -> float:
    """utime + stime (and with ``reaped``, cutime + cstime: its children waited for)."""
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` so far (None: gone)."""
    fields = _stat_fields(pid)
    return None if fields is None else _cpu_seconds(fields)


@dataclass(frozen=True)
class CpuSample:
    """utime + stime of a process (its threads included), in seconds, by pid
    (``/proc/<pid>/stat``); with ``tree`` its child processes' too: the live ones', and
    those it has waited for (PostgreSQL's backends, the carrier's ``System()`` shells)."""

    root: int | None
    seconds: dict[int, float]

    @classmethod
    def of(cls, pid: int | None, *, tree: bool = False) -> CpuSample:
        fields = None if pid is None else _stat_fields(pid)
        if pid is None or fields is None:
            return cls(None, {})
        seconds = {pid: _cpu_seconds(fields, reaped=tree)}
        if tree:
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    child = _stat_fields(int(entry.name))
                    if child is not None and child[1] == str(pid):
                        seconds[int(entry.name)] = _cpu_seconds(child)
        return cls(pid, seconds)

    def until(self, later: CpuSample) -> float | None:
        """CPU seconds spent from this sample to ``later`` (None: not the same process);
        a child born meanwhile counts from its birth, one gone meanwhile is missed."""
        if self.root is None or later.root != self.root:
            return None
        return sum(t - self.seconds.get(pid, 0.0) for pid, t in later.seconds.items())


@dataclass(frozen=True)
class MachineSample:
    """The machine's busy and total CPU time (``/proc/stat``), in clock ticks."""

    busy: int
    total: int

    @classmethod
    def now(cls) -> MachineSample:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(v) for v in first]
        idle = ticks[3] + ticks[4]  # idle + iowait
        return cls(sum(ticks) - idle, sum(ticks))

    def busy_cores(self, later: MachineSample) -> float:
        """Cores kept busy on average between the two samples (by anything)."""
        total = later.total - self.total
        return (later.busy - self.busy) / total * (os.cpu_count() or 1) if total else 0.0
