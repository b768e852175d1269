"""A real webhook server inside the test suite: an application as Plivo would call it.

It serves the documents a test gives it (per path) and records every request, so a test
asserts exactly what an application receives: method, path, headers and parameters.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDict


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    url: str  # the full URL the engine asked for (query included)
    headers: CIMultiDict[str]
    params: dict[str, str]  # query and form parameters, merged (the form wins)
    at: float


Answer = str | int | Callable[["Received"], web.StreamResponse]


@dataclass
class WebhookServer:
    """``serve(path, answer)``: a string is an XML document; an int is a bare status; a
    callable builds the response. Unknown paths answer 200 with an empty body."""

    host: str = "127.0.0.1"
    port: int = 0
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def serve(self, path: str, *answers: Answer) -> str:
        """Answer ``path`` with ``answers`` in turn (the last one repeats); its URL."""
        self.answers[path] = list(answers)
        return self.url(path)

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def wait_for(self, path: str, count: int = 1, timeout: float = 20.0) -> list[Received]:
        """The first ``count`` requests to ``path``, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while len(self.requests_to(path)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{path}: {len(self.requests_to(path))} of {count} requests arrived; "
                        f"all paths seen: {[r.path for r in self.received]}")
                try:
                    await asyncio.wait_for(self._arrived.wait(), left)
                except TimeoutError:
                    continue
        return self.requests_to(path)[:count]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        received = Received(request.method, request.path, str(request.url),
                            CIMultiDict(request.headers), params, time.monotonic())
        async with self._arrived:
            self.received.append(received)
            self._arrived.notify_all()
        queue = self.answers.get(request.path)
        if not queue:
            return web.Response(status=200, text="")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, int):
            return web.Response(status=answer)
        if isinstance(answer, str):
            return web.Response(text=answer, content_type="application/xml")
        return answer(received)


@asynccontextmanager
async def running_webhook_server() -> AsyncIterator[WebhookServer]:
    server = WebhookServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # A port chosen up front (bound, read, released) so the site's address is known.
    with socket.socket() as probe:
        probe.bind((server.host, 0))
        server.port = probe.getsockname()[1]
    site = web.TCPSite(runner, server.host, server.port)
    await site.start()
    try:
        yield server
    finally:
        await runner.cleanup()
