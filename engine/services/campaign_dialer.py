"""The campaign dialer: a supervised task that places every campaign's calls exactly once.

Each pass (woken by ``NOTIFY campaigns``, by a campaign call ending, or by the clock):

1. **Housekeeping** in PostgreSQL: campaigns whose window opened start running, those whose
   window closed are completed (their waiting contacts expire), running ones with nobody
   left are completed.
2. **DND scrub**, one SQL statement per campaign: waiting contacts on its DND list become
   ``dnd`` with their DND CDR row. It runs when a campaign starts and every
   ``scrub_every`` seconds after (so numbers added to a DND list later are scrubbed too);
   the claim itself also never picks a number on the list.
3. **Settling**: attempts whose call ended while no engine recorded the outcome (a crash
   between the two) get it from the call's CDR.
4. **Re-dialling the unplaced**: an attempt claimed more than a lease ago that has no call
   was claimed by an engine that died before dialling: nothing reached the carrier, so it
   is dialled now, once, under the same request id.
5. **Dialling what is due**: running campaigns whose pacing anchor has passed, the most
   overdue first (so the engine's lines are shared fairly), each within the engine-wide
   and its account's caps on concurrent calls and calls per second. Each attempt is
   claimed in PostgreSQL (``FOR UPDATE SKIP LOCKED``) and committed before its call is
   launched; the router persists the call before it dials.

Outcomes come from the calls themselves (router hook ``on_call_finished``): the attempt
and its contact are settled in one transaction (answered, retry after ``retry_time`` for
``retry_on_statuses``, or failed). Trunk failures feed the circuit breaker, which suspends a
campaign whose recent calls are mostly CHANUNAVAIL/CONGESTION.

The per-second caps are counted per engine process; concurrency counts this engine's live
calls; pacing anchors are shared by every engine through the campaign rows.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from engine.ari.backoff import Backoff
from engine.domain.call import Call, CampaignRef, Origin
from engine.domain.call_limits import CallLimits, effective_limits
from engine.domain.campaigns.breaker import BreakerPolicy, trip_reason
from engine.domain.campaigns.calls import attempt_call
from engine.domain.campaigns.definition import definition_from_json
from engine.domain.campaigns.outcomes import (
    TRUNK_FAILURES,
    AttemptResult,
    contact_update,
    result_of,
)
from engine.domain.campaigns.pacing import next_slot, rate_wait
from engine.domain.campaigns.status import CampaignStatus
from engine.domain.errors import EngineError
from engine.domain.numbers import normalize_number
from engine.services.callbacks import new_worker_id
from engine.store.call_limits import StoredLimits
from engine.store.campaign_dialer import (
    CampaignDialerRepository,
    CampaignPace,
    ClaimedAttempt,
    ClosedAttempt,
    RetryPolicy,
)
from engine.store.woken import run_woken

log = logging.getLogger(__name__)

__all__ = ["CampaignDialer", "DialerCaps", "DialerLauncher"]


class DialerLauncher(Protocol):
    """What the dialer needs from the router (``CallRouter`` fits)."""

    async def launch(self, call: Call) -> Call: ...
    def live_calls(self, account_id: str) -> list[Call]: ...
    def live_calls_of(self, origin: Origin) -> list[Call]: ...


class LimitsSource(Protocol):
    async def get_limits(self, account_id: str) -> StoredLimits | None: ...


@dataclass(frozen=True)
class DialerCaps:
    max_concurrent: int = 100  # campaign calls at once, whole engine
    calls_per_second: float = 10.0  # campaign call starts, whole engine
    lease_seconds: float = 30.0
    scrub_every: float = 30.0
    idle_recheck: float = 15.0  # a campaign with nobody dialable now looks again after this
    safety_seconds: float = 5.0  # the longest sleep between passes
    upkeep_every: float = 0.5  # windows, scrubs and lost outcomes: at most this often
    ring_timeout: int = 30  # seconds a contact may ring (answer_url campaigns)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)


def _utcnow() -> datetime:
    return datetime.now(UTC)


_NO_MORE_CALLS = {CampaignStatus.STOPPED: "stopped", CampaignStatus.COMPLETED: "expired"}


class CampaignDialer:
    def __init__(self, repo: CampaignDialerRepository, router: DialerLauncher,
                 limits: LimitsSource, default_limits: CallLimits, *,
                 asterisk_up: Callable[[], bool], caps: DialerCaps | None = None,
                 backoff: Backoff | None = None, worker_id: str | None = None,
                 clock: Callable[[], datetime] = _utcnow,
                 region: str = "US") -> None:
        self._repo = repo
        self._router = router
        self._limits = limits
        self._default_limits = default_limits
        self._asterisk_up = asterisk_up
        self._caps = caps or DialerCaps()
        self._backoff = backoff or Backoff(0.5, 10.0)
        self.worker_id = worker_id or new_worker_id()
        self._clock = clock
        self._region = region
        self._wake = asyncio.Event()
        self._starts: deque[float] = deque(maxlen=10_000)
        self._account_starts: dict[str, deque[float]] = {}
        self._account_limits: dict[str, tuple[float, CallLimits]] = {}
        self._upkept_at = -math.inf

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        def listen(wake: Callable[[], None]
                   ) -> AbstractAsyncContextManager[Callable[[], bool]]:
            def notified() -> None:  # a campaign was created, paused, resumed or stopped
                self._upkept_at = -math.inf
                wake()
            return self._repo.listen(notified)

        await run_woken("campaign dialer", listen, self._wake, self._backoff, self.one_pass)

    # ---- a pass ---------------------------------------------------------------------

    async def one_pass(self) -> float:
        """Do everything that is due; returns the seconds until something may be."""
        maintained = await self._maintain()
        if not self._asterisk_up():
            return 1.0
        hint = await self._dial_due()
        until = await self._repo.seconds_to_next(self._clock())
        if until is None:
            pause = self._caps.safety_seconds
        elif until > 0:
            pause = until
        elif hint < self._caps.safety_seconds:
            pause = hint  # overdue but held back (a cap, another engine): as the hint says
        else:
            # Nothing was held back: a call fell due while this pass ran (after the claims
            # looked), or a window opened or closed. Look again at once, windows included,
            # or the call would wait for the next wake-up.
            if not maintained:
                self._upkept_at = -math.inf
            pause = 0.0
        return max(0.001, min(pause, hint, self._caps.safety_seconds))

    async def _maintain(self) -> bool:
        """Windows, scrubs, lost outcomes and unplaced attempts, at most every
        ``upkeep_every`` seconds (a fast campaign wakes the dialer far more often);
        True if it ran."""
        if time.monotonic() - self._upkept_at < self._caps.upkeep_every:
            return False
        self._upkept_at = time.monotonic()
        now = self._clock()
        await self._repo.housekeeping(now)
        for campaign_id in await self._repo.to_scrub(now, self._caps.scrub_every):
            scrubbed = await self._repo.scrub(campaign_id, now)
            if scrubbed:
                log.info("campaign DND scrub", extra={"campaign_id": campaign_id,
                                                      "contacts": scrubbed})
        for lost in await self._repo.unsettled(100):
            await self._settle(lost.request_id, lost.result, lost.ended_at)
        if self._asterisk_up():
            await self._redial_unplaced()
        return True

    async def _dial_due(self) -> float:
        """Place every call due now; returns how soon a held-back one may go."""
        hint = self._caps.safety_seconds
        while True:
            now = self._clock()
            due = await self._repo.due_campaigns(now, 50)
            placed = 0
            for campaign_id, account_id in due:
                wait = await self._capacity_wait(account_id)
                if wait > 0:
                    hint = min(hint, wait)
                    continue
                claimed = await self._repo.claim(
                    campaign_id, self.worker_id, now, self._next_dial(now),
                    self._idle_until(now))
                if claimed is not None:
                    await self._place(claimed, now)
                    placed += 1
            if not placed:
                if due:
                    hint = min(hint, 0.2)  # held by another engine, or held back above
                return hint

    def _next_dial(self, now: datetime) -> Callable[[CampaignPace], datetime]:
        def next_dial(pace: CampaignPace) -> datetime:
            return next_slot(pace.next_dial_at, now, pace.calls_per_minute)
        return next_dial

    def _idle_until(self, now: datetime) -> Callable[[datetime | None], datetime]:
        recheck = now + timedelta(seconds=self._caps.idle_recheck)

        def idle_until(waiting: datetime | None) -> datetime:
            # A retry due later: then. Contacts waiting but not dialable now (outside their
            # calling hours, on the DND list): look again shortly. Nobody waiting: the
            # outcome of a live attempt (a retry) brings the anchor forward by itself.
            if waiting is not None and waiting > now:
                return min(waiting, recheck)
            return recheck
        return idle_until

    # ---- caps -----------------------------------------------------------------------

    async def _capacity_wait(self, account_id: str) -> float:
        """0 if one more campaign call of the account may start now, else seconds to wait
        (a concurrency cap waits for a call to end, which wakes the dialer)."""
        limits = await self._account_limits_of(account_id)
        if len(self._router.live_calls_of(Origin.CAMPAIGN)) >= self._caps.max_concurrent:
            return 1.0
        if len(self._router.live_calls(account_id)) >= limits.max_concurrent:
            return 1.0
        now = time.monotonic()
        engine_wait = rate_wait(self._starts, self._caps.calls_per_second, now)
        account_wait = rate_wait(self._account_starts.get(account_id, ()),
                                 limits.calls_per_second, now)
        return max(engine_wait, account_wait)

    async def _account_limits_of(self, account_id: str) -> CallLimits:
        cached = self._account_limits.get(account_id)
        if cached is not None and time.monotonic() - cached[0] < 5.0:
            return cached[1]
        stored = await self._limits.get_limits(account_id)
        limits = self._default_limits if stored is None else effective_limits(
            stored.max_concurrent, stored.calls_per_second, self._default_limits)
        self._account_limits[account_id] = (time.monotonic(), limits)
        return limits

    def _count_start(self, account_id: str) -> None:
        now = time.monotonic()
        self._starts.append(now)
        self._account_starts.setdefault(account_id, deque(maxlen=10_000)).append(now)

    # ---- placing calls ----------------------------------------------------------------

    async def _redial_unplaced(self) -> None:
        now = self._clock()
        for claimed in await self._repo.claim_unplaced(self.worker_id, now,
                                                       self._caps.lease_seconds, 10):
            status = CampaignStatus(claimed.campaign_status)
            if status is CampaignStatus.RUNNING:
                log.warning("re-dialling an attempt its engine never placed",
                            extra={"request_id": claimed.request_id,
                                   "campaign_id": claimed.campaign_id})
                await self._place(claimed, now)
            else:
                await self._repo.drop_unplaced(
                    claimed.request_id, _NO_MORE_CALLS.get(status, "pending"), now)

    async def _place(self, claimed: ClaimedAttempt, now: datetime) -> None:
        extra = {"request_id": claimed.request_id, "campaign_id": claimed.campaign_id,
                 "attempt": claimed.attempt}
        self._count_start(claimed.account_id)
        try:
            call = self._build_call(claimed, now)
            await self._router.launch(call)
        except Exception as exc:
            # Nothing was dialled (the call was refused before its first command).
            level = logging.WARNING if isinstance(exc, EngineError) else logging.ERROR
            log.log(level, "campaign attempt not placed", exc_info=True, extra=extra)
            await self._settle(claimed.request_id, AttemptResult("CHANUNAVAIL"), now)
            return
        log.info("campaign call placed", extra=extra)

    def _build_call(self, claimed: ClaimedAttempt, now: datetime) -> Call:
        # Contacts were validated on import; checked again on the way to the dial string.
        number = normalize_number(claimed.number, "contact_number", self._region)
        return attempt_call(
            request_id=claimed.request_id, account_id=claimed.account_id,
            attempt=CampaignRef(claimed.campaign_id, claimed.list_id, claimed.contact_id,
                                claimed.attempt, claimed.campaign_type),
            definition=definition_from_json(claimed.definition), number=number,
            contact_name=claimed.contact_name, fields=claimed.fields, now=now,
            ring_timeout=self._caps.ring_timeout)

    # ---- outcomes -----------------------------------------------------------------------

    async def on_call_finished(self, call: Call) -> None:
        """Router hook: a campaign call ended; settle its attempt and contact."""
        if call.origin is not Origin.CAMPAIGN or call.campaign is None:
            return
        await self._settle(call.request_id, result_of(call), call.ended_at or self._clock())
        self.wake()  # a line is free, and a retry may be due

    async def _settle(self, request_id: str, result: AttemptResult,
                      ended_at: datetime) -> None:
        def decide(closed: ClosedAttempt, policy: RetryPolicy
                   ) -> tuple[str, datetime | None]:
            update = contact_update(
                result, attempt=closed.attempt, max_retries=policy.max_retries,
                retry_on=policy.retry_on, retry_seconds=policy.retry_seconds, now=ended_at,
                no_more_calls=_NO_MORE_CALLS.get(CampaignStatus(policy.status)))
            return update.state, update.next_at

        closed = await self._repo.settle(request_id, result, ended_at, decide)
        if closed is None:
            return
        log.info("campaign attempt settled",
                 extra={"request_id": request_id, "campaign_id": closed.campaign_id,
                        "dial_status": result.dial_status})
        if result.dial_status in TRUNK_FAILURES:
            await self._check_breaker(closed.campaign_id)

    async def _check_breaker(self, campaign_id: str) -> None:
        policy = self._caps.breaker
        recent = await self._repo.recent_outcomes(campaign_id, policy.window)
        reason = trip_reason(recent, policy)
        if reason is not None and await self._repo.suspend(campaign_id, reason,
                                                           self._clock()):
            log.warning("campaign suspended", extra={"campaign_id": campaign_id,
                                                     "reason": reason})
