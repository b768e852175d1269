"""Fixtures for the ARI tests: a fake ARI REST server and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from engine.ari.client import AriClient
from tests.unit.ari.support import FakeAri


@dataclass
class AriHarness:
    fake: FakeAri
    server: TestServer
    session: aiohttp.ClientSession
    client: AriClient

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def ari() -> AsyncIterator[AriHarness]:
    fake = FakeAri()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        base_url = str(server.make_url("")).rstrip("/")
        client = AriClient(session, base_url, "cpaas", "s3cret", "cpaas-engine",
                           request_timeout=2.0)
        yield AriHarness(fake, server, session, client)
    await server.close()
