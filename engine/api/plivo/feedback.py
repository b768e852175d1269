"""Plivo's call quality feedback, and an account-wide report of it (beyond Plivo).

* ``POST /v1/Call/{call_uuid}/Feedback/`` (Plivo's path, on the stats host in Plivo;
  here on the same server): ``rating``, ``issues``, ``notes``/``Notes``; ``201
  {"message": "Feedback has been posted", "api_id": …, "status": "success"}`` as Plivo's
  current documentation gives it (the seed's older example showed 200 "Posted").
* ``GET /v1/Account/{auth_id}/Feedback/?from=&to=``: feedback count, mean rating and the
  count of each issue, for feedback posted in the period (``from``/``to``: YYYY-MM-DD, or a
  date and time; UTC).

HTTP Basic auth (user = account id, password = its token) and bodies read by the façade's
``access`` helpers. Errors in Plivo's shape,
``{"api_id": …, "error": …}``: 400 (unreadable body), 401, 404 ("Please check the Call
UUID": unknown call, another account's, or one still in progress), 422 (rating, issues,
notes, with Plivo's messages).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from aiohttp import web

from engine.api.auth import Authenticator
from engine.api.plivo.access import basic_account, read_params
from engine.api.plivo.shape import PlivoProblem, new_api_id, plivo_errors, plivo_json
from engine.api.routes import RouteSpec
from engine.domain.errors import InvalidField
from engine.domain.feedback import parse_feedback, parse_report_range
from engine.services.feedback import FeedbackService

log = logging.getLogger(__name__)

__all__ = ["FeedbackResources"]

POSTED = "Feedback has been posted"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def unprocessable(handler: Handler) -> Handler:
    """Validation failures are 422 with Plivo's own message (``Rating has to be …``)."""

    @wraps(handler)
    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except InvalidField as exc:
            raise PlivoProblem(422, exc.message) from None

    return answer


def _notes(params: Mapping[str, Any]) -> object:
    # Plivo's docs name the field "Notes"; its SDKs send "notes".
    return params["notes"] if "notes" in params else params.get("Notes")


# ---- the resources ----------------------------------------------------------------------


class FeedbackResources:
    """The feedback routes (a ResourceGroup for ``build_app``)."""

    def __init__(self, feedback: FeedbackService, authenticator: Authenticator) -> None:
        self._feedback = feedback
        self._authenticator = authenticator

    def routes(self) -> Sequence[RouteSpec]:
        post = plivo_errors(unprocessable(self.post))
        report = plivo_errors(unprocessable(self.report))
        return (
            RouteSpec("POST", "/v1/Call/{call_uuid}/Feedback/", post,
                      "Post call quality feedback (Plivo)", tag="plivo",
                      description="HTTP Basic auth. rating 1-5 (\"3\", \"3.0\", 4.5); issues "
                      "(list or comma-separated) required when rating < 5; notes optional "
                      "(at most 1000 characters). Only calls that ended. 201 in Plivo's "
                      "shape.",
                      example={"rating": "3", "issues": "ECHO", "notes": "intermittent"}),
            RouteSpec("POST", "/v1/Call/{call_uuid}/Feedback", post,
                      "Post call quality feedback (Plivo)", in_schema=False),
            RouteSpec("GET", "/v1/Account/{auth_id}/Feedback/", report,
                      "Feedback report of the account", tag="plivo",
                      description="HTTP Basic auth. ?from=YYYY-MM-DD&to=YYYY-MM-DD (both "
                      "optional, UTC, to inclusive): feedback_count, mean_rating and the "
                      "count of each issue among the feedback posted in that period."),
            RouteSpec("GET", "/v1/Account/{auth_id}/Feedback", report,
                      "Feedback report of the account", in_schema=False),
        )

    async def post(self, request: web.Request) -> web.Response:
        account_id = (await basic_account(request, self._authenticator)).account_id
        call_uuid = request.match_info["call_uuid"]
        params = await read_params(request)
        body_uuid = params.get("call_uuid")
        if isinstance(body_uuid, str) and body_uuid.strip() and \
                body_uuid.strip().lower() != call_uuid.strip().lower():
            raise PlivoProblem(400, "call_uuid in the body does not match the one in the URL")
        feedback = parse_feedback(params.get("rating"), params.get("issues"), _notes(params))
        record = await self._feedback.post(account_id, call_uuid, feedback)
        log.info("call feedback posted", extra={"request_id": record.request_id,
                                                "rating": feedback.rating})
        return plivo_json({"message": POSTED, "api_id": record.api_id, "status": "success"},
                          201)

    async def report(self, request: web.Request) -> web.Response:
        # basic_account also refuses a path naming another account than the login (401).
        account_id = (await basic_account(request, self._authenticator)).account_id
        start, end = parse_report_range(request.query.get("from"), request.query.get("to"))
        summary = await self._feedback.report(account_id, start, end)
        return plivo_json({
            "api_id": new_api_id(),
            "account": account_id,
            "from": None if start is None else start.isoformat(),
            "to": None if end is None else end.isoformat(),
            **summary.view(),
        })
