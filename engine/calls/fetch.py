"""Fetching the next program (answer_url, an action URL, Redirect) as a command.

``Fetch`` in, ``DocumentFetched`` or ``FetchFailed`` out. The URL is fetched through the
SSRF guard (``engine.webhooks.guard``), signed with the account's token as Plivo signs
(``X-Plivo-Signature-V3``), and tried ``attempts`` times within ``deadline_seconds``
overall: a connection error, a timeout, a non-2xx answer and a document the parser refuses
each count as one failed try; a URL the guard refuses is not tried again. Then
``fallback_url`` is tried once. The ``FetchFailed``
reason says what happened on every try.

The document is parsed into verbs by the parser the composition root gives (the Plivo XML
parser); without one, every fetch fails at once and the program takes its failure path, so
nothing waits forever. Runs in the call's worker, bounded in time and size, so a dead
webhook delays only its own call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from engine.calls.executors import CommandExecutors, Feedback
from engine.domain.commands import Fetch
from engine.domain.events import DocumentFetched, FetchFailed
from engine.domain.programs.verbs import Verb
from engine.webhooks.guard import GuardedHttp, GuardError, Signer, UrlRefused
from engine.webhooks.signature import signer

log = logging.getLogger(__name__)

# An account's token for signing, or None (unknown account, or a token not yet sealed).
TokenLookup = Callable[[str], Awaitable[str | None]]
TOKEN_LOOKUP_SECONDS = 2.0
RETRY_PAUSES = (0.5, 1.0, 2.0)  # between tries of one URL, within its deadline


class DocumentParser(Protocol):
    def __call__(self, body: bytes, content_type: str) -> tuple[Verb, ...]:
        """The verbs of a fetched document; raises ValueError for one it cannot run."""
        ...


class FetchError(Exception):
    """Why a document could not be fetched or run (the text reaches logs and webhooks)."""


class FetchRefused(FetchError):
    """The URL is not allowed: trying it again would be refused again."""


class FetchExecutor:
    """``timeout_seconds``: one try's bound (the guard's policy bound when None)."""

    def __init__(self, http: GuardedHttp, parser: DocumentParser | None, feedback: Feedback,
                 *, tokens: TokenLookup | None = None, timeout_seconds: float | None = None,
                 retry_pauses: tuple[float, ...] = RETRY_PAUSES) -> None:
        self._http = http
        self._parser = parser
        self._feedback = feedback
        self._tokens = tokens
        self._try_seconds = timeout_seconds
        self._pauses = retry_pauses

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
        per_try = self._try_seconds or self._http.policy.timeout_seconds
        sign = await self._signer(command.account_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + command.deadline_seconds
        tries: list[str] = []
        attempts = max(1, command.attempts)
        for number in range(1, attempts + 1):
            remaining = deadline - loop.time()
            if remaining <= 0:
                tries.append(f"try {number}: no time left of {command.deadline_seconds:g} s")
                break
            try:
                return await self._try(command.url, command.method, command, sign,
                                       min(per_try, remaining))
            except FetchRefused as exc:
                tries.append(f"refused: {exc}")
                break
            except FetchError as exc:
                tries.append(f"try {number}: {exc}" if attempts > 1 else str(exc))
            if number < attempts:
                pause = self._pauses[min(number - 1, len(self._pauses) - 1)] if self._pauses else 0
                await asyncio.sleep(max(0.0, min(pause, deadline - loop.time())))
        if command.fallback_url:
            try:
                return await self._try(command.fallback_url, command.fallback_method, command,
                                       sign, per_try)
            except FetchError as exc:
                tries.append(f"fallback_url: {exc}")
        raise FetchError("; ".join(tries))

    async def _try(self, url: str, method: str, command: Fetch, sign: Signer | None,
                   timeout: float) -> tuple[Verb, ...]:
        assert self._parser is not None
        try:
            answer = await self._http.request(method, url, command.params, sign=sign,
                                              timeout=timeout)
        except UrlRefused as exc:
            raise FetchRefused(exc.reason) from None
        except GuardError as exc:
            raise FetchError(exc.reason) from None
        if not answer.ok:
            raise FetchError(f"HTTP {answer.status}")
        try:
            return self._parser(answer.body, answer.content_type)
        except ValueError as exc:
            raise FetchError(f"the document cannot run: {exc}") from None

    async def _signer(self, account_id: str) -> Signer | None:
        """Requests go unsigned only when the token cannot be had (logged)."""
        if self._tokens is None or not account_id:
            return None
        try:
            token = await asyncio.wait_for(self._tokens(account_id), TOKEN_LOOKUP_SECONDS)
        except Exception as exc:  # the database away: fetch anyway, unsigned
            log.warning("no token to sign a fetch with",
                        extra={"account": account_id, "error": type(exc).__name__})
            return None
        if token is None:
            log.warning("account has no sealed token; fetch unsigned",
                        extra={"account": account_id})
            return None
        return signer(token)


def _now() -> datetime:
    return datetime.now(UTC)
