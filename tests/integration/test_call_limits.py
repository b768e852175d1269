"""Account limits on the real stack: over its concurrent-call limit an account's API calls
are queued (200 "call queued") and start only after a slot frees up, in order, as the
carrier's own logs show; past the queue's bound, 429."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.settings import Settings
from tests.integration.helpers import ANSWER, CALLER_ID, carrier_calls, eventually, number
from tests.integration.webhook_server import WebhookServer

pytestmark = pytest.mark.integration

ACCOUNT, TOKEN = "c2_limited", "limited-token-1"
HOLD = '<Response><Wait length="3"/><Hangup/></Response>'


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", "accounts", *args],
                          check=False, capture_output=True, text=True)


def limited_account(*limits: str) -> dict[str, Any]:
    if cli("create", ACCOUNT, "--token", TOKEN).returncode != 0:
        assert cli("rotate", ACCOUNT, "--token", TOKEN).returncode == 0
    done = cli("limits", ACCOUNT, *limits)
    assert done.returncode == 0, done.stderr
    shown: dict[str, Any] = json.loads(done.stdout)
    return shown


def basic() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()}


async def make_call(http: aiohttp.ClientSession, to: str, webhooks: WebhookServer,
                    name: str) -> tuple[int, dict[str, Any]]:
    body = {"from": CALLER_ID, "to": to, "answer_url": webhooks.url("/answer"),
            "answer_method": "GET", "hangup_url": webhooks.url(f"/hangup/{name}")}
    async with http.post(f"/v1/Account/{ACCOUNT}/Call/", json=body,
                         headers=basic()) as response:
        return response.status, await response.json()


def answered_log(heard: Path) -> dict[str, tuple[float, float]]:
    """number -> (answered, ended) epochs, from the carrier's own clock."""
    path = heard / "answered.log"
    rows = [line.split() for line in path.read_text().splitlines()] if path.exists() else []
    return {row[0]: (float(row[2]), float(row[3])) for row in rows if len(row) >= 4}


async def test_over_the_limit_calls_queue_and_start_when_a_slot_frees(
        http: aiohttp.ClientSession, settings: Settings, webhooks: WebhookServer) -> None:
    shown = await asyncio.to_thread(limited_account, "--max-concurrent", "1",
                                    "--calls-per-second", "20", "--queue-limit", "1")
    assert (shown["max_concurrent_calls"], shown["calls_per_second"],
            shown["queue_limit"]) == (1, 20.0, 1)
    assert json.loads((await asyncio.to_thread(cli, "limits", ACCOUNT)).stdout) == shown
    webhooks.serve("/answer", HOLD)
    first, second, third = number(ANSWER), number(ANSWER), number(ANSWER)

    status, fired = await make_call(http, first, webhooks, "first")
    assert (status, fired["message"]) == (201, "call fired"), fired
    status, queued = await make_call(http, second, webhooks, "second")
    assert (status, queued["message"]) == (200, "call queued"), queued
    assert len(queued["request_uuid"]) == 36
    status, refused = await make_call(http, third, webhooks, "third")  # the queue holds one
    assert status == 429 and set(refused) == {"api_id", "error"}, refused

    await webhooks.wait_for("/hangup/first", timeout=30)
    await webhooks.wait_for("/hangup/second", timeout=30)
    heard = settings.var_dir / "asterisk" / "carrier" / "spool" / "heard"

    async def both_logged() -> dict[str, tuple[float, float]] | None:
        log = answered_log(heard)
        return log if first in log and second in log else None

    log = await eventually(both_logged, what="the carrier's answered.log lines")
    # The queued call reached the carrier only after the first one had hung up.
    assert log[second][0] > log[first][1], (log[first], log[second])
    dialled = [n for n, _, _ in carrier_calls(heard)]
    assert dialled.index(first) < dialled.index(second)
    assert third not in dialled
    # The queue is empty again: the next call fires at once.
    status, again = await make_call(http, number(ANSWER), webhooks, "again")
    assert (status, again["message"]) == (201, "call fired"), again
    await webhooks.wait_for("/hangup/again", timeout=30)
