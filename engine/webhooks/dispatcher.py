"""The webhook dispatcher: delivers recorded status callbacks, off every call's path.

- Deliveries live in PostgreSQL (``engine.store.webhooks``). The dispatcher claims due rows
  with ``SELECT … FOR UPDATE SKIP LOCKED`` and leases them (committed before anything is
  sent), so two engine processes never deliver one at the same time. A lease outlives one
  attempt's time bound; a row whose lease ran out (its engine died mid-attempt) is claimed
  again: delivery is at least once.
- Each request goes through the SSRF guard, signed with the account's token (Plivo V3);
  a delivery with a ``bearer_ref`` (the iSales push) posts its JSON body with
  ``Authorization: Bearer …`` instead (``use_bearer_tokens``).
- A 2xx answer delivers it. A refused URL fails it at once (it would be refused again).
  Anything else (non-2xx, no connection, a timeout, an oversize answer) is retried with
  exponential backoff until ``max_attempts``, then it is ``failed``. Every attempt is logged.
- Waiting is event-driven: ``NOTIFY webhooks`` (sent by every new delivery) wakes it, as
  does a finished delivery; otherwise it sleeps until the next due time read from the
  database, re-reading at least every ``safety_seconds``.
- At most ``concurrency`` deliveries are in flight, so a dead webhook server costs a slot
  for one time bound, never the calls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Protocol

from engine.ari.backoff import Backoff
from engine.store.webhooks import AttemptOutcome, WebhookDelivery
from engine.store.woken import run_woken
from engine.webhooks.guard import GuardedHttp, GuardError, Signer, UrlRefused
from engine.webhooks.signature import signer

log = logging.getLogger(__name__)

TokenLookup = Callable[[str], Awaitable[str | None]]
TOKEN_LOOKUP_SECONDS = 2.0


class DeliveryStore(Protocol):
    """What the dispatcher needs from the store (``WebhookRepository`` fits)."""

    async def claim_due(self, worker: str, lease_seconds: float,
                        limit: int) -> list[WebhookDelivery]: ...
    async def settle(self, delivery: WebhookDelivery, worker: str,
                     outcome: AttemptOutcome) -> bool: ...
    async def seconds_to_next_due(self) -> float | None: ...
    def listen(self, wake: Callable[[], None]
               ) -> AbstractAsyncContextManager[Callable[[], bool]]: ...


def retry_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds before the attempt after ``attempt`` (1-based): base, 2·base, 4·base, … ≤ cap."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class WebhookDispatcher:
    def __init__(self, store: DeliveryStore, http: GuardedHttp, tokens: TokenLookup | None,
                 *, max_attempts: int, worker_id: str | None = None, concurrency: int = 32,
                 retry_base_seconds: float = 2.0, retry_max_seconds: float = 300.0,
                 safety_seconds: float = 30.0, lease_seconds: float | None = None,
                 backoff: Backoff | None = None) -> None:
        self._store = store
        self._http = http
        self._tokens = tokens
        self._max_attempts = max_attempts
        self.worker_id = worker_id or new_worker_id()
        self._concurrency = concurrency
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._safety = safety_seconds
        self._lease = lease_seconds or 2 * http.policy.timeout_seconds + TOKEN_LOOKUP_SECONDS + 10
        self._backoff = backoff or Backoff(0.5, 10.0)
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._bearers: TokenLookup | None = None

    def use_bearer_tokens(self, lookup: TokenLookup) -> None:
        """Deliveries with a ``bearer_ref`` (a JSON body, e.g. the iSales push) carry
        ``Authorization: Bearer <lookup(bearer_ref)>``; without a token they fail."""
        self._bearers = lookup

    def wake(self) -> None:
        """Look for due deliveries now (what a ``NOTIFY webhooks`` does)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver forever; database outages are waited out with backoff."""
        try:
            await run_woken("webhook dispatcher", self._store.listen, self._wake, self._backoff,
                            self._pass)
        finally:
            for task in list(self._inflight):
                task.cancel()
            if self._inflight:
                await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _pass(self) -> float:
        if await self.deliver_due():
            return 0.0  # more may be due: go on at once
        if len(self._inflight) >= self._concurrency:
            return self._safety  # a finishing delivery wakes us
        until_next = await self._store.seconds_to_next_due()
        timeout = self._safety if until_next is None else min(until_next, self._safety)
        # A due row another dispatcher holds locked for a moment: look again shortly.
        return max(timeout, 0.1)

    async def deliver_due(self) -> int:
        """Claim what is due (up to the free slots) and start delivering it; how many."""
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            return 0
        rows = await self._store.claim_due(self.worker_id, self._lease, free)
        for row in rows:
            task = asyncio.create_task(self._deliver(row), name=f"webhook-{row.delivery_id}")
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return len(rows)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self.wake()

    async def idle(self) -> None:
        """Wait until no delivery is in flight (tests, shutdown)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _deliver(self, row: WebhookDelivery) -> None:
        extra = {"request_id": row.request_id, "webhook": row.kind, "attempt": row.attempts,
                 "delivery_id": row.delivery_id}
        started = datetime.now(UTC)
        status: int | None = None
        try:
            if row.bearer_ref is not None:
                answer = await self._http.request(row.method, row.url, sign=await self._bearer(
                    row.bearer_ref), json_body=row.body or {})
            else:
                answer = await self._http.request(row.method, row.url, row.params,
                                                  sign=await self._signer(row.account_id))
        except UrlRefused as exc:
            error, state = exc.reason, "failed"
        except GuardError as exc:
            error, state = exc.reason, "pending"
        else:
            status = answer.status
            error, state = ("", "delivered") if answer.ok else (f"HTTP {status}", "pending")
        delay = 0.0
        if state == "pending":
            if row.attempts >= self._max_attempts:
                state = "failed"
            else:
                delay = retry_delay(row.attempts, self._retry_base, self._retry_max)
        level = logging.INFO if state == "delivered" else logging.WARNING
        log.log(level, f"webhook {state}", extra={**extra, "status": status, "error": error,
                                                  "retry_in": delay or None})
        try:
            outcome = AttemptOutcome(started, status, error, state, delay)
            if not await self._store.settle(row, self.worker_id, outcome):
                log.warning("webhook claim was lost before it settled", extra=extra)
        except Exception as exc:  # the database away: the lease runs out, it goes again
            log.warning("webhook outcome not recorded",
                        extra={**extra, "error": type(exc).__name__})

    async def _bearer(self, ref: str) -> Signer:
        """The ``Authorization: Bearer`` header of a delivery; ``UrlRefused`` (it fails at
        once) when there is no token for ``ref``."""
        token = None
        if self._bearers is not None:
            try:
                token = await asyncio.wait_for(self._bearers(ref), TOKEN_LOOKUP_SECONDS)
            except Exception as exc:
                raise GuardError(f"bearer token lookup failed: {type(exc).__name__}") from None
        if not token:
            raise UrlRefused("no bearer token for this delivery")
        header = {"Authorization": f"Bearer {token}"}
        return lambda _method, _url, _params: header

    async def _signer(self, account_id: str) -> Signer | None:
        if self._tokens is None:
            return None
        try:
            token = await asyncio.wait_for(self._tokens(account_id), TOKEN_LOOKUP_SECONDS)
        except Exception as exc:
            log.warning("no token to sign a webhook with",
                        extra={"account": account_id, "error": type(exc).__name__})
            return None
        return None if token is None else signer(token)
