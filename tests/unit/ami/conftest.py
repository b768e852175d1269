"""Fixtures for the AMI tests: a fake AMI server and a running AmiClient pointed at it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from engine.ami.client import AmiClient
from engine.ari.backoff import Backoff
from tests.unit.ami.support import SECRET, USER, FakeAmi, wait_until


@dataclass
class AmiHarness:
    fake: FakeAmi
    client: AmiClient
    task: asyncio.Task[None]


async def start_client(
    fake: FakeAmi, port: int, *, secret: str = SECRET, action_timeout: float = 1.0,
    ping_interval: float = 5.0, max_queued_events: int = 100,
) -> AmiHarness:
    """An AmiClient running against ``fake`` with a fast reconnect policy."""
    client = AmiClient("127.0.0.1", port, USER, secret, backoff=Backoff(0.01, 0.05),
                       action_timeout=action_timeout, ping_interval=ping_interval,
                       max_queued_events=max_queued_events)
    return AmiHarness(fake, client, asyncio.create_task(client.run()))


async def stop_client(harness: AmiHarness) -> None:
    harness.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await harness.task


@pytest.fixture
async def ami() -> AsyncIterator[AmiHarness]:
    fake = FakeAmi()
    port = await fake.start()
    harness = await start_client(fake, port)
    await wait_until(lambda: harness.client.connected)
    yield harness
    await stop_client(harness)
    await fake.close()
