"""How call outcomes are worded in CDRs: Asterisk's dial statuses and the seed's formats."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

ANSWER, BUSY, NOANSWER, CANCEL, CHANUNAVAIL, CONGESTION = (
    "ANSWER", "BUSY", "NOANSWER", "CANCEL", "CHANUNAVAIL", "CONGESTION",
)
DIAL_STATUSES = (ANSWER, BUSY, NOANSWER, CANCEL, CHANUNAVAIL, CONGESTION)
FAILED_DIAL_STATUSES = frozenset(DIAL_STATUSES) - {ANSWER}

# The engine's own cause for a dial that Asterisk refused before any signalling happened
# (e.g. an agent extension with no registered softphone): "subscriber absent".
CAUSE_UNREACHABLE = 20

# The platform, not the callee, lost the leg. Q.850 causes stop at 127; these are the
# engine's own, so a CDR never blames a number for the engine's or the PBX's absence.
CAUSE_ENGINE_UNAVAILABLE = 900  # the engine was not connected to Asterisk when the leg needed it
CAUSE_PBX_UNAVAILABLE = 901  # the PBX was unreachable, or went down, during the leg
PLATFORM_CAUSES = frozenset({CAUSE_ENGINE_UNAVAILABLE, CAUSE_PBX_UNAVAILABLE})

# Q.850 causes as Asterisk reports them in ChannelDestroyed, for a leg never answered.
_CAUSE_TO_STATUS = {
    17: BUSY,  # user busy (SIP 486)
    21: BUSY,  # call rejected (SIP 603)
    18: NOANSWER,  # no user responding
    19: NOANSWER,  # no answer (the dial timeout)
    1: CHANUNAVAIL,  # unallocated number (SIP 404)
    2: CHANUNAVAIL,
    3: CHANUNAVAIL,  # no route to destination
    20: CHANUNAVAIL,  # subscriber absent (SIP 480, unregistered)
    27: CHANUNAVAIL,  # destination out of order (SIP 502)
    28: CHANUNAVAIL,  # invalid number format (SIP 484)
    34: CONGESTION,  # circuit/channel congestion (SIP 503)
    38: CONGESTION,  # network out of order
    41: CONGESTION,  # temporary failure
    42: CONGESTION,  # switching equipment congestion
    44: CONGESTION,
    47: CONGESTION,
    58: CONGESTION,
}

_CALL_STATUS = {
    ANSWER: "ANSWERED",
    BUSY: "BUSY",
    NOANSWER: "NO ANSWER",
    CANCEL: "NO ANSWER",
    CHANUNAVAIL: "FAILED",
    CONGESTION: "CONGESTION",
}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def dial_status_for(
    *, answered: bool, cancelled: bool, cause: int, reported: str | None = None
) -> str:
    """Asterisk's DIALSTATUS word for a finished leg.

    A platform failure is CHANUNAVAIL, whatever else is known; then the engine's own
    cancel; then a specific hangup cause; then ``reported``, what
    Asterisk's Dial event said, if anything; then the generic causes.
    """
    if answered:
        return ANSWER
    if cause in PLATFORM_CAUSES:
        return CHANUNAVAIL
    if cancelled:
        return CANCEL
    if cause in _CAUSE_TO_STATUS:
        # A specific cause is the most truthful: ARI's Dial event says NOANSWER even for
        # a number the network reported unallocated (SIP 404, cause 1).
        return _CAUSE_TO_STATUS[cause]
    if reported in FAILED_DIAL_STATUSES:
        return reported
    if cause in (0, 16, 31, 32):
        # Normal clearing before answer that the engine did not ask for: the far end gave up.
        return NOANSWER
    return CHANUNAVAIL


def call_status_for(dial_status: str | None) -> str | None:
    """The seed's call_status word (ANSWERED, BUSY, NO ANSWER, FAILED, CONGESTION)."""
    if dial_status is None:
        return None
    return _CALL_STATUS.get(dial_status, "FAILED")


def http_date(moment: datetime | None) -> str:
    """The seed's date format, ``Fri, 07 Jul 2023 06:08:16 GMT``; the epoch when unset.

    A naive datetime is taken as UTC (``astimezone`` would read it as the host's local time).
    """
    moment = moment or EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max((end - start).total_seconds(), 0.0), 5)
