"""The values of single create_campaign fields, parsed (pure): each parser takes the
body's string and returns the value, or raises ``InvalidField`` naming the field with a
stable code. ``fields.validate_campaign`` puts them together."""

from __future__ import annotations

import math
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from engine.domain.callbacks import SCHEDULED_AT_FORMAT, to_utc
from engine.domain.errors import InvalidField
from engine.domain.urls import is_absolute_http_url

MAX_NAME_CHARS = 128

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_HOUR = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_WHOLE = re.compile(r"[0-9]{1,9}")
_NUMBER = re.compile(r"[0-9]{1,9}(\.[0-9]{1,6})?")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def parse_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > MAX_NAME_CHARS or CONTROL_CHARS.search(name):
        raise InvalidField("campaign_name", f"campaign_name must be 1-{MAX_NAME_CHARS} "
                           "characters on one line", code="invalid_campaign_name")
    return name


def parse_text(field: str, value: str, most: int) -> str:
    text = value.strip()
    if len(text) > most:
        raise InvalidField(field, f"{field} is longer than {most} characters",
                           code="text_too_long")
    if "\x00" in text:
        raise InvalidField(field, f"{field} must not contain NUL characters")
    return text


def parse_choice(field: str, value: str, allowed: tuple[int, ...]) -> int:
    text = value.strip()
    if text not in [str(a) for a in allowed]:
        raise InvalidField(field, f"{field} must be one of "
                           f"{', '.join(repr(str(a)) for a in allowed)}",
                           code=f"invalid_{field}")
    return int(text)


def parse_whole(field: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise InvalidField(field, f"{field} must be a whole number from {low} to {high}",
                           code="out_of_range")
    return int(text)


def parse_aliased(main: tuple[str, str | None], alias: tuple[str, str | None], low: int,
             high: int) -> int:
    """A whole number sent as ``main`` or its ``alias`` (default: ``low``)."""
    (field, value), (alias_field, alias_value) = main, alias
    number = parse_whole(field, value, low, low, high)
    if alias_value is None or not alias_value.strip():
        return number
    other = parse_whole(alias_field, alias_value, low, low, high)
    if value is not None and value.strip() and other != number:
        raise InvalidField(alias_field, f"{alias_field} is another name of {field}; they "
                           "disagree", code="conflicting_alias")
    return other


def parse_seconds(field: str, value: str | None, default: float, most: float) -> float:
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not _NUMBER.fullmatch(text) or not 1 <= float(text) <= most:
        raise InvalidField(field, f"{field} must be seconds from 1 to {most:g}",
                           code="out_of_range")
    return float(text)


def parse_rate(value: str | None, most: float) -> float:
    if value is None or not value.strip():
        raise InvalidField("calls_per_minute", "calls_per_minute is required",
                           code="calls_per_minute_required")
    text = value.strip()
    rate = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not 0 < rate <= most:
        raise InvalidField("calls_per_minute", f"calls_per_minute must be a number above 0 "
                           f"and at most {most:g}", code="invalid_calls_per_minute")
    return rate


def parse_instant(field: str, value: str, zone: ZoneInfo) -> datetime:
    text = value.strip()
    wall = None
    if _DATE.fullmatch(text):
        try:
            wall = datetime.strptime(text, SCHEDULED_AT_FORMAT)
        except ValueError:
            wall = None
    if wall is None:
        raise InvalidField(field, f"{field} must be a real date and time in the format "
                           "YYYY-mm-dd hh:mm:ss", code="invalid_date")
    try:
        return to_utc(wall, zone)
    except InvalidField:
        raise InvalidField(field, f"{field} does not exist in the time zone (the clocks skip "
                           "it for daylight saving time)", code="date_nonexistent") from None


def parse_hours(start: str | None, end: str | None) -> tuple[time | None, time | None]:
    given = {"calling_hours_start": (start or "").strip(),
             "calling_hours_end": (end or "").strip()}
    if not any(given.values()):
        return None, None
    parsed: list[time] = []
    for field, text in given.items():
        match = _HOUR.fullmatch(text)
        if match is None:
            raise InvalidField(field, f"{field} must be HH:MM (24 h); calling_hours_start "
                               "and calling_hours_end go together",
                               code="invalid_calling_hours")
        parsed.append(time(int(match.group(1)), int(match.group(2))))
    if parsed[1] == parsed[0]:
        raise InvalidField("calling_hours_end", "calling_hours_end must differ from "
                           "calling_hours_start (an end before the start spans midnight)",
                           code="invalid_calling_hours")
    return parsed[0], parsed[1]


def parse_answer_url(value: str) -> str:
    url = (value or "").strip()
    if not url:
        return ""
    if not is_absolute_http_url(url):
        raise InvalidField("answer_url", "answer_url must be an absolute http or https URL",
                           code="invalid_answer_url")
    return url


def parse_method(value: str | None) -> str:
    method = (value or "").strip().upper() or "POST"
    if method not in ("GET", "POST"):
        raise InvalidField("answer_method", "answer_method must be GET or POST",
                           code="invalid_answer_method")
    return method
