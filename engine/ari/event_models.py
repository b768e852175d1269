"""The ARI event models, one class per event type, in ARI's wire format.

Field names follow events.json of Asterisk 22.10.1. Every event carries ``type``,
``application``, ``timestamp`` and, on recent releases, ``asterisk_id``; everything else a
newer Asterisk adds is ignored. Parse messages with :func:`engine.ari.events.parse_event`,
and import the classes from there too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from engine.ari.models import Bridge, Channel, LiveRecording, Playback


class AriEventBase(BaseModel):
    """Fields every ARI event has; subclasses pin ``type`` to their name."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str
    application: str
    timestamp: AwareDatetime
    asterisk_id: str | None = None


# ---- Stasis entry and exit ------------------------------------------------------------


class StasisStart(AriEventBase):
    """A channel entered the app; ``args`` are the Stasis() dialplan arguments or appArgs."""

    type: Literal["StasisStart"] = "StasisStart"
    channel: Channel
    args: list[str] = Field(default_factory=list)
    # Set when the channel replaced another in the app (e.g. after a masquerade/transfer).
    replace_channel: Channel | None = None


class StasisEnd(AriEventBase):
    """A channel left the app (hung up, or continued in the dialplan)."""

    type: Literal["StasisEnd"] = "StasisEnd"
    channel: Channel


class ApplicationReplaced(AriEventBase):
    """Another WebSocket registered the same app name; this one gets no more events."""

    type: Literal["ApplicationReplaced"] = "ApplicationReplaced"


class ApplicationMoveFailed(AriEventBase):
    """Moving a channel to another app failed; it stays in this one."""

    type: Literal["ApplicationMoveFailed"] = "ApplicationMoveFailed"
    channel: Channel
    destination: str
    args: list[str] = Field(default_factory=list)


# ---- channel lifecycle ----------------------------------------------------------------


class ChannelCreated(AriEventBase):
    """A channel the app watches was created."""

    type: Literal["ChannelCreated"] = "ChannelCreated"
    channel: Channel


class ChannelStateChange(AriEventBase):
    """The channel's ``state`` changed (e.g. to "Ringing" or "Up" when answered)."""

    type: Literal["ChannelStateChange"] = "ChannelStateChange"
    channel: Channel


class ChannelDestroyed(AriEventBase):
    """The channel is gone for good; ``cause`` is the Q.850 cause (16 = normal clearing)."""

    type: Literal["ChannelDestroyed"] = "ChannelDestroyed"
    channel: Channel
    cause: int
    cause_txt: str
    tech_cause: int | None = None


class ChannelHangupRequest(AriEventBase):
    """Someone asked for a hangup; ``soft`` is true for a soft hangup (e.g. from ARI)."""

    type: Literal["ChannelHangupRequest"] = "ChannelHangupRequest"
    channel: Channel
    cause: int | None = None
    soft: bool | None = None
    tech_cause: int | None = None


class Dial(AriEventBase):
    """Progress of a dial towards ``peer``.

    ``dialstatus`` is "" when the dial starts, then e.g. "RINGING", "PROGRESS", "ANSWER",
    "BUSY", "NOANSWER", "CONGESTION", "CHANUNAVAIL" or "CANCEL".
    """

    type: Literal["Dial"] = "Dial"
    peer: Channel
    dialstatus: str
    caller: Channel | None = None
    forward: str | None = None
    forwarded: Channel | None = None
    dialstring: str | None = None


class ChannelDtmfReceived(AriEventBase):
    """A DTMF digit ended on the channel (ARI reports the end, with its duration)."""

    type: Literal["ChannelDtmfReceived"] = "ChannelDtmfReceived"
    channel: Channel
    digit: str
    duration_ms: int


class ChannelVarset(AriEventBase):
    """A channel variable was set; ``channel`` is absent for global variables."""

    type: Literal["ChannelVarset"] = "ChannelVarset"
    variable: str
    value: str
    channel: Channel | None = None


class ChannelDialplan(AriEventBase):
    """The channel moved to a new dialplan step."""

    type: Literal["ChannelDialplan"] = "ChannelDialplan"
    channel: Channel
    dialplan_app: str
    dialplan_app_data: str


class ChannelCallerId(AriEventBase):
    """The channel's caller id changed."""

    type: Literal["ChannelCallerId"] = "ChannelCallerId"
    channel: Channel
    caller_presentation: int
    caller_presentation_txt: str


class ChannelConnectedLine(AriEventBase):
    """The channel's connected line (the other party's id) changed."""

    type: Literal["ChannelConnectedLine"] = "ChannelConnectedLine"
    channel: Channel


class ChannelHold(AriEventBase):
    """The far end put the channel on hold."""

    type: Literal["ChannelHold"] = "ChannelHold"
    channel: Channel
    musicclass: str | None = None


class ChannelUnhold(AriEventBase):
    """The far end took the channel off hold."""

    type: Literal["ChannelUnhold"] = "ChannelUnhold"
    channel: Channel


class ChannelTalkingStarted(AriEventBase):
    """TALK_DETECT saw speech start on the channel."""

    type: Literal["ChannelTalkingStarted"] = "ChannelTalkingStarted"
    channel: Channel


class ChannelTalkingFinished(AriEventBase):
    """TALK_DETECT saw speech stop; ``duration`` is in milliseconds."""

    type: Literal["ChannelTalkingFinished"] = "ChannelTalkingFinished"
    channel: Channel
    duration: int


class ChannelToneDetected(AriEventBase):
    """TONE_DETECT heard its tone on the channel."""

    type: Literal["ChannelToneDetected"] = "ChannelToneDetected"
    channel: Channel


class ChannelUserevent(AriEventBase):
    """UserEvent() from the dialplan; ``userevent`` holds its key/value pairs."""

    type: Literal["ChannelUserevent"] = "ChannelUserevent"
    eventname: str
    userevent: dict[str, Any] = Field(default_factory=dict)
    channel: Channel | None = None
    bridge: Bridge | None = None


# ---- bridges --------------------------------------------------------------------------


class BridgeCreated(AriEventBase):
    """A bridge was created."""

    type: Literal["BridgeCreated"] = "BridgeCreated"
    bridge: Bridge


class BridgeDestroyed(AriEventBase):
    """A bridge was destroyed."""

    type: Literal["BridgeDestroyed"] = "BridgeDestroyed"
    bridge: Bridge


class ChannelEnteredBridge(AriEventBase):
    """A channel joined a bridge."""

    type: Literal["ChannelEnteredBridge"] = "ChannelEnteredBridge"
    bridge: Bridge
    channel: Channel | None = None


class ChannelLeftBridge(AriEventBase):
    """A channel left a bridge (removed, hung up, or the bridge was destroyed)."""

    type: Literal["ChannelLeftBridge"] = "ChannelLeftBridge"
    bridge: Bridge
    channel: Channel


# ---- media ----------------------------------------------------------------------------


class PlaybackStarted(AriEventBase):
    """A playback began."""

    type: Literal["PlaybackStarted"] = "PlaybackStarted"
    playback: Playback


class PlaybackContinuing(AriEventBase):
    """A playback of several media moved on to the next one."""

    type: Literal["PlaybackContinuing"] = "PlaybackContinuing"
    playback: Playback


class PlaybackFinished(AriEventBase):
    """A playback ended: ``playback.state`` is "done", or "failed" (e.g. missing file)."""

    type: Literal["PlaybackFinished"] = "PlaybackFinished"
    playback: Playback


class RecordingStarted(AriEventBase):
    """A live recording began."""

    type: Literal["RecordingStarted"] = "RecordingStarted"
    recording: LiveRecording


class RecordingFinished(AriEventBase):
    """A live recording ended normally; the file is complete."""

    type: Literal["RecordingFinished"] = "RecordingFinished"
    recording: LiveRecording


class RecordingFailed(AriEventBase):
    """A live recording failed; ``recording.cause`` says why."""

    type: Literal["RecordingFailed"] = "RecordingFailed"
    recording: LiveRecording
