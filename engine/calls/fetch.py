"""Fetching the next program (answer_url, an action URL, Redirect) as a command.

``Fetch`` in, ``DocumentFetched`` or ``FetchFailed`` out. The document is parsed into
verbs by the parser the composition root gives (the Plivo XML parser); without one, every
fetch fails at once and the program takes its failure path, so nothing waits forever.
Runs in the call's worker, bounded in time and size, so a dead webhook delays only its
own call.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

import aiohttp
from yarl import URL

from engine.calls.executors import CommandExecutors, Feedback
from engine.domain.commands import Fetch
from engine.domain.events import DocumentFetched, FetchFailed
from engine.domain.programs.verbs import Verb

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 256 * 1024


class DocumentParser(Protocol):
    def __call__(self, body: bytes, content_type: str) -> tuple[Verb, ...]:
        """The verbs of a fetched document; raises ValueError for one it cannot run."""
        ...


class FetchExecutor:
    def __init__(self, http: aiohttp.ClientSession, parser: DocumentParser | None,
                 feedback: Feedback, *, timeout_seconds: float = 10.0) -> None:
        self._http = http
        self._parser = parser
        self._feedback = feedback
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    def register(self, executors: CommandExecutors) -> None:
        executors.register(Fetch, self.fetch)

    async def fetch(self, request_id: str, command: Fetch) -> None:
        try:
            verbs = await self._fetch(command)
        except FetchError as exc:
            log.warning("document fetch failed", extra={"url": command.url, "error": str(exc)})
            self._feedback(request_id, FetchFailed(command.fetch_id, str(exc), _now()))
            return
        self._feedback(request_id, DocumentFetched(command.fetch_id, verbs, _now()))

    async def _fetch(self, command: Fetch) -> tuple[Verb, ...]:
        if self._parser is None:
            raise FetchError("this engine has no document parser")
        url = URL(command.url)
        if url.scheme not in ("http", "https") or not url.host:
            raise FetchError("the document URL must be http or https")
        method = command.method.upper()
        if method not in ("GET", "POST"):
            raise FetchError(f"method {command.method!r} is not GET or POST")
        params = dict(command.params)
        try:
            async with self._http.request(
                method, url, params=params if method == "GET" else None,
                data=params if method == "POST" else None, timeout=self._timeout,
            ) as response:
                if not 200 <= response.status < 300:
                    raise FetchError(f"HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise FetchError(
                            f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
                content_type = response.content_type
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FetchError(f"cannot fetch the document: {type(exc).__name__}") from exc
        try:
            return self._parser(bytes(body), content_type)
        except ValueError as exc:
            raise FetchError(f"the document cannot run: {exc}") from exc


class FetchError(Exception):
    """Why a document could not be fetched or run (the text reaches logs and webhooks)."""


def _now() -> datetime:
    return datetime.now(UTC)
