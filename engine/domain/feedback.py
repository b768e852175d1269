"""Call quality feedback (Plivo's ``POST /v1/Call/{call_uuid}/Feedback/``), pure.

Validation follows Plivo's documentation:

* ``rating``: a number in [1, 5], sent as a JSON number (``4.5``) or a string (``"3"``,
  ``"3.0"``); anything else is refused with Plivo's own message.
* ``issues``: required when the rating is below 5; one or more of ``ISSUES``, as a JSON list
  or a comma-separated string (case and spaces around each value are forgiven; duplicates
  are kept once, in the order first sent).
* ``notes`` (Plivo's docs say ``Notes``, its SDK sends ``notes``): optional free text of at
  most ``MAX_NOTES_CHARS`` characters, without control characters other than tab and
  line breaks.

The account-wide report (counts per issue, number of feedbacks, mean rating) covers the
feedback *posted* in a half-open interval ``[start, end)``; ``parse_report_range`` reads its
``from``/``to`` query values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from engine.domain.errors import InvalidField

ISSUES: tuple[str, ...] = (
    "AUDIO_LAG",
    "BROKEN_AUDIO",
    "CALL_DROPPED",
    "CALLERID_ISSUE",
    "DIGITS_NOT_CAPTURED",
    "ECHO",
    "HIGH_CONNECT_TIME",
    "LOW_AUDIO_LEVEL",
    "ONE_WAY_AUDIO",
    "OTHERS",
    "ROBOTIC_AUDIO",
)
MIN_RATING = 1.0
MAX_RATING = 5.0
MAX_NOTES_CHARS = 1000
MAX_ISSUES_INPUT_CHARS = 1000

RATING_MESSAGE = "Rating has to be a float between 1 -5"
ISSUES_MESSAGE = ("Issues have to be an array of one or more than one of the following: "
                  + ", ".join(ISSUES))
NOTES_MESSAGE = (f"Notes has to be text of at most {MAX_NOTES_CHARS} characters, without "
                 "control characters")

_NUMBER = re.compile(r"[0-9]{1,3}(\.[0-9]{1,12})?")
_BAD_NOTE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Feedback:
    """One validated feedback: what the client said about a call."""

    rating: float
    issues: tuple[str, ...] = ()
    notes: str = ""


def parse_rating(value: object) -> float:
    """A rating in [1, 5] from a JSON number or a decimal string; InvalidField otherwise."""
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value.strip())
    if number is None or not math.isfinite(number) or not MIN_RATING <= number <= MAX_RATING:
        raise InvalidField("rating", RATING_MESSAGE, code="invalid_rating")
    return number


def parse_issues(value: object) -> tuple[str, ...]:
    """The issues named by a list or a comma-separated string (``()`` when absent/empty)."""
    if value is None:
        return ()
    if isinstance(value, str):
        if len(value) > MAX_ISSUES_INPUT_CHARS:
            raise InvalidField("issues", ISSUES_MESSAGE, code="invalid_issues")
        if not value.strip():
            return ()
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
        if len(items) > len(ISSUES) * 4:
            raise InvalidField("issues", ISSUES_MESSAGE, code="invalid_issues")
    else:
        raise InvalidField("issues", ISSUES_MESSAGE, code="invalid_issues")
    found: list[str] = []
    for item in items:
        name = item.strip().upper() if isinstance(item, str) else None
        if name not in ISSUES:
            raise InvalidField("issues", ISSUES_MESSAGE, code="invalid_issues")
        if name not in found:
            found.append(name)
    return tuple(found)


def parse_notes(value: object) -> str:
    """Optional free text, bounded; surrounding whitespace is dropped."""
    if value is None:
        return ""
    if not isinstance(value, str) or _BAD_NOTE_CHARS.search(value):
        raise InvalidField("notes", NOTES_MESSAGE, code="invalid_notes")
    text = value.strip()
    if len(text) > MAX_NOTES_CHARS:
        raise InvalidField("notes", NOTES_MESSAGE, code="invalid_notes")
    return text


def parse_feedback(rating: object, issues: object = None, notes: object = None) -> Feedback:
    """Validate one submission (raw values as the client sent them)."""
    value = parse_rating(rating)
    named = parse_issues(issues)
    if value < MAX_RATING and not named:
        raise InvalidField("issues", ISSUES_MESSAGE, code="issues_required")
    return Feedback(value, named, parse_notes(notes))


# ---- the account-wide report -----------------------------------------------------------


@dataclass(frozen=True)
class FeedbackSummary:
    """Feedback posted in a period: how many, their mean rating, and each issue's count."""

    count: int
    mean_rating: float | None
    issue_counts: Mapping[str, int] = field(default_factory=dict)

    def view(self) -> dict[str, object]:
        """The JSON fields of the report: every issue listed, zero when never reported."""
        return {
            "feedback_count": self.count,
            "mean_rating": None if self.mean_rating is None else round(self.mean_rating, 2),
            "issues": {name: int(self.issue_counts.get(name, 0)) for name in ISSUES},
        }


def _instant(text: str, name: str, *, end: bool) -> datetime:
    text = text.strip()
    if _DAY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidField(name, f"{name}: not a date (YYYY-MM-DD)") from None
        # A day given as the end of the period includes that whole day.
        start = datetime.combine(day, time(), UTC)
        return start + timedelta(days=1) if end else start
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidField(name, f"{name}: expected YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS] "
                           "(UTC unless an offset is given)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_report_range(start: str | None, end: str | None
                       ) -> tuple[datetime | None, datetime | None]:
    """``from``/``to`` of the report as UTC instants (``None``: open-ended).

    A bare date as ``to`` means the end of that day; times without an offset are UTC."""
    lower = _instant(start, "from", end=False) if start else None
    upper = _instant(end, "to", end=True) if end else None
    if lower is not None and upper is not None and upper <= lower:
        raise InvalidField("to", "to must be after from")
    return lower, upper
