"""Plivo's Call resources: make a call, look calls up, and act on live ones.

Every route is HTTP Basic authenticated (``access.basic_account``) and answers in Plivo's
shapes; paths take Plivo's trailing slash, and work without it too. The handlers only
translate: validation and every decision are ``PlivoCallService``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from engine.api.auth import Authenticator
from engine.api.plivo.access import basic_account, read_params
from engine.api.plivo.shape import Handler, PlivoProblem, plivo_errors, plivo_json
from engine.api.plivo.views import call_record_view, live_call_view, queued_call_view
from engine.api.routes import RouteSpec
from engine.domain.accounts import Account
from engine.domain.call import CallState
from engine.services.plivo_calls import PlivoCallService
from engine.store.feedback import FeedbackRecord

ACCOUNT = "/v1/Account/{auth_id}"
CALLS = f"{ACCOUNT}/Call"
CALL = f"{CALLS}/{{call_uuid}}"
NOT_FOUND = "call not found"

MAKE_CALL_EXAMPLE = {
    "from": "+14152224444", "to": "+14152223333",
    "answer_url": "https://example.com/answer.xml", "answer_method": "GET",
    "ring_url": "https://example.com/ring", "hangup_url": "https://example.com/hangup",
    "fallback_url": "https://example.com/fallback.xml", "caller_name": "friendly_name",
    "send_digits": "1w2W3", "send_on_preanswer": "true", "time_limit": "300",
}


class Deliveries(Protocol):
    """The webhook delivery log of a call (``store.webhooks.WebhookRepository`` fits: its
    rows are dataclasses; mappings work too)."""

    async def deliveries(self, account_id: str, request_id: str) -> Sequence[Any]: ...


def json_safe(value: Any) -> Any:
    """A delivery row (dataclass or mapping, with times and tuples) as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items() if k != "account_id"}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class FeedbackLookup(Protocol):
    """The newest quality feedback of a call (``FeedbackService`` fits)."""

    async def latest(self, account_id: str, request_id: str) -> FeedbackRecord | None: ...


def both_slashes(method: str, path: str, handler: Handler, summary: str,
                 **options: Any) -> tuple[RouteSpec, RouteSpec]:
    """Plivo's path (with its trailing slash) and the same path without it."""
    return (RouteSpec(method, f"{path}/", handler, summary, tag="plivo", **options),
            RouteSpec(method, path, handler, summary, tag="plivo", in_schema=False))


class PlivoCallResources:
    """The Call API routes (a ResourceGroup for ``build_app``)."""

    def __init__(self, calls: PlivoCallService, authenticator: Authenticator, *,
                 deliveries: Deliveries | None = None,
                 feedback: FeedbackLookup | None = None) -> None:
        self._calls = calls
        self._authenticator = authenticator
        self._deliveries = deliveries
        self._feedback = feedback

    def routes(self) -> Sequence[RouteSpec]:
        h = plivo_errors
        auth = " HTTP Basic auth (auth_id : token). Plivo's parameters and answers."
        routes = [
            *both_slashes("POST", CALLS, h(self.make), "Make a call (Plivo)",
                          description="One call per destination of `to` (bulk: a<b<c), "
                          "fired (201) or queued under the account's limits (200)." + auth,
                          example=MAKE_CALL_EXAMPLE),
            *both_slashes("GET", CALLS, h(self.list_live), "List live calls (Plivo)",
                          description="?status=live: the ids of the account's live "
                          "calls." + auth),
            *both_slashes("GET", CALL, h(self.details), "Call details (Plivo)",
                          description="A live call (?status=live), a queued one "
                          "(?status=queued), or the record of an ended one." + auth),
            *both_slashes("POST", CALL, h(self.transfer), "Transfer a live call (Plivo)",
                          description="legs=aleg, aleg_url, aleg_method: the document at "
                          "aleg_url replaces the call's program." + auth,
                          example={"legs": "aleg", "aleg_url": "https://example.com/x.xml"}),
            *both_slashes("DELETE", CALL, h(self.hang_up), "Hang up a call (Plivo)",
                          description="Hangs a live call up, or drops a queued one." + auth),
            *both_slashes("DELETE", f"{ACCOUNT}/Request/{{call_uuid}}", h(self.hang_up),
                          "Cancel a queued or ringing call (Plivo)"),
            *both_slashes("POST", f"{CALL}/Play", h(self.play), "Play audio on a call",
                          description="urls (comma-separated http(s) URLs), loop." + auth,
                          example={"urls": "https://example.com/music.wav"}),
            *both_slashes("DELETE", f"{CALL}/Play", h(self.stop_play), "Stop playing audio"),
            *both_slashes("POST", f"{CALL}/Speak", h(self.speak), "Speak text on a call",
                          description="text, voice (WOMAN, MAN or a Polly name), language, "
                          "loop." + auth, example={"text": "Hello", "voice": "WOMAN"}),
            *both_slashes("DELETE", f"{CALL}/Speak", h(self.stop_speak), "Stop speaking"),
            *both_slashes("POST", f"{CALL}/DTMF", h(self.dtmf), "Send digits on a call",
                          description="digits: 0-9, *, #, A-D, w, W." + auth,
                          example={"digits": "123#"}),
            *both_slashes("POST", f"{CALL}/Record", h(self.record), "Record a call",
                          description="Records the call (WAV) until stopped or it ends; "
                          "the recording is at /api/recordings/{recording_id}." + auth),
            *both_slashes("DELETE", f"{CALL}/Record", h(self.stop_record), "Stop recording"),
        ]
        if self._deliveries is not None:
            routes.extend(both_slashes(
                "GET", f"{CALL}/Webhooks", h(self.webhooks),
                "The call's webhook deliveries (beyond Plivo)",
                description="Every request the engine made to the application's URLs for "
                "this call: URL, attempts, status, timing." + auth))
        return routes

    async def _account(self, request: web.Request) -> Account:
        return await basic_account(request, self._authenticator)

    # ---- making and listing --------------------------------------------------------------

    async def make(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        made = await self._calls.make(account, await read_params(request))
        ids: str | list[str] = (list(made.request_uuids) if len(made.request_uuids) > 1
                                else made.request_uuids[0])
        if made.queued:
            return plivo_json({"message": "call queued", "request_uuid": ids}, 200)
        return plivo_json({"message": "call fired", "request_uuid": ids}, 201)

    async def list_live(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        status = request.query.get("status", "").strip().lower()
        if status != "live":
            raise PlivoProblem(400, "only ?status=live is supported: call records are in "
                               "the CDR API (/api/cdrs_by_date)")
        return plivo_json({"calls": [c.request_id for c in self._calls.live_calls(account)]})

    # ---- one call -------------------------------------------------------------------------

    async def details(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        uuid = request.match_info["call_uuid"]
        status = request.query.get("status", "").strip().lower()
        if status not in ("", "live", "queued"):
            raise PlivoProblem(400, "status must be live or queued")
        if status in ("", "live"):
            live = self._calls.live_call(account, uuid)
            if live is not None:
                return plivo_json(live_call_view(live))
        if status in ("", "queued") and await self._calls.is_queued(account, uuid):
            return plivo_json(queued_call_view(account.account_id, uuid.strip().lower()))
        if status == "":
            stored = await self._calls.stored_call(account, uuid)
            if stored is not None and stored.state is CallState.ENDED:
                view = call_record_view(account.account_id, stored)
                if self._feedback is not None:
                    view["feedback"] = await self._feedback_of(account, stored.request_id)
                return plivo_json(view)
            if stored is not None:  # live on another engine: as last saved
                return plivo_json(live_call_view(stored))
        raise PlivoProblem(404, NOT_FOUND)

    async def _feedback_of(self, account: Account, request_id: str) -> Any:
        assert self._feedback is not None
        record = await self._feedback.latest(account.account_id, request_id)
        if record is None:
            return None
        return {"rating": record.feedback.rating, "issues": list(record.feedback.issues),
                "notes": record.feedback.notes, "posted_at": record.created_at.isoformat()}

    async def hang_up(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.hang_up(account, request.match_info["call_uuid"])
        return web.Response(status=204)

    async def transfer(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.transfer(account, request.match_info["call_uuid"],
                                   await read_params(request))
        return plivo_json({"message": "call transferred"}, 202)

    async def play(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.play(account, request.match_info["call_uuid"],
                               await read_params(request))
        return plivo_json({"message": "play started"}, 202)

    async def stop_play(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.stop(account, request.match_info["call_uuid"], "play")
        return web.Response(status=204)

    async def speak(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.speak(account, request.match_info["call_uuid"],
                                await read_params(request))
        return plivo_json({"message": "speak started"}, 202)

    async def stop_speak(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.stop(account, request.match_info["call_uuid"], "speak")
        return web.Response(status=204)

    async def dtmf(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.send_digits(account, request.match_info["call_uuid"],
                                      await read_params(request))
        return plivo_json({"message": "digits sent"}, 202)

    async def record(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        name = await self._calls.record(account, request.match_info["call_uuid"],
                                        await read_params(request))
        address = f"{request.scheme}://{request.host}/api/recordings/{name}.wav"
        return plivo_json({"message": "call recording started", "recording_id": name,
                           "url": address}, 202)

    async def stop_record(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._calls.stop(account, request.match_info["call_uuid"], "record")
        return web.Response(status=204)

    async def webhooks(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        uuid = request.match_info["call_uuid"].strip().lower()
        known = (self._calls.live_call(account, uuid) is not None
                 or await self._calls.stored_call(account, uuid) is not None)
        if not known or self._deliveries is None:
            raise PlivoProblem(404, NOT_FOUND)
        rows = await self._deliveries.deliveries(account.account_id, uuid)
        return plivo_json({"call_uuid": uuid, "deliveries": [json_safe(row) for row in rows]})
