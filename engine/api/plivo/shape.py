"""Plivo's answer shapes: ``{"api_id": …, "error": "…"}`` for every refusal, JSON otherwise.

``plivo_errors`` wraps a handler so that its refusals (``PlivoProblem``, the engine's
errors) are answered in Plivo's shape, never the seed's envelope; ``plivo_problem`` does the
same for whatever reaches the façade's error middleware on a Plivo path (unknown path 404,
wrong method 405, body too large 413, an unexpected error 500 without details).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any

from aiohttp import web

from engine.api.envelope import json_response
from engine.api.errors import ApiError
from engine.domain.errors import (
    Conflict,
    EngineError,
    InvalidField,
    NotFound,
    Rejected,
    TooManyRequests,
    Unavailable,
)

log = logging.getLogger(__name__)

PLIVO_PREFIX = "/v1/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_ENGINE_STATUS: tuple[tuple[type[EngineError], int], ...] = (
    (Rejected, 400),
    (NotFound, 404),
    (Conflict, 409),
    (TooManyRequests, 429),
    (Unavailable, 503),
)


class PlivoProblem(Exception):
    """A refusal answered as ``{"api_id": …, "error": message}`` with ``status``."""

    def __init__(self, status: int, message: str,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def is_plivo_path(path: str) -> bool:
    """The Plivo-compatible façade lives under ``/v1/``."""
    return path.startswith(PLIVO_PREFIX)


def new_api_id() -> str:
    """Identifies one API answer, as Plivo's ``api_id`` (a UUID)."""
    return str(uuid.uuid4())


def plivo_json(body: Mapping[str, Any], status: int = 200,
               headers: Mapping[str, str] | None = None) -> web.Response:
    """A Plivo answer; ``api_id`` is added when the body has none."""
    return json_response({"api_id": new_api_id(), **body}, status, headers)


def plivo_error(status: int, message: str, headers: Mapping[str, str] | None = None,
                **extra: Any) -> web.Response:
    """``{"api_id": …, "error": message, **extra}`` with ``status``."""
    return json_response({"api_id": new_api_id(), "error": message, **extra}, status, headers)


def engine_status(exc: EngineError) -> int:
    for kind, status in _ENGINE_STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def message_of(exc: EngineError) -> str:
    """The error's message, naming the parameter at fault first when it does not."""
    if isinstance(exc, InvalidField) and not exc.message.startswith(exc.field):
        return f"{exc.field}: {exc.message}"
    return exc.message


def plivo_problem(exc: BaseException, request_id: str) -> web.Response:
    """Any exception as a Plivo error answer (the error middleware's, on /v1/ paths)."""
    if isinstance(exc, PlivoProblem):
        return plivo_error(exc.status, exc.message, exc.headers)
    if isinstance(exc, EngineError):
        return plivo_error(engine_status(exc), message_of(exc))
    if isinstance(exc, ApiError):  # the façade's own refusals: draining, header budget, …
        response = plivo_error(exc.status, exc.message, exc.headers)
        if exc.status == 413:
            response.force_close()
        return response
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = sorted(exc.allowed_methods)
        return plivo_error(405, f"HTTP method {exc.method} is not allowed here; allowed: "
                           f"{', '.join(allowed)}", {"Allow": ", ".join(allowed)})
    if isinstance(exc, web.HTTPException):
        if exc.status == 404:
            return plivo_error(404, "Resource not found")
        response = plivo_error(exc.status, exc.reason)
        if exc.status == 413:
            response.force_close()
        return response
    log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    return plivo_error(500, f"internal error; quote request id {request_id} when reporting it")


def plivo_errors(handler: Handler) -> Handler:
    """Answer the handler's refusals in Plivo's shape."""

    @wraps(handler)
    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except PlivoProblem as exc:
            return plivo_error(exc.status, exc.message, exc.headers)
        except EngineError as exc:
            extra = {k: v for k, v in exc.details.items() if k == "request_uuid"}
            return plivo_error(engine_status(exc), message_of(exc), **extra)

    return answer
