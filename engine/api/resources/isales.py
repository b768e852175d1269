"""The iSales write-back over HTTP: ``POST /rest/isales/v1/openapi/obs/business/push/midresult``
(the seed's interface, with its own answers) and, under /api, the campaign's push delivery
log and a contact's history.

Answers under /rest/isales/ are the seed's: 200 ``{"result": 0}`` (or a non-zero business
result code), 400 malformed, 401 no or garbled ``Authorization: Bearer``, 403 a token of no
account, 404 an unknown path, 405 another method, 413 a body over ``MAX_BODY_BYTES``;
every error as ``{"result": <status>, "code": …, "message": …[, "field": …]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from engine.api.auth import current_account
from engine.api.body import parse_json_object
from engine.api.envelope import ok
from engine.api.errors import ApiError
from engine.api.plivo.calls import json_safe
from engine.api.routes import METHODS, RouteSpec
from engine.domain.accounts import Account
from engine.domain.isales import (
    RESULT_OK,
    RESULT_UNKNOWN_CONTACT,
    RESULT_UNKNOWN_TASK,
    BodyError,
    parse_midresult,
)
from engine.services.isales import BearerAccounts, IsalesService
from engine.store.isales import ContactHistory

log = logging.getLogger(__name__)

PREFIX = "/rest/isales"
MIDRESULT = f"{PREFIX}/v1/openapi/obs/business/push/midresult"
MAX_BODY_BYTES = 16 * 1024
RESULT_MESSAGES = {RESULT_OK: "", RESULT_UNKNOWN_TASK: "unknown task: serviceId names no campaign",
                   RESULT_UNKNOWN_CONTACT: "unknown contact: uniqueId names no contact of "
                   "the campaign"}
EXAMPLE = {"subCCNo": 1, "vdnId": 88, "uniqueId": "21713676089219765504",
           "serviceId": "CM7b1b0f4c2f", "status": "success", "deviceType": 2,
           "phoneNumber": "88889156", "failCode": "", "asrResult": "", "fetchTime": "",
           "writeStartTime": "", "endCallTime": "", "callId": ""}


class IsalesProblem(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def problem_response(problem: IsalesProblem) -> web.Response:
    body: dict[str, Any] = {"result": problem.status, "code": problem.code,
                            "message": problem.message}
    if problem.field is not None:
        body["field"] = problem.field
    headers = {"Allow": "POST"} if problem.status == 405 else None
    return web.json_response(body, status=problem.status, headers=headers)


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (401 otherwise)."""
    if header is None or not header.strip():
        raise IsalesProblem(401, "unauthenticated", "send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        raise IsalesProblem(401, "unauthenticated",
                            "the Authorization header is not 'Bearer <token>'")
    return token


async def read_bounded(request: web.Request, limit: int) -> bytes:
    too_large = IsalesProblem(413, "body_too_large", f"the body is over {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    body = bytearray()
    while chunk := await request.content.read(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def history_view(h: ContactHistory) -> dict[str, Any]:
    return {
        "unique_id": h.unique_id, "contact_number": h.number, "contact_name": h.name,
        "state": h.state, "attempts": h.attempts, "last_status": h.last_status,
        "result_status": h.result_status, "result_final": h.result_final,
        "result_at": h.result_at.isoformat() if h.result_at else None,
        "attempt_log": json_safe(list(h.attempt_log)),
        "results": json_safe(list(h.results)),
        "writebacks": json_safe(list(h.pushes)),
    }


class IsalesResources:
    def __init__(self, bearers: BearerAccounts, isales: IsalesService) -> None:
        self._bearers = bearers
        self._isales = isales

    def routes(self) -> Sequence[RouteSpec]:
        unknown = [RouteSpec(method, f"{PREFIX}/{{tail:.*}}", self.unknown,
                             "Unknown iSales path", auth=False, in_schema=False)
                   for method in sorted(METHODS)]
        return (
            RouteSpec("POST", MIDRESULT, self.midresult,
                      "Write back an outbound result (iSales)", auth=False, tag="isales",
                      example=EXAMPLE,
                      description="Authorization: Bearer <an account's API token>. "
                      "serviceId: a campaign id (CM…) or its isales_service_id; uniqueId: "
                      "a contact's unique_id (or contact id). Answers {\"result\": 0}."),
            RouteSpec("GET", "/api/campaigns/{campaign_id}/writebacks", self.pushes,
                      "The campaign's iSales pushes, with every delivery attempt"),
            RouteSpec("GET", "/api/campaigns/{campaign_id}/contacts/{unique_id}",
                      self.history,
                      "A campaign contact's attempts, written-back results and pushes"),
            *unknown,
        )

    async def midresult(self, request: web.Request) -> web.Response:
        try:
            account = await self._authenticate(request)
            raw = await read_bounded(request, MAX_BODY_BYTES)
            try:
                result = parse_midresult(parse_json_object(raw))
            except ApiError as exc:
                raise IsalesProblem(400, "malformed_json", exc.message) from None
            except BodyError as exc:
                raise IsalesProblem(400, "invalid_field", exc.message, exc.field) from None
            code = await self._isales.write_back(account, result)
        except IsalesProblem as problem:
            return problem_response(problem)
        except Exception as exc:  # the database away: never a traceback
            log.warning("isales write-back failed", extra={"error": type(exc).__name__})
            return problem_response(IsalesProblem(503, "service_unavailable",
                                                  "the engine cannot take results now; "
                                                  "retry"))
        body: dict[str, Any] = {"result": code}
        if code != RESULT_OK:
            body["message"] = RESULT_MESSAGES.get(code, "")
        return web.json_response(body)

    async def _authenticate(self, request: web.Request) -> Account:
        token = bearer_token(request.headers.get("Authorization"))
        account = await self._bearers.authenticate(token)
        if account is None:
            raise IsalesProblem(403, "forbidden", "the token is no account's API token")
        return account

    async def unknown(self, request: web.Request) -> web.Response:
        if request.path == MIDRESULT:
            return problem_response(IsalesProblem(405, "method_not_allowed",
                                                  "use POST"))
        return problem_response(IsalesProblem(404, "not_found",
                                              "no such iSales interface; check the path"))

    async def pushes(self, request: web.Request) -> web.Response:
        rows = await self._isales.pushes(current_account(request),
                                         request.match_info["campaign_id"])
        return ok({"message": "write-back deliveries", "result": json_safe(rows)})

    async def history(self, request: web.Request) -> web.Response:
        found = await self._isales.history(current_account(request),
                                           request.match_info["campaign_id"],
                                           request.match_info["unique_id"])
        return ok({"message": "contact history", "result": history_view(found)})
