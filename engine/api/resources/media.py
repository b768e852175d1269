"""Recordings, transcripts and the inbound DID table."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from engine.api.auth import current_account
from engine.api.body import read_model
from engine.api.envelope import ok
from engine.api.resources.schemas import DidDeleteRequest, DidRequest, MessageResponse
from engine.api.routes import RouteSpec
from engine.services.inbound import InboundService
from engine.services.recordings import RecordingService
from engine.services.transcripts import TranscriptService


class MediaResources:
    def __init__(self, recordings: RecordingService, transcripts: TranscriptService,
                 inbound: InboundService) -> None:
        self._recordings = recordings
        self._transcripts = transcripts
        self._inbound = inbound

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("GET", "/api/recordings/{name}", self.recording,
                      "Download a recording (WAV) of one of the account's calls"),
            RouteSpec("GET", "/api/transcripts/{request_id}", self.transcript,
                      "A call's transcript: pending, done, or failed with the reason"),
            RouteSpec("POST", "/api/dids", self.route_did,
                      "Route an inbound DID to an agent extension", DidRequest,
                      MessageResponse, example={"did": "15551230001", "agent": "101"}),
            RouteSpec("GET", "/api/dids", self.list_dids, "The account's inbound DIDs"),
            RouteSpec("DELETE", "/api/dids", self.remove_did, "Stop routing a DID",
                      DidDeleteRequest, MessageResponse, example={"did": "15551230001"}),
        )

    async def recording(self, request: web.Request) -> web.StreamResponse:
        path = await self._recordings.path_for(current_account(request),
                                               request.match_info["name"])
        return web.FileResponse(path, headers={"Content-Type": "audio/wav"})

    async def transcript(self, request: web.Request) -> web.Response:
        view = await self._transcripts.get(current_account(request),
                                           request.match_info["request_id"])
        return ok({"request_id": view.request_id, "status": view.status,
                   "transcript": view.transcript, "reason": view.reason})

    async def route_did(self, request: web.Request) -> web.Response:
        body = await read_model(request, DidRequest)
        await self._inbound.route(current_account(request), body.did, body.agent)
        return ok({"message": "did routed successfully"})

    async def list_dids(self, request: web.Request) -> web.Response:
        dids = await self._inbound.list(current_account(request))
        return ok({"result": [{"did": d.did, "agent": d.agent} for d in dids]})

    async def remove_did(self, request: web.Request) -> web.Response:
        body = await read_model(request, DidDeleteRequest)
        await self._inbound.remove(current_account(request), body.did)
        return ok({"message": "did removed successfully"})
