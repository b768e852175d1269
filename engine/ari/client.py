"""Typed ARI REST client on aiohttp.

Every method maps to one ARI request and returns a model from :mod:`engine.ari.models`
(or nothing). Failures surface as the engine's own errors (see :mod:`engine.ari.errors`):
NotFound, Conflict, Rejected, Unavailable or TimedOut.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
from pydantic import TypeAdapter

from engine.ari.errors import ari_error_message, error_for_status, map_errors
from engine.ari.models import (
    Application,
    AriModel,
    AsteriskInfo,
    Bridge,
    Channel,
    LiveRecording,
    Playback,
    Variable,
)
from engine.ari.query import (
    HangupReason,
    IfExists,
    SnoopDirection,
    basic_auth_header,
    bridge_path,
    build_query,
    channel_path,
    join_list,
    path_segment,
)

_M = TypeVar("_M", bound=AriModel)
_CHANNELS = TypeAdapter(list[Channel])


class AriClient:
    """One Asterisk's ARI, for one Stasis application.

    ``session`` is shared with the rest of the daemon and owned by the caller;
    ``request_timeout`` bounds each request (connect + answer) in seconds.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        user: str,
        password: str,
        app: str,
        *,
        request_timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._api = base_url.rstrip("/") + "/ari"
        self._headers = basic_auth_header(user, password)
        self.app = app
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._subscription = f"/applications/{path_segment(app)}/subscription"

    # ---- plumbing -----------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer, or None for an empty one."""
        what = f"{method} {path}"
        with map_errors(what):
            async with self._session.request(
                method, self._api + path, params=params, json=body, headers=self._headers,
                timeout=self._timeout,
            ) as response:
                payload = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, ari_error_message(payload))
                return json.loads(payload) if payload else None

    async def _typed(
        self, model: type[_M], method: str, path: str,
        params: Mapping[str, str] | None = None, body: Mapping[str, Any] | None = None,
    ) -> _M:
        """Send one request and validate its answer as ``model``."""
        data = await self._request(method, path, params, body)
        with map_errors(f"{method} {path}"):
            return model.model_validate(data)

    @staticmethod
    def _variables_body(variables: Mapping[str, str] | None) -> dict[str, Any] | None:
        return {"variables": dict(variables)} if variables else None

    async def asterisk_info(self) -> AsteriskInfo:
        """``GET /asterisk/info``: version, build, config and status."""
        return await self._typed(AsteriskInfo, "GET", "/asterisk/info")

    # ---- channels -----------------------------------------------------------------------

    async def list_channels(self) -> list[Channel]:
        """``GET /channels``: every channel Asterisk has, in or out of Stasis."""
        data = await self._request("GET", "/channels")
        with map_errors("GET /channels"):
            return _CHANNELS.validate_python(data)

    async def get_channel(self, channel_id: str) -> Channel:
        """``GET /channels/{id}``; NotFound when it is gone."""
        return await self._typed(Channel, "GET", channel_path(channel_id))

    async def create_channel(
        self, endpoint: str, channel_id: str, app_args: str, *,
        variables: Mapping[str, str] | None = None, originator: str | None = None,
        formats: str | None = None,
    ) -> Channel:
        """``POST /channels/create``: a channel in this app, not dialled yet (see :meth:`dial`);
        until then it can be bridged or configured."""
        params = build_query(endpoint=endpoint, app=self.app, appArgs=app_args,
                             channelId=channel_id, originator=originator, formats=formats)
        return await self._typed(Channel, "POST", "/channels/create", params,
                                 self._variables_body(variables))

    async def dial(
        self, channel_id: str, caller: str | None = None, timeout: int | None = None
    ) -> None:
        """``POST /channels/{id}/dial``: place a channel made by :meth:`create_channel`."""
        await self._request("POST", channel_path(channel_id, "/dial"),
                            build_query(caller=caller, timeout=timeout))

    async def originate(
        self, endpoint: str, channel_id: str, app_args: str, *, caller_id: str | None = None,
        timeout: int | None = None, variables: Mapping[str, str] | None = None,
        originator: str | None = None, formats: str | None = None,
    ) -> Channel:
        """``POST /channels``: dial ``endpoint``; when it answers it enters this app.
        ``timeout`` is how long it may ring, in seconds (ARI's default is 30)."""
        params = build_query(endpoint=endpoint, app=self.app, appArgs=app_args,
                             channelId=channel_id, callerId=caller_id, timeout=timeout,
                             originator=originator, formats=formats)
        return await self._typed(Channel, "POST", "/channels", params,
                                 self._variables_body(variables))

    async def hangup(self, channel_id: str, reason: HangupReason = "normal") -> None:
        """``DELETE /channels/{id}``; ``reason`` becomes the hangup cause."""
        await self._request("DELETE", channel_path(channel_id), build_query(reason=reason))

    async def answer(self, channel_id: str) -> None:
        """``POST /channels/{id}/answer``."""
        await self._request("POST", channel_path(channel_id, "/answer"))

    async def ring(self, channel_id: str) -> None:
        """``POST /channels/{id}/ring``: send ringing to the caller."""
        await self._request("POST", channel_path(channel_id, "/ring"))

    async def stop_ringing(self, channel_id: str) -> None:
        """``DELETE /channels/{id}/ring``."""
        await self._request("DELETE", channel_path(channel_id, "/ring"))

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        """``POST /channels/{id}/moh``: music on hold (the class from musiconhold.conf)."""
        await self._request("POST", channel_path(channel_id, "/moh"),
                            build_query(mohClass=moh_class))

    async def stop_moh(self, channel_id: str) -> None:
        """``DELETE /channels/{id}/moh``."""
        await self._request("DELETE", channel_path(channel_id, "/moh"))

    async def play(
        self, channel_id: str, media: Sequence[str] | str, playback_id: str, *,
        lang: str | None = None,
    ) -> Playback:
        """``POST /channels/{id}/play/{playback_id}``: play one or more media URIs in order.

        Media are URIs such as ``sound:hello-world``, ``recording:name`` or ``tone:ring``.
        """
        path = f"/channels/{path_segment(channel_id)}/play/{path_segment(playback_id)}"
        return await self._typed(Playback, "POST", path,
                                 build_query(media=join_list(media), lang=lang))

    async def stop_playback(self, playback_id: str) -> None:
        """``DELETE /playbacks/{id}``."""
        await self._request("DELETE", f"/playbacks/{path_segment(playback_id)}")

    async def record_channel(
        self, channel_id: str, name: str, *, fmt: str = "wav", if_exists: IfExists = "fail",
        beep: bool = False, max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None, terminate_on: str | None = None,
    ) -> LiveRecording:
        """``POST /channels/{id}/record``. Conflict if the channel is in a bridge.

        ``terminate_on`` is ``none``, ``any``, ``*`` or ``#``."""
        params = build_query(name=name, format=fmt, ifExists=if_exists, beep=beep,
                             maxDurationSeconds=max_duration_seconds,
                             maxSilenceSeconds=max_silence_seconds, terminateOn=terminate_on)
        return await self._typed(LiveRecording, "POST",
                                 channel_path(channel_id, "/record"), params)

    async def snoop(
        self, channel_id: str, snoop_id: str, *, spy: SnoopDirection = "in",
        whisper: SnoopDirection = "none", app_args: str = "",
    ) -> Channel:
        """``POST /channels/{id}/snoop/{snoop_id}``: a new channel in this app that hears
        (``spy``) and/or speaks into (``whisper``) the snooped channel.

        Directions are Asterisk's: "in" is the audio Asterisk receives from the snooped
        channel (what its party says), "out" what Asterisk sends to it.
        """
        path = f"/channels/{path_segment(channel_id)}/snoop/{path_segment(snoop_id)}"
        params = build_query(spy=spy, whisper=whisper, app=self.app, appArgs=app_args)
        return await self._typed(Channel, "POST", path, params)

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int = 1
    ) -> None:
        """``POST /channels/{id}/continue``: leave Stasis for the dialplan."""
        await self._request("POST", channel_path(channel_id, "/continue"),
                            build_query(context=context, extension=extension,
                                        priority=priority))

    async def redirect(self, channel_id: str, endpoint: str) -> None:
        """``POST /channels/{id}/redirect``: transfer the channel to another endpoint."""
        await self._request("POST", channel_path(channel_id, "/redirect"),
                            build_query(endpoint=endpoint))

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        """``POST /channels/{id}/variable`` (also dialplan functions, e.g. ``TALK_DETECT(set)``)."""
        await self._request("POST", channel_path(channel_id, "/variable"),
                            build_query(variable=variable, value=value))

    async def get_variable(self, channel_id: str, variable: str) -> str:
        """``GET /channels/{id}/variable``; NotFound when the channel or variable is unset."""
        result = await self._typed(Variable, "GET", channel_path(channel_id, "/variable"),
                                   build_query(variable=variable))
        return result.value

    async def send_dtmf(
        self, channel_id: str, dtmf: str, between_ms: int | None = None,
        duration_ms: int | None = None,
    ) -> None:
        """``POST /channels/{id}/dtmf``: digits 0-9, *, #, A-D; ``,`` pauses."""
        await self._request("POST", channel_path(channel_id, "/dtmf"),
                            build_query(dtmf=dtmf, between=between_ms, duration=duration_ms))

    # ---- bridges ------------------------------------------------------------------------

    async def create_bridge(
        self, bridge_id: str, bridge_type: str = "mixing", name: str | None = None
    ) -> Bridge:
        """``POST /bridges``; ``bridge_type`` is a comma list such as ``mixing`` or
        ``mixing,proxy_media``. Conflict if the id is taken."""
        params = build_query(type=bridge_type, bridgeId=bridge_id, name=name)
        return await self._typed(Bridge, "POST", "/bridges", params)

    async def add_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        """``POST /bridges/{id}/addChannel``; NotFound if the bridge or a channel is gone."""
        await self._request("POST", bridge_path(bridge_id, "/addChannel"),
                            build_query(channel=join_list(channel_ids)))

    async def remove_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        """``POST /bridges/{id}/removeChannel``."""
        await self._request("POST", bridge_path(bridge_id, "/removeChannel"),
                            build_query(channel=join_list(channel_ids)))

    async def destroy_bridge(self, bridge_id: str) -> None:
        """``DELETE /bridges/{id}``: channels still in it stay up, outside any bridge."""
        await self._request("DELETE", bridge_path(bridge_id))

    async def record_bridge(
        self, bridge_id: str, name: str, *, fmt: str = "wav", if_exists: IfExists = "fail",
        beep: bool = False, max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
    ) -> LiveRecording:
        """``POST /bridges/{id}/record``: the mix of everyone in the bridge."""
        params = build_query(name=name, format=fmt, ifExists=if_exists, beep=beep,
                             maxDurationSeconds=max_duration_seconds,
                             maxSilenceSeconds=max_silence_seconds)
        return await self._typed(LiveRecording, "POST",
                                 bridge_path(bridge_id, "/record"), params)

    # ---- subscriptions and recordings ---------------------------------------------------

    async def subscribe(self, event_source: Sequence[str] | str) -> Application:
        """``POST /applications/{app}/subscription``: also send this app the events of
        e.g. ``channel:<id>`` or ``bridge:<id>``, even outside Stasis (after it continues
        in the dialplan, or for a channel that only passed through)."""
        return await self._typed(Application, "POST", self._subscription,
                                 build_query(eventSource=join_list(event_source)))

    async def unsubscribe(self, event_source: Sequence[str] | str) -> Application:
        """``DELETE /applications/{app}/subscription``; Conflict if not subscribed."""
        return await self._typed(Application, "DELETE", self._subscription,
                                 build_query(eventSource=join_list(event_source)))

    async def stop_recording(self, name: str) -> None:
        """``POST /recordings/live/{name}/stop``: stop and keep the file."""
        await self._request("POST", f"/recordings/live/{path_segment(name)}/stop")
