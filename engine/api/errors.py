"""Every exception becomes an error envelope here, once, at the HTTP boundary.

=====================================  ======  ==========================================
Exception                              Status  ``error`` code
=====================================  ======  ==========================================
``InvalidField`` / ``Rejected``        422     the exception's own code (``invalid_field``)
pydantic ``ValidationError``           422     ``invalid_field``
``NotFound``                           404     the exception's own code (``not_found``)
``Conflict``                           409     the exception's own code (``conflict``)
``Unavailable`` / ``TimedOut``         503     ``service_unavailable`` / ``timed_out``
``ApiError`` subclasses (below)        fixed   fixed (``malformed_json``, ``unauthorized``, …)
aiohttp ``HTTPNotFound``               404     ``not_found``
aiohttp ``HTTPMethodNotAllowed``       405     ``method_not_allowed`` (``Allow`` header kept)
aiohttp ``HTTPRequestEntityTooLarge``  413     ``payload_too_large``
anything else                          500     ``internal_error`` (logged with traceback)
=====================================  ======  ==========================================

Every 413 also closes the connection (``Connection: close``), whatever raised it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from engine.api.envelope import error_response
from engine.domain.errors import Conflict, EngineError, NotFound, Rejected, Unavailable

log = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 10
MAX_FIELD_CHARS = 100
MAX_MESSAGE_CHARS = 200


class ApiError(Exception):
    """A refusal decided by the façade itself; subclasses fix ``status`` and ``code``."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] = dict(headers or {})


class MalformedJson(ApiError):
    """The body is not JSON at all (syntax error, invalid UTF-8, empty)."""

    status, code = 400, "malformed_json"


class InvalidBody(ApiError):
    """The body is valid JSON but not an object.

    422, not 400: the request parsed fine and has the wrong shape, exactly like a field of
    the wrong type, so every "parsed but wrong" answer is 422 and every "unparseable" is 400.
    """

    status, code = 422, "invalid_body"


class Unauthorized(ApiError):
    """Missing or wrong ``account``/``auth`` headers (one message for every cause)."""

    status, code = 401, "unauthorized"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class HeadersTooLarge(ApiError):
    """The request's headers together are over ``ApiDeps.max_header_bytes``."""

    status, code = 431, "headers_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class ShuttingDown(ApiError):
    status, code = 503, "shutting_down"


@dataclass(frozen=True)
class Problem:
    """What the client is told about a failure."""

    status: int
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


_ENGINE_STATUS: tuple[tuple[type[EngineError], int], ...] = (
    (Rejected, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unavailable, 503),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "too_many_requests",
    431: "headers_too_large",
    503: "service_unavailable",
}

_HTTP_MESSAGES = {
    404: "no such endpoint; the list is at /api/docs",
    413: "request body is too large",
}

# The body was refused before it was read whole. If the connection stayed open, the client
# could go on streaming the rest of it, and aiohttp would have to read and discard all of it
# before the next request could be parsed.
_CLOSES_CONNECTION = frozenset({413})

_FRIENDLY = {"missing": "field required", "extra_forbidden": "unknown field"}


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validation_problem(exc: ValidationError) -> Problem:
    """422 ``invalid_field`` naming the first field at fault; the input is never echoed."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    reported = [
        {
            "field": clip(".".join(str(part) for part in error["loc"]), MAX_FIELD_CHARS),
            "message": clip(_FRIENDLY.get(error["type"], error["msg"]), MAX_MESSAGE_CHARS),
            "type": error["type"],
        }
        for error in errors[:MAX_REPORTED_ERRORS]
    ]
    first = reported[0] if reported else {"field": "", "message": "invalid request"}
    details: dict[str, Any] = {"field": first["field"], "errors": reported}
    if len(errors) > MAX_REPORTED_ERRORS:
        details["error_count"] = len(errors)
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return Problem(422, "invalid_field", message, details)


def http_problem(exc: web.HTTPException) -> Problem:
    """An aiohttp exception (routing, body size, …) as an envelope problem."""
    headers: dict[str, str] = {}
    details: dict[str, Any] = {}
    message = _HTTP_MESSAGES.get(exc.status, exc.reason)
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = sorted(exc.allowed_methods)
        headers["Allow"] = ", ".join(allowed)
        details["allowed"] = allowed
        message = f"method {exc.method} not allowed here; allowed: {', '.join(allowed)}"
    code = _HTTP_CODES.get(exc.status, "internal_error" if exc.status >= 500 else "bad_request")
    return Problem(exc.status, code, message, details, headers)


def problem_for(exc: BaseException) -> Problem | None:
    """The client-facing problem for ``exc``, or None when it is unexpected (a 500)."""
    if isinstance(exc, ApiError):
        return Problem(exc.status, exc.code, exc.message, exc.details, exc.headers)
    if isinstance(exc, ValidationError):
        return validation_problem(exc)
    if isinstance(exc, web.HTTPException):
        return http_problem(exc)
    if isinstance(exc, EngineError):
        for kind, status in _ENGINE_STATUS:
            if isinstance(exc, kind):
                return Problem(status, exc.code, exc.message, exc.details)
    return None


def response_for(exc: BaseException, request_id: str) -> web.Response:
    """The envelope response for ``exc``; unexpected ones are logged, never described."""
    problem = problem_for(exc)
    if problem is None:
        log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
        return error_response(
            500,
            "internal_error",
            f"internal error; quote request id {request_id} when reporting it",
            request_id=request_id,
        )
    response = error_response(
        problem.status,
        problem.code,
        problem.message,
        problem.details,
        request_id=request_id,
        headers=problem.headers,
    )
    if problem.status in _CLOSES_CONNECTION:
        response.force_close()
    return response
