"""Plivo's multi-party call API (PHLO runner paths), with the routes that make one exist.

``POST /v1/phlo/{phlo_id}/multi_party_call/{node_id}`` and ``…/members/{member_id}`` are
Plivo's own (the seed's body and answer, ``{"api_id": …, "error": ""}``). Plivo builds a
PHLO in its console; here ``POST /v1/phlo/`` makes one with a multi-party call node, and
``GET``/``DELETE`` look at and remove it. Every route takes HTTP Basic auth (auth_id :
token); another account's phlo answers 404 like a missing one. The handlers only
translate: ``MultipartyService`` decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from engine.api.auth import Authenticator
from engine.api.plivo.access import basic_account, read_params
from engine.api.plivo.calls import both_slashes
from engine.api.plivo.shape import plivo_errors, plivo_json
from engine.api.routes import RouteSpec
from engine.domain.accounts import Account
from engine.domain.multiparty.members import Member
from engine.services.multiparty import MultipartyDetails, MultipartyService
from engine.store.multiparty import MultipartyRecord

PHLOS = "/v1/phlo"
PHLO = f"{PHLOS}/{{phlo_id}}"
NODE = f"{PHLO}/multi_party_call/{{node_id}}"
MEMBER = f"{NODE}/members/{{member_id}}"
RECORDING = f"{NODE}/recordings/{{name}}"
NODE_TYPE = "multi_party_call"

ADD_EXAMPLE = {"action": "call", "to": "+14152225555", "role": "agent",
               "trigger_source": "+14152223333"}


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def node_view(record: MultipartyRecord) -> dict[str, Any]:
    return {"phlo_id": record.phlo_id, "node_id": record.node_id, "node_type": NODE_TYPE,
            "name": record.name, "caller_id": f"+{record.caller_id}", "record": record.record,
            "created_on": _time(record.created_at)}


def member_view(member: Member) -> dict[str, Any]:
    return {"member_id": member.address, "address": member.address,
            "role": member.role.value, "state": member.state.value,
            "call_uuid": member.request_id, "joined_at": _time(member.joined_at),
            "left_at": _time(member.left_at), "created_at": _time(member.created_at)}


def details_view(details: MultipartyDetails, base: str) -> dict[str, Any]:
    record = details.record
    return {**node_view(record),
            "members": [member_view(m) for m in details.members],
            "recordings": [f"{base}/{record.node_id}/recordings/{name}.wav"
                           for name in record.recordings]}


class MultipartyResources:
    """The PHLO multi-party call routes (a ResourceGroup for ``build_app``)."""

    def __init__(self, service: MultipartyService, authenticator: Authenticator) -> None:
        self._service = service
        self._authenticator = authenticator

    def routes(self) -> Sequence[RouteSpec]:
        h = plivo_errors
        auth = " HTTP Basic auth (auth_id : token)."
        return [
            *both_slashes("POST", PHLOS, h(self.create),
                          "Create a multi-party call (beyond Plivo)",
                          description="Makes a phlo with one multi_party_call node: name, "
                          "caller_id (the number members see), record (true: the whole "
                          "call is recorded)." + auth,
                          example={"name": "support", "caller_id": "+14152223333",
                                   "record": "false"}),
            *both_slashes("GET", PHLOS, h(self.listing), "List multi-party calls",
                          description="The account's multi-party call nodes, newest "
                          "first; limit (≤ 100), offset." + auth),
            *both_slashes("GET", PHLO, h(self.phlo), "A phlo and its nodes",
                          description="What Plivo's SDK fetches first." + auth),
            *both_slashes("GET", NODE, h(self.details), "A multi-party call and members",
                          description="Members: address, role, state (ringing, "
                          "connected, on hold, left), join and leave times, call_uuid "
                          "(its CDR)." + auth),
            *both_slashes("POST", NODE, h(self.add_member), "Add a member (Plivo)",
                          description="action=call: dials `to` (a number, or "
                          "sip:<extension> of an agent) and adds it with `role` once it "
                          "answers; trigger_source must be a connected agent (the first "
                          "member excepted)." + auth, example=ADD_EXAMPLE),
            *both_slashes("DELETE", NODE, h(self.delete), "Delete a multi-party call",
                          description="Refused (409) while it has live members." + auth),
            *both_slashes("POST", MEMBER, h(self.member_action), "Act on a member (Plivo)",
                          description="action: hold, unhold, hangup, cold_transfer / "
                          "warm_transfer (with `to`), abort_transfer." + auth,
                          example={"action": "hold"}),
            *both_slashes("GET", RECORDING, h(self.recording),
                          "A multi-party call recording (WAV)"),
        ]

    async def _account(self, request: web.Request) -> Account:
        return await basic_account(request, self._authenticator)

    async def create(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        record = await self._service.create(account, await read_params(request))
        return plivo_json({"message": "multi-party call created", **node_view(record)}, 201)

    async def listing(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        records = await self._service.listing(account, await read_params(request))
        return plivo_json({"objects": [node_view(r) for r in records]})

    async def phlo(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        nodes = await self._service.phlo(account, request.match_info["phlo_id"])
        first = nodes[0]
        return plivo_json({"phlo_id": first.phlo_id, "name": first.name,
                           "created_on": _time(first.created_at),
                           "nodes": [node_view(n) for n in nodes]})

    async def details(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        phlo_id, node_id = request.match_info["phlo_id"], request.match_info["node_id"]
        details = await self._service.details(account, phlo_id, node_id)
        base = f"{request.scheme}://{request.host}{PHLOS}/{details.record.phlo_id}/{NODE_TYPE}"
        return plivo_json(details_view(details, base))

    async def add_member(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._service.add_member(account, request.match_info["phlo_id"],
                                       request.match_info["node_id"],
                                       await read_params(request))
        return plivo_json({"error": ""})

    async def delete(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._service.delete(account, request.match_info["phlo_id"],
                                   request.match_info["node_id"])
        return web.Response(status=204)

    async def member_action(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        await self._service.member_action(
            account, request.match_info["phlo_id"], request.match_info["node_id"],
            request.match_info["member_id"], await read_params(request))
        return plivo_json({"error": ""})

    async def recording(self, request: web.Request) -> web.StreamResponse:
        account = await self._account(request)
        path = await self._service.recording_path(
            account, request.match_info["phlo_id"], request.match_info["node_id"],
            request.match_info["name"])
        return web.FileResponse(path, headers={"Content-Type": "audio/wav"})
