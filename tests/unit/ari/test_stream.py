"""AriEventStream against a fake ARI events WebSocket: delivery, reconcile, reconnect."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from engine.ari.backoff import Backoff
from engine.ari.events import AriEvent
from engine.ari.stream import AriEventStream, events_url
from engine.domain.errors import Unavailable
from tests.unit.ari.support import load_fixture, wait_until


@dataclass
class FakeEventsSocket:
    """Serves ``/ari/events``: connection n sends ``scripts[n]`` (a list of messages), then
    closes it unless it is the last script, which stays open until the client leaves."""

    scripts: list[list[str]]
    refuse_first: int = 0
    deaf: frozenset[int] = frozenset()  # connections that never answer pings
    connections: int = 0
    refused: int = 0
    queries: list[dict[str, str]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    client_left: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ari/events", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.refused < self.refuse_first:
            self.refused += 1
            return web.json_response({"message": "Authentication required"}, status=401)
        self.queries.append(dict(request.query))
        self.authorizations.append(request.headers.get("Authorization"))
        index = self.connections
        ws = web.WebSocketResponse(autoping=index not in self.deaf)
        await ws.prepare(request)
        self.connections += 1
        script = self.scripts[min(index, len(self.scripts) - 1)]
        for message in script:
            await ws.send_str(message)
        if index < len(self.scripts) - 1 and index not in self.deaf:
            await ws.close()
            return ws
        async for _ in ws:
            pass
        self.client_left.set()
        return ws


def wire(name: str) -> str:
    return json.dumps(load_fixture(name))


@dataclass
class Run:
    stream: AriEventStream
    log: list[str]
    task: asyncio.Task[None]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def start(
    fake: FakeEventsSocket, session: aiohttp.ClientSession, *, fail_reconcile: int = 0,
    heartbeat: float = 20.0,
) -> tuple[Run, TestServer]:
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    log: list[str] = []
    failures = [fail_reconcile]

    async def on_connected() -> None:
        log.append("reconcile")
        if failures[0]:
            failures[0] -= 1
            raise Unavailable("GET /channels failed")

    async def on_disconnected() -> None:
        log.append("lost")

    def deliver(event: AriEvent) -> None:
        log.append(event.type)

    stream = AriEventStream(
        session, str(server.make_url("")), "cpaas", "s3cret", "cpaas-engine",
        backoff=Backoff(0.01, 0.05), deliver=deliver, on_connected=on_connected,
        on_disconnected=on_disconnected, heartbeat=heartbeat,
    )
    task = asyncio.create_task(stream.run())
    return Run(stream, log, task), server


async def stop(run: Run, server: TestServer) -> None:
    run.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run.task
    await server.close()


async def test_events_are_delivered_after_reconcile_and_again_after_a_drop(
    session: aiohttp.ClientSession,
) -> None:
    fake = FakeEventsSocket([
        [wire("stasis_start"), "{not json", wire("unknown_device_state_changed"),
         '{"type": "StasisEnd"}', wire("channel_destroyed")],
        [wire("stasis_end")],
    ])
    run, server = await start(fake, session)
    try:
        await wait_until(lambda: "StasisEnd" in run.log)
        assert run.stream.connected
        # Bad JSON and a malformed known event are skipped; the unknown type is delivered.
        assert run.log == [
            "reconcile", "StasisStart", "DeviceStateChanged", "ChannelDestroyed",
            "lost", "reconcile", "StasisEnd",
        ]
        assert fake.connections == 2
        assert fake.queries[0] == {"app": "cpaas-engine", "subscribeAll": "false"}
        assert fake.authorizations[0] == "Basic Y3BhYXM6czNjcmV0"
    finally:
        await stop(run, server)
    assert not run.stream.connected
    await asyncio.wait_for(fake.client_left.wait(), 1.0)  # socket closed on cancellation


async def test_failed_reconcile_drops_the_connection_and_retries(
    session: aiohttp.ClientSession,
) -> None:
    fake = FakeEventsSocket([[wire("stasis_start")]])
    run, server = await start(fake, session, fail_reconcile=2)
    try:
        await wait_until(lambda: "StasisStart" in run.log)
        # Nothing is delivered from a connection whose reconciliation failed.
        assert run.log == ["reconcile", "reconcile", "reconcile", "StasisStart"]
        assert fake.connections == 3
    finally:
        await stop(run, server)


async def test_silent_peer_is_detected_by_heartbeat_and_replaced(
    session: aiohttp.ClientSession,
) -> None:
    fake = FakeEventsSocket([[wire("stasis_start")], [wire("stasis_end")]],
                            deaf=frozenset({0}))
    run, server = await start(fake, session, heartbeat=0.1)
    try:
        await wait_until(lambda: "StasisEnd" in run.log)
        assert run.log == ["reconcile", "StasisStart", "lost", "reconcile", "StasisEnd"]
    finally:
        await stop(run, server)


async def test_refused_handshake_is_retried(session: aiohttp.ClientSession) -> None:
    fake = FakeEventsSocket([[wire("stasis_start")]], refuse_first=2)
    run, server = await start(fake, session)
    try:
        assert not run.stream.connected
        await wait_until(lambda: run.stream.connected and "StasisStart" in run.log)
        assert fake.refused == 2
        assert run.log == ["reconcile", "StasisStart"]  # "lost" only after a real connection
    finally:
        await stop(run, server)


async def test_unreachable_asterisk_is_retried_until_cancelled(
    session: aiohttp.ClientSession,
) -> None:
    attempts: list[float] = []

    class CountingBackoff(Backoff):
        def next_delay(self) -> float:
            attempts.append(super().next_delay())
            return 0.0

    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stream = AriEventStream(session, f"http://127.0.0.1:{port}", "u", "p", "app",
                            backoff=CountingBackoff(0.01, 0.05), deliver=lambda e: None)
    task = asyncio.create_task(stream.run())
    await wait_until(lambda: len(attempts) >= 3)
    assert not stream.connected
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_events_url() -> None:
    assert events_url("http://127.0.0.1:8088", "cpaas-engine") == (
        "ws://127.0.0.1:8088/ari/events?app=cpaas-engine&subscribeAll=false")
    assert events_url("https://pbx.example:8089/", "a b", subscribe_all=True) == (
        "wss://pbx.example:8089/ari/events?app=a+b&subscribeAll=true")
