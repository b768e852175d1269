"""Exactly once, proven with the carrier's own log: a campaign survives ``kill -9`` of its
engine, and two engine processes on one database share a campaign without dialling anyone
twice or forgetting anyone."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from engine.devstack.processes import PidFile, spawn, stop_pid, wait_until
from engine.devstack.stack import Stack
from engine.settings import Settings
from tests.integration.campaign_kit import (
    campaign_body,
    campaign_cdrs,
    create_campaign,
    heard_dir,
    new_list,
    wait_settled,
)
from tests.integration.helpers import ANSWER, carrier_calls, eventually, number

pytestmark = pytest.mark.integration


def dialled(settings: Settings, numbers: list[str]) -> Counter[str]:
    wanted = set(numbers)
    return Counter(n for n, _, _ in carrier_calls(heard_dir(settings)) if n in wanted)


async def assert_each_dialled_once(http: aiohttp.ClientSession, settings: Settings,
                                   campaign_id: str, numbers: list[str]) -> None:
    await wait_settled(http, campaign_id, timeout=120)
    counts = dialled(settings, numbers)
    duplicates = {n: c for n, c in counts.items() if c > 1}
    missing = [n for n in numbers if n not in counts]
    assert not duplicates and not missing, (duplicates, missing)
    rows = await campaign_cdrs(http, campaign_id)
    assert sorted(r["dialed_number"] for r in rows) == sorted(numbers)


async def test_kill_9_mid_campaign_then_restart_dials_everyone_exactly_once(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings,
) -> None:
    numbers = [number(ANSWER) for _ in range(30)]
    list_id = await new_list(http, numbers)
    campaign_id = await create_campaign(http, campaign_body(list_id, calls_per_minute="300"))

    async def a_third_dialled() -> bool:
        return sum(dialled(settings, numbers).values()) >= 10
    await eventually(a_third_dialled, timeout=30, what="ten calls at the carrier")
    pid = stack.engine_pid_file.read()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    stack.engine_pid_file.remove()
    before = sum(dialled(settings, numbers).values())
    await asyncio.sleep(2)
    assert sum(dialled(settings, numbers).values()) == before  # nobody dials meanwhile
    await asyncio.to_thread(stack.start_engine)
    await asyncio.to_thread(stack.wait_engine_ready)
    await assert_each_dialled_once(http, settings, campaign_id, numbers)


@pytest.fixture
def second_engine(stack: Stack, settings: Settings) -> Iterator[None]:
    """Another engine process on the same database and PBX, with its own ARI app, HTTP
    port and spool."""
    var_dir = Path(f"{settings.var_dir}-second")
    env = {**os.environ,
           "ENGINE_VAR_DIR": str(var_dir), "ENGINE_HTTP_PORT": "18081",
           "ENGINE_ARI_APP": "cpaas-engine-second",
           "ENGINE_SECRET_KEY_PATH": str(settings.secret_key_file.resolve()),
           "ENGINE_RECORDINGS_PATH": str(settings.recordings_dir.resolve()),
           "ENGINE_CEL_PATH": str(settings.cel_file.resolve()),
           "ENGINE_TTS_PATH": str(settings.tts_dir.resolve()),
           "ENGINE_BOOTSTRAP_ACCOUNTS": ""}
    pid_file = PidFile(var_dir / "run" / "engine.pid")
    spawn([sys.executable, "-m", "engine", "serve"], log_path=var_dir / "log" / "engine.log",
          pid_file=pid_file, env=env)

    def ready() -> bool:
        import json
        import urllib.request
        try:
            with urllib.request.urlopen("http://127.0.0.1:18081/readyz", timeout=2) as r:
                return bool(json.loads(r.read()).get("status") == "ready")
        except OSError:
            return False
    try:
        wait_until(ready, timeout=60, what="the second engine's /readyz")
        yield
    finally:
        pid = pid_file.read()
        if pid is not None:
            stop_pid(pid, timeout=20)
        pid_file.remove()


async def test_two_engines_share_a_campaign_and_dial_everyone_exactly_once(
    http: aiohttp.ClientSession, settings: Settings, second_engine: None,
) -> None:
    numbers = [number(ANSWER) for _ in range(30)]
    list_id = await new_list(http, numbers)
    campaign_id = await create_campaign(http, campaign_body(list_id, calls_per_minute="600"))
    await assert_each_dialled_once(http, settings, campaign_id, numbers)
    # Both engines dialled: the calls are in both engines' logs.
    second_log = Path(f"{settings.var_dir}-second") / "log" / "engine.log"
    assert "campaign call placed" in second_log.read_text()
