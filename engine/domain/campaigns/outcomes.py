"""What one campaign attempt's outcome means for its contact (pure).

A contact is ``answered`` once a call to it was answered; otherwise its attempt's dial
status is retried, ``retry_seconds`` later, while attempts remain (``max_retries`` retries
after the first attempt) and the status is one the campaign retries on; otherwise it is
``failed``. A leg the platform lost (hangup cause 900: the engine was away; 901: the PBX
was) says nothing about the callee: it is retried like a listed status, if retries remain.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.domain.call import Call, Role

RETRYABLE_STATUSES = ("NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL")
PLATFORM_CAUSES = (900, 901)
TRUNK_FAILURES = ("CHANUNAVAIL", "CONGESTION")


@dataclass(frozen=True)
class AttemptResult:
    """How an attempt ended, as its call's CDR says."""

    dial_status: str
    hangup_cause: int | None = None

    @property
    def answered(self) -> bool:
        return self.dial_status == "ANSWER"

    @property
    def lost_by_platform(self) -> bool:
        return self.hangup_cause in PLATFORM_CAUSES


@dataclass(frozen=True)
class ContactUpdate:
    state: str  # answered | retry | failed
    next_at: datetime | None = None


def result_of(call: Call) -> AttemptResult:
    """The attempt's result: the dialled party's leg (a campaign call dials one)."""
    leg = call.leg_by_role(Role.CUSTOMER)
    if leg is None:
        return AttemptResult("CHANUNAVAIL")
    if leg.answered_at is not None:
        return AttemptResult("ANSWER", leg.hangup_cause)
    return AttemptResult(leg.dial_status or "CHANUNAVAIL", leg.hangup_cause)


def contact_update(result: AttemptResult, *, attempt: int, max_retries: int,
                   retry_on: Collection[str], retry_seconds: int, now: datetime,
                   no_more_calls: str | None = None) -> ContactUpdate:
    """The contact's state after its ``attempt``-th attempt (1 = the first).

    ``no_more_calls`` is the state of a contact the campaign will not call again although
    a retry is due (``stopped``: the campaign was stopped; ``expired``: its window closed).
    """
    if result.answered and not result.lost_by_platform:
        return ContactUpdate("answered")
    retries_left = attempt <= max_retries
    wanted = result.dial_status in retry_on or result.lost_by_platform
    if retries_left and wanted:
        if no_more_calls is not None:
            return ContactUpdate(no_more_calls)
        return ContactUpdate("retry", now + timedelta(seconds=retry_seconds))
    return ContactUpdate("answered" if result.answered else "failed")
