"""Starts the real stack once per session: PostgreSQL, PBX, simulated carrier, engine."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from engine.devstack.machine_lock import one_stack_at_a_time
from engine.devstack.stack import Stack
from engine.settings import Settings
from tests.integration.stack import BASE_URL, apply_test_env
from tests.integration.webhook_server import WebhookServer, running_webhook_server


@pytest.fixture(scope="session")
def settings() -> Settings:
    apply_test_env()
    return Settings()


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Iterator[Stack]:
    # A second session waits for the first instead of tearing its stack down.
    with one_stack_at_a_time():
        stack = Stack(settings, fast_db=True)
        stack.stop_all()  # leftovers of an interrupted run
        shutil.rmtree(Path(settings.var_dir), ignore_errors=True)
        try:
            stack.start_infra()
            stack.start_engine()
            stack.wait_engine_ready()
            yield stack
        finally:
            stack.stop_all()


@pytest.fixture(scope="session")
async def http(stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=BASE_URL) as session:
        yield session


@pytest.fixture
async def webhooks() -> AsyncIterator[WebhookServer]:
    """A real application server on loopback: serves XML, records every request."""
    async with running_webhook_server() as server:
        yield server


@pytest.fixture
async def db(settings: Settings, stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the stack's database, for tests that look at rows directly."""
    conn = await asyncpg.connect(settings.dsn)
    try:
        yield conn
    finally:
        await conn.close()
