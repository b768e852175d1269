"""The ARI requests conferences need, on top of the shared ARI client.

``AriClient`` (engine/ari/client.py) has bridges, channels and playbacks to channels; a
conference also mutes channels, plays to a bridge and starts music on hold in a bridge.
Those few requests are made here through the client's own request plumbing (same session,
auth, timeouts and error mapping) until the client grows them; then this adapter only
delegates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from engine.ari.client import AriClient
from engine.ari.models import Channel
from engine.ari.query import bridge_path, build_query, channel_path, join_list, path_segment


class ConferenceAri(Protocol):
    """What the conference executor asks of Asterisk."""

    async def create_bridge(self, bridge_id: str, bridge_type: str) -> object: ...

    async def destroy_bridge(self, bridge_id: str) -> None: ...

    async def add_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None: ...

    async def remove_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None: ...

    async def get_channel(self, channel_id: str) -> Channel: ...

    async def mute(self, channel_id: str, direction: str) -> None: ...

    async def unmute(self, channel_id: str, direction: str) -> None: ...

    async def play_bridge(self, bridge_id: str, media: Sequence[str] | str,
                          playback_id: str) -> None: ...

    async def stop_playback(self, playback_id: str) -> None: ...

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None) -> None: ...

    async def stop_bridge_moh(self, bridge_id: str) -> None: ...


class AriConferenceOps:
    """``ConferenceAri`` on an ``AriClient``."""

    def __init__(self, client: AriClient) -> None:
        self._client = client

    async def create_bridge(self, bridge_id: str, bridge_type: str) -> object:
        return await self._client.create_bridge(bridge_id, bridge_type)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._client.destroy_bridge(bridge_id)

    async def add_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        await self._client.add_channels(bridge_id, channel_ids)

    async def remove_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        await self._client.remove_channels(bridge_id, channel_ids)

    async def get_channel(self, channel_id: str) -> Channel:
        return await self._client.get_channel(channel_id)

    async def stop_playback(self, playback_id: str) -> None:
        await self._client.stop_playback(playback_id)

    async def mute(self, channel_id: str, direction: str) -> None:
        """``POST /channels/{id}/mute``: "in" keeps what the party says from everyone."""
        await self._client._request("POST", channel_path(channel_id, "/mute"),
                                    build_query(direction=direction))

    async def unmute(self, channel_id: str, direction: str) -> None:
        """``DELETE /channels/{id}/mute``."""
        await self._client._request("DELETE", channel_path(channel_id, "/mute"),
                                    build_query(direction=direction))

    async def play_bridge(self, bridge_id: str, media: Sequence[str] | str,
                          playback_id: str) -> None:
        """``POST /bridges/{id}/play/{playback_id}``: everyone in the bridge hears it
        (playbacks to one bridge queue behind each other)."""
        path = bridge_path(bridge_id, f"/play/{path_segment(playback_id)}")
        await self._client._request("POST", path, build_query(media=join_list(media)))

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None) -> None:
        """``POST /bridges/{id}/moh``: music on hold to everyone in the bridge."""
        await self._client._request("POST", bridge_path(bridge_id, "/moh"),
                                    build_query(mohClass=moh_class))

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        """``DELETE /bridges/{id}/moh``."""
        await self._client._request("DELETE", bridge_path(bridge_id, "/moh"))
