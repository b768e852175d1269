"""OTP announce templates (pure): ids, validation, and the split around the OTP.

A template is the text an OTP call speaks, e.g. ``"Your one time password is {otp}"``.
It holds the placeholder ``{otp}`` exactly once and no other braces, so the spoken
utterance is always ``before + OTP digit by digit + after``, whatever the TTS engine.
An account creates templates; an operator approves them before any call may use one.
"""

from __future__ import annotations

import re
from enum import StrEnum

from engine.domain.errors import InvalidField
from engine.domain.ids import new_request_id

PLACEHOLDER = "{otp}"
MAX_TEXT_CHARS = 500
MAX_NAME_CHARS = 128
TEMPLATE_ID = re.compile(r"AN[0-9a-f]{10}")

_BRACED = re.compile(r"\{[^{}]*\}")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class TemplateStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"


def new_template_id() -> str:
    """``AN`` and 10 lowercase hex characters, like the seed's ``"AN2222314c96"``."""
    return "AN" + new_request_id()


def is_template_id(value: str) -> bool:
    return bool(TEMPLATE_ID.fullmatch(value))


def validate_name(name: str) -> str:
    """The template's name, trimmed: 1-128 characters on one line."""
    name = name.strip()
    if not name:
        raise InvalidField("name", "name must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidField("name", f"name must be at most {MAX_NAME_CHARS} characters")
    if _CONTROL_CHARS.search(name):
        raise InvalidField("name", "name must not contain control characters")
    return name


def validate_text(text: str) -> str:
    """The template's text, trimmed; raises ``InvalidField("text", …)`` saying what is wrong.

    Rules: 1-500 characters, no control characters (line breaks included: the text is
    spoken, not displayed), ``{otp}`` exactly once, and no other ``{…}`` placeholder or
    stray brace.
    """
    text = text.strip()
    if not text:
        raise InvalidField("text", "text must not be empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidField("text", f"text must be at most {MAX_TEXT_CHARS} characters")
    if _CONTROL_CHARS.search(text):
        raise InvalidField("text", "text must not contain control characters or line breaks")
    placeholders = _BRACED.findall(text)
    unknown = sorted({p for p in placeholders if p != PLACEHOLDER})
    if unknown:
        raise InvalidField("text", f"text has unknown placeholder {', '.join(unknown)}; "
                           f"the only placeholder is {PLACEHOLDER}")
    outside = _BRACED.sub("", text)
    if "{" in outside or "}" in outside:
        raise InvalidField("text", f"text has a stray '{{' or '}}'; the only braces "
                           f"allowed are those of {PLACEHOLDER}")
    count = placeholders.count(PLACEHOLDER)
    if count == 0:
        raise InvalidField("text", f"text must contain the placeholder {PLACEHOLDER}")
    if count > 1:
        raise InvalidField("text", f"text must contain {PLACEHOLDER} exactly once, "
                           f"not {count} times")
    return text


def split_template(text: str) -> tuple[str, str]:
    """``(before, after)`` the ``{otp}`` placeholder of a valid template's text.

    The caller speaks ``before``, then the OTP digit by digit, then ``after``. Either part
    may be empty (``"{otp} is your code"``) and keeps its own spacing.
    """
    before, after = validate_text(text).split(PLACEHOLDER)
    return before, after
