"""Helpers for tests that drive the engine's API and watch the real stack."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from tests.integration.stack import ACCOUNT_1

T = TypeVar("T")
_exchange = itertools.count()
_AREAS = ("516", "631", "914", "845")  # New York area codes: exchanges 201-999 in each


def number(line: str) -> str:
    """A fresh valid US number whose last four digits pick the carrier's behaviour."""
    n = next(_exchange)
    area, nxx = divmod(n, 799)
    assert area < len(_AREAS), "ran out of test exchanges"
    return f"1{_AREAS[area]}{201 + nxx}{line}"


ANSWER, BUSY, NOANSWER, CONGESTION, UNREACHABLE = "1000", "2000", "3000", "4000", "9000"
CALLER_ID = "15168148111"


async def call_api(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    async with http.request(method, path, json=body, headers=headers or ACCOUNT_1) as response:
        return response.status, await response.json()


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 20.0, what: str = "condition"
) -> T:
    """Poll ``probe`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def live_call(http: aiohttp.ClientSession, request_id: str,
                    headers: dict[str, str] | None = None) -> dict[str, Any] | None:
    status, body = await call_api(http, "GET", "/api/live_calls", headers=headers)
    assert status == 200, body
    return next((c for c in body["response"]["result"] if c["request_id"] == request_id), None)


async def wait_state(http: aiohttp.ClientSession, request_id: str, state: str,
                     timeout: float = 20.0) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        call = await live_call(http, request_id)
        return call if call is not None and call["state"] == state else None

    return await eventually(probe, timeout=timeout, what=f"call {request_id} to be {state}")


async def wait_ended(http: aiohttp.ClientSession, request_id: str,
                     timeout: float = 30.0,
                     headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Wait until the call (of account_1, or of ``headers``' account) is no longer live;
    return its CDR rows."""
    async def probe() -> bool:
        return await live_call(http, request_id, headers=headers) is None

    await eventually(probe, timeout=timeout, what=f"call {request_id} to end")
    status, body = await call_api(http, "POST", "/api/get_cdr_by_request_id",
                                  {"request_id": request_id}, headers=headers)
    assert status == 200, body
    rows: list[dict[str, Any]] = body["response"]["result"]
    return rows


def leg_channel(call: dict[str, Any], role: str) -> str:
    return str(next(leg["channel"] for leg in call["legs"]
                    if leg["role"] == role and leg["live"]))


def carrier_calls(heard_dir: Path) -> list[tuple[str, str, str]]:
    """Lines of the carrier's calls.log: (number, caller id shown, uniqueid)."""
    log = heard_dir / "calls.log"
    if not log.exists():
        return []
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(row[0], row[1], row[2]) for row in rows if len(row) >= 3]


def sox_stat(path: Path, trim: tuple[float, float] | None = None) -> dict[str, float]:
    """sox's ``stat`` figures for a WAV file (RMS amplitude, rough frequency, length…),
    optionally for ``trim`` = (start, length) seconds of it only."""
    effects = ["trim", str(trim[0]), str(trim[1])] if trim else []
    result = subprocess.run(["sox", str(path), "-n", *effects, "stat"], capture_output=True,
                            text=True, check=True)
    figures: dict[str, float] = {}
    for line in result.stderr.splitlines():
        key, _, value = line.partition(":")
        try:
            figures[key.strip()] = float(value.strip())
        except ValueError:
            continue
    return figures


async def finished_recording(path: Path, timeout: float = 20.0) -> Path:
    """``path``, a carrier recording, once the carrier has closed it (recorded.log): before
    that its WAV header may still say zero bytes."""
    async def closed() -> bool:
        log = path.parent / "recorded.log"
        return log.exists() and path.name in log.read_text().split()
    await eventually(closed, timeout=timeout, what=f"the carrier to close {path.name}")
    return path


def carrier_arrivals(heard_dir: Path) -> list[tuple[str, float]]:
    """(number, epoch) of every call reaching the carrier, by the carrier's own clock."""
    log = heard_dir / "calls.log"
    if not log.exists():
        return []
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(row[0], float(row[3])) for row in rows if len(row) >= 4]
