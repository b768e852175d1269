"""The façade's middlewares, outermost first: context, errors, header budget, draining, auth.

Order matters: the request context wraps everything so that every answer (errors included)
carries ``X-Request-Id`` and is access-logged with its final status; error mapping sits
inside it so that refusals raised by draining and auth become envelopes too.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Collection

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from engine.api.auth import (
    ACCOUNT_HEADER,
    ACCOUNT_KEY,
    AUTH_HEADER,
    Authenticator,
    basic_login,
)
from engine.api.deps import ApiDeps, DrainingFlag
from engine.api.errors import HeadersTooLarge, ShuttingDown, Unauthorized, response_for
from engine.api.plivo.shape import is_plivo_path, plivo_problem
from engine.logs import account_var, request_id_var

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_KEY = web.RequestKey("request_id", str)
API_PREFIX = "/api/"
UNAUTHORIZED_MESSAGE = "missing or wrong 'account'/'auth' headers"
CLIENT_GONE = 499

access_log = logging.getLogger("engine.api.access")


def new_http_request_id() -> str:
    """12 hex characters: one HTTP request, distinct in shape from a call's 10-hex request_id."""
    return secrets.token_hex(6)


def is_api_path(path: str) -> bool:
    """True for ``/api`` and everything under ``/api/``."""
    return path == API_PREFIX.rstrip("/") or path.startswith(API_PREFIX)


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id (client ids are ignored), log one access line, clean up."""
    request_id = new_http_request_id()
    request[REQUEST_ID_KEY] = request_id
    id_token = request_id_var.set(request_id)
    account_token = account_var.set(None)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:  # a redirect let through by map_errors
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    except asyncio.CancelledError:
        status = CLIENT_GONE
        raise
    finally:
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        account_var.reset(account_token)
        request_id_var.reset(id_token)


@web.middleware
async def map_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every exception (aiohttp's own included) into the error envelope; under
    ``/v1/`` (the Plivo-compatible façade) into Plivo's ``{"api_id", "error"}`` instead."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error_response(request, exc)
    except Exception as exc:
        return _error_response(request, exc)


def _error_response(request: web.Request, exc: BaseException) -> web.Response:
    if is_plivo_path(request.path):
        return plivo_problem(exc, request[REQUEST_ID_KEY])
    return response_for(exc, request[REQUEST_ID_KEY])


def header_bytes(request: web.BaseRequest) -> int:
    """The size of the request's headers as sent: ``name: value`` plus CRLF, for each one."""
    return sum(len(name) + len(value) + 4 for name, value in request.raw_headers)


def limit_header_bytes(max_bytes: int) -> Middleware:
    """431 ``headers_too_large`` when the headers together are over ``max_bytes``.

    aiohttp's parser only bounds each header and how many there are (see
    ``engine.api.server``). This bound on the total runs before authentication, so oversized
    credentials never reach the account lookup.
    """

    @web.middleware
    async def header_budget(request: web.Request, handler: Handler) -> web.StreamResponse:
        if header_bytes(request) > max_bytes:
            raise HeadersTooLarge(
                f"request headers are over the limit of {max_bytes} bytes",
                details={"max_bytes": max_bytes},
            )
        return await handler(request)

    return header_budget


def refuse_while_draining(lifecycle: DrainingFlag) -> Middleware:
    """503 ``shutting_down`` for every /api and /v1 request once draining (health checks
    still answer)."""

    @web.middleware
    async def draining_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if lifecycle.draining and (is_api_path(request.path) or is_plivo_path(request.path)):
            raise ShuttingDown("the engine is shutting down; retry shortly")
        return await handler(request)

    return draining_guard


def require_account(
    authenticator: Authenticator, public_routes: Collection[web.AbstractRoute]
) -> Middleware:
    """401 unless the ``account``/``auth`` headers name a valid account, on /api paths.

    Routes in ``public_routes`` (declared ``auth=False``) are let through. Unknown /api paths
    need credentials too, so the 404/405 answers do not tell strangers what exists.
    """

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_api_path(request.path) or request.match_info.route in public_routes:
            return await handler(request)
        account_id = request.headers.get(ACCOUNT_HEADER, "")
        token = request.headers.get(AUTH_HEADER, "")
        if not account_id and not token:
            # HTTP Basic (account : token) works too, so a Plivo application can fetch the
            # RecordUrl it was given with the credentials it already uses.
            account_id, token = _basic_credentials(request)
        account = None
        if account_id and token:
            account = await authenticator.authenticate(account_id, token)
        if account is None:
            raise Unauthorized(UNAUTHORIZED_MESSAGE)
        request[ACCOUNT_KEY] = account
        account_var.set(account.account_id)  # reset by request_context
        return await handler(request)

    return authenticate


def _basic_credentials(request: web.Request) -> tuple[str, str]:
    return basic_login(request.headers.get(hdrs.AUTHORIZATION, "")) or ("", "")


def build_middlewares(
    deps: ApiDeps, public_routes: Collection[web.AbstractRoute]
) -> list[Middleware]:
    """The middleware chain in its required order (outermost first)."""
    return [
        request_context,
        map_errors,
        limit_header_bytes(deps.max_header_bytes),
        refuse_while_draining(deps.lifecycle),
        require_account(deps.authenticator, public_routes),
    ]
