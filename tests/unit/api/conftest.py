"""Fixtures for the HTTP façade tests: a real in-process server with fake dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from engine.api.app import ApiDeps, build_app
from engine.lifecycle import Lifecycle
from tests.unit.api.support import TOKENS, Api, EchoResource, FakeAuthenticator, FakeReadiness


async def start_api(max_body_bytes: int = 1024 * 1024) -> Api:
    authenticator = FakeAuthenticator(TOKENS)
    readiness = FakeReadiness(ari=True, ami=True, db=True)
    lifecycle = Lifecycle()
    deps = ApiDeps(authenticator=authenticator, readiness=readiness, lifecycle=lifecycle,
                   max_body_bytes=max_body_bytes)
    client = TestClient(TestServer(build_app(deps, [EchoResource()])))
    await client.start_server()
    return Api(client, authenticator, readiness, lifecycle)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    running = await start_api()
    yield running
    await running.client.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def shared_api() -> AsyncIterator[Api]:
    """One server for a whole module (Hypothesis runs many examples against it)."""
    running = await start_api()
    yield running
    await running.client.close()
