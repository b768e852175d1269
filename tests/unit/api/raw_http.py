"""A real façade server on a loopback port, and a raw-socket HTTP client to talk to it.

aiohttp's own client hides what the tests need to see: when the server closes the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from engine.api.app import ApiDeps, build_app
from engine.api.server import ServerLimits, build_runner
from engine.lifecycle import Lifecycle
from tests.unit.api.support import TOKENS, EchoResource, FakeAuthenticator, FakeReadiness

BOUND = 10.0
"""Generous upper bound (seconds) on anything the server is expected to do."""

ECHO_HEAD = (
    "POST /api/echo HTTP/1.1\r\nHost: test\r\naccount: account_1\r\nauth: token-one\r\n"
    "Content-Type: application/json\r\n"
)


@dataclass(frozen=True)
class RawResponse:
    """One HTTP/1.1 response as read off the socket (header names lower-cased)."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def envelope(self) -> dict[str, Any]:
        """The ``response`` object of an enveloped JSON answer."""
        assert self.headers["content-type"].startswith("application/json"), self.headers
        data = json.loads(self.body)
        assert list(data) == ["response"], data
        inner: dict[str, Any] = data["response"]
        return inner


@dataclass(frozen=True)
class Connection:
    """A raw TCP connection to the server."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> RawResponse:
        """The next response (it must come within ``BOUND`` seconds)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), BOUND)
        status_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(self.reader.readexactly(length), BOUND)
        return RawResponse(int(status_line.split()[1]), headers, body)

    async def closed_by_server(self) -> bool:
        """True once the server closed its end; fails the test if it does not within BOUND."""
        try:
            return await asyncio.wait_for(self.reader.read(1), BOUND) == b""
        except ConnectionResetError:
            return True


@dataclass(frozen=True)
class Served:
    """A running server's port."""

    port: int

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            yield Connection(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def serving(
    limits: ServerLimits, *, max_body_bytes: int = 1024, max_header_bytes: int = 32 * 1024
) -> AsyncIterator[Served]:
    """The façade (with the echo resource) behind ``build_runner`` on an ephemeral port."""
    deps = ApiDeps(
        authenticator=FakeAuthenticator(TOKENS),
        readiness=FakeReadiness(ari=True, ami=True, db=True),
        lifecycle=Lifecycle(),
        max_body_bytes=max_body_bytes,
        max_header_bytes=max_header_bytes,
    )
    runner = build_runner(build_app(deps, [EchoResource()]), limits)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield Served(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def get(path: str, extra_headers: str = "") -> bytes:
    """A keep-alive GET request."""
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{extra_headers}\r\n".encode("latin-1")
