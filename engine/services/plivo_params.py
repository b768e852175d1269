"""Reading the parameters of Plivo's API requests, as Plivo's clients send them.

A JSON body or a form: values may be strings (``"300"``, ``"true"``), JSON numbers and
booleans, and for some parameters lists. Every refusal is an ``InvalidField`` naming the
parameter; inputs are never echoed whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

from engine.domain.errors import InvalidField
from engine.domain.urls import MAX_URL_CHARS, is_absolute_http_url

Params = Mapping[str, Any]

METHODS = ("GET", "POST")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHOLE = re.compile(r"[+]?[0-9]{1,12}")
_DIGITS = re.compile(r"[0-9*#A-DwW]{1,100}")
_TRUE, _FALSE = ("true",), ("false",)


def refuse(name: str, message: str) -> NoReturn:
    raise InvalidField(name, message)


def text(params: Params, name: str, *, required: bool = False, max_length: int = 256) -> str:
    """A single-line string (numbers are read as their text); "" when absent."""
    value = params.get(name)
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, int | float):
        value = str(value)
    if value is None:
        value = ""
    if not isinstance(value, str):
        refuse(name, f"{name} must be a string")
    value = value.strip()
    if not value and required:
        refuse(name, f"{name} is required")
    if len(value) > max_length:
        refuse(name, f"{name} is longer than {max_length} characters")
    if _CONTROL.search(value):
        refuse(name, f"{name} must not contain control characters")
    return value


def flag(params: Params, name: str, default: bool) -> bool:
    """``true``/``false`` (any case, or a JSON boolean); ``default`` when absent."""
    value = params.get(name)
    if isinstance(value, bool):
        return value
    raw = text(params, name, max_length=8).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    refuse(name, f"{name} must be true or false")


def whole(params: Params, name: str, default: int, low: int, high: int) -> int:
    """A whole number in ``[low, high]`` (``"300"`` or ``300``); ``default`` when absent."""
    value = params.get(name)
    if isinstance(value, bool):
        refuse(name, f"{name} must be a whole number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        raw = text(params, name, max_length=16)
        if not raw:
            return default
        if not _WHOLE.fullmatch(raw):
            refuse(name, f"{name} must be a whole number between {low} and {high}")
        number = int(raw)
    if not low <= number <= high:
        refuse(name, f"{name} must be a whole number between {low} and {high}")
    return number


def method(params: Params, name: str) -> str:
    """GET or POST (any case: ``"POSt"`` is POST); POST when absent."""
    raw = text(params, name, max_length=8).upper()
    if not raw:
        return "POST"
    if raw not in METHODS:
        refuse(name, f"{name} must be GET or POST")
    return raw


def check_url(name: str, value: str) -> str:
    if not is_absolute_http_url(value, max_chars=len(value)):  # its length is checked before
        refuse(name, f"{name} must be an absolute http or https URL")
    return value


def url(params: Params, name: str, *, required: bool = False) -> str:
    """An absolute http(s) URL; "" when absent (and not required)."""
    raw = text(params, name, required=required, max_length=MAX_URL_CHARS)
    return check_url(name, raw) if raw else ""


def urls(params: Params, name: str, *, most: int = 20) -> tuple[str, ...]:
    """One or more http(s) URLs: a list, or a string of comma-separated URLs (required)."""
    value = params.get(name)
    items = value if isinstance(value, list) else text(params, name, required=True,
                                                       max_length=most * MAX_URL_CHARS)
    parts = items if isinstance(items, list) else items.split(",")
    found = []
    for item in parts:
        if not isinstance(item, str):
            refuse(name, f"{name} must be URLs")
        part = item.strip()
        if part:
            if len(part) > MAX_URL_CHARS:
                refuse(name, f"{name} has a URL longer than {MAX_URL_CHARS} characters")
            found.append(check_url(name, part))
    if not found:
        refuse(name, f"{name} is required")
    if len(found) > most:
        refuse(name, f"{name} has more than {most} URLs")
    return tuple(found)


def digits_param(params: Params, name: str) -> str:
    """DTMF to send: 1-100 of 0-9, *, #, A-D, w (0.5 s pause) and W (1 s)."""
    raw = text(params, name, required=True, max_length=100)
    raw = "".join(c.upper() if c in "abcd" else c for c in raw)
    if not _DIGITS.fullmatch(raw):
        refuse(name, f"{name} must be 1-100 of 0-9, *, #, A-D, w and W")
    return raw


def legs_param(params: Params, name: str, *, required: bool = False) -> str:
    """Which leg: only ``aleg`` (the party the API call dialled) is supported."""
    raw = text(params, name, required=required, max_length=8).lower()
    if raw in ("", "aleg"):
        return "aleg"
    if raw in ("bleg", "both"):
        refuse(name, f"{name}={raw} is not supported: only the A leg (the party the call "
               "dialled) can be acted on")
    refuse(name, f"{name} must be aleg, bleg or both")


def only_default(params: Params, name: str, default: bool) -> None:
    """A boolean option whose other value this engine does not honour: refused, not ignored."""
    if flag(params, name, default) != default:
        refuse(name, f"{name}={str(not default).lower()} is not supported by this engine")
