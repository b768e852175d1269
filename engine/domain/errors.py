"""The engine's exception tree, grouped by what a caller can do about each error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class EngineError(Exception):
    """Base of every error the engine raises on purpose.

    ``code`` is stable snake_case and reaches API clients unchanged; ``details`` carries
    structured context such as the field at fault.
    """

    code = "engine_error"

    def __init__(
        self, message: str, *, code: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = dict(details or {})


class Rejected(EngineError):
    """The request is wrong; retrying it unchanged will fail again."""

    code = "rejected"


class InvalidField(Rejected):
    """One field of a request failed validation."""

    code = "invalid_field"

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"field": field})
        self.field = field


class NotFound(EngineError):
    """The object does not exist, or belongs to another account (the two look the same)."""

    code = "not_found"


class Conflict(EngineError):
    """The object exists but is in a state that forbids the operation."""

    code = "conflict"


class TooManyRequests(EngineError):
    """Over a rate or queue bound of the account (HTTP 429); retry later."""

    code = "too_many_requests"


class Unavailable(EngineError):
    """A dependency (Asterisk, the database) is down; retry later."""

    code = "service_unavailable"


class TimedOut(Unavailable):
    """A dependency did not answer in time; retry later."""

    code = "timed_out"
