"""ARI resource objects (Channel, Bridge, Playback, LiveRecording, …) as pydantic models.

Checked against the swagger that Asterisk 22.10.1 ships in ``rest-api/*.json``. The models
are deliberately tolerant: unknown fields are ignored (every Asterisk release adds some) and
fields that older releases omit have defaults. Only what the engine cannot work without
(ids, names, states) is required.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AriModel(BaseModel):
    """Base of every ARI object: immutable, and ignores fields this code does not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class CallerId(AriModel):
    """A name/number pair (ARI ``CallerID``); ARI sends empty strings when unknown."""

    name: str = ""
    number: str = ""


class DialplanLocation(AriModel):
    """Where a channel is in the dialplan (ARI ``DialplanCEP``)."""

    context: str = ""
    exten: str = ""
    priority: int = 0
    app_name: str = ""
    app_data: str = ""


class Channel(AriModel):
    """An Asterisk channel (one call leg).

    ``state`` is ARI's text: "Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing",
    "Up", "Busy", "Dialing Offhook", "Pre-ring" or "Unknown". ``creationtime`` arrives as
    ``2023-07-07T06:08:09.123+0000`` and is parsed into an aware datetime.
    """

    id: str
    name: str
    state: str
    creationtime: AwareDatetime
    protocol_id: str = ""
    caller: CallerId = Field(default_factory=CallerId)
    connected: CallerId = Field(default_factory=CallerId)
    accountcode: str = ""
    dialplan: DialplanLocation = Field(default_factory=DialplanLocation)
    language: str = ""
    # Only present when ari.conf/the app asked for channel variables in events.
    channelvars: dict[str, str] | None = None
    caller_rdnis: str = ""
    tenantid: str = ""


class Bridge(AriModel):
    """A bridge: channels in it hear each other (``mixing``) or wait (``holding``)."""

    id: str
    technology: str = ""
    bridge_type: str = ""
    bridge_class: str = ""
    creator: str = ""
    name: str = ""
    channels: list[str] = Field(default_factory=list)
    video_mode: str | None = None
    video_source_id: str | None = None
    creationtime: AwareDatetime | None = None
    bridgevars: dict[str, str] | None = None


def split_target_uri(uri: str) -> tuple[str, str]:
    """``"channel:abc"`` -> ``("channel", "abc")``; kinds are channel, bridge, endpoint…"""
    kind, _, target = uri.partition(":")
    return kind, target


class Playback(AriModel):
    """Media being played to a channel or bridge.

    ``state`` is "queued", "playing", "paused", "continuing", "done" or "failed".
    """

    id: str
    media_uri: str
    target_uri: str
    state: str
    next_media_uri: str | None = None
    language: str | None = None

    @property
    def target(self) -> tuple[str, str]:
        """(kind, id) of what the playback plays to, e.g. ("channel", "<channel id>")."""
        return split_target_uri(self.target_uri)


class LiveRecording(AriModel):
    """A recording in progress (or just finished/failed).

    ``state`` is "queued", "recording", "paused", "done", "failed" or "canceled".
    Durations are whole seconds and only present once the recording has ended.
    """

    name: str
    format: str
    state: str
    target_uri: str = ""
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None

    @property
    def target(self) -> tuple[str, str]:
        """(kind, id) of what is recorded, e.g. ("bridge", "<bridge id>")."""
        return split_target_uri(self.target_uri)


class Application(AriModel):
    """A Stasis application and what it is subscribed to."""

    name: str
    channel_ids: list[str] = Field(default_factory=list)
    bridge_ids: list[str] = Field(default_factory=list)
    endpoint_ids: list[str] = Field(default_factory=list)
    device_names: list[str] = Field(default_factory=list)


class Variable(AriModel):
    """The answer of ``GET /channels/{id}/variable``."""

    value: str


class SystemInfo(AriModel):
    """Version and entity id of the Asterisk instance."""

    version: str = ""
    entity_id: str = ""


class BuildInfo(AriModel):
    """How this Asterisk was built."""

    os: str = ""
    kernel: str = ""
    options: str = ""
    machine: str = ""
    date: str = ""
    user: str = ""


class ConfigInfo(AriModel):
    """Selected asterisk.conf settings."""

    name: str = ""
    default_language: str = ""
    max_channels: int | None = None
    max_open_files: int | None = None
    max_load: float | None = None


class StatusInfo(AriModel):
    """When Asterisk started and last reloaded."""

    startup_time: AwareDatetime | None = None
    last_reload_time: AwareDatetime | None = None


class AsteriskInfo(AriModel):
    """The answer of ``GET /asterisk/info``; every section may be absent."""

    build: BuildInfo | None = None
    system: SystemInfo | None = None
    config: ConfigInfo | None = None
    status: StatusInfo | None = None
