"""Every recorded ARI event parses into its type; unknown and malformed ones are handled."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.ari.events import (
    KNOWN_EVENT_TYPES,
    AriEventParseError,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    ChannelLeftBridge,
    Dial,
    PlaybackFinished,
    RecordingFailed,
    StasisStart,
    UnknownEvent,
    decode_event,
    parse_event,
)
from tests.unit.ari.support import fixture_names, load_fixture


def test_there_are_fixtures() -> None:
    assert len(fixture_names()) >= 25


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_parses_into_the_class_named_by_its_type(name: str) -> None:
    data = load_fixture(name)
    event = parse_event(data)
    if data["type"] in KNOWN_EVENT_TYPES:
        assert type(event).__name__ == data["type"]
        assert not isinstance(event, UnknownEvent)
        assert event.application == "cpaas-engine"
        assert event.timestamp.tzinfo is not None
    else:
        assert isinstance(event, UnknownEvent)


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_decodes_from_wire_text(name: str) -> None:
    text = json.dumps(load_fixture(name), separators=(",", ":"))
    assert decode_event(text) == parse_event(load_fixture(name))
    assert decode_event(text.encode()) == parse_event(load_fixture(name))


def test_stasis_start_carries_args_and_the_channel() -> None:
    event = parse_event(load_fixture("stasis_start"))
    assert isinstance(event, StasisStart)
    assert event.args == ["leg", "a"]
    channel = event.channel
    assert (channel.id, channel.state) == ("fx-leg-a", "Up")
    assert channel.name == "Local/600@from-agents-00000002;1"
    assert channel.caller.number == "15168141000"
    assert channel.dialplan.app_name == "Stasis"
    assert channel.creationtime == datetime(2026, 11, 22, 8, 52, 34, 599000, tzinfo=UTC)
    assert channel.channelvars is None
    assert event.replace_channel is None
    assert event.asterisk_id == "02:00:00:00:00:01"


def test_inbound_stasis_start_args_compare_as_a_list() -> None:
    # The router matches `event.args[:1] == ["inbound"]`: args must stay a list.
    event = parse_event(load_fixture("stasis_start_inbound"))
    assert isinstance(event, StasisStart)
    assert event.args[:1] == ["inbound"]
    assert event.args[1] == "15551230001"


def test_channel_destroyed_has_the_q850_cause() -> None:
    normal = parse_event(load_fixture("channel_destroyed"))
    busy = parse_event(load_fixture("channel_destroyed_busy"))
    assert isinstance(normal, ChannelDestroyed)
    assert isinstance(busy, ChannelDestroyed)
    assert (normal.cause, normal.cause_txt) == (16, "Normal Clearing")
    assert (busy.cause, busy.cause_txt) == (17, "User busy")


def test_hangup_request_soft_is_optional() -> None:
    soft = parse_event(load_fixture("channel_hangup_request_soft"))
    hard = parse_event(load_fixture("channel_hangup_request"))
    assert isinstance(soft, ChannelHangupRequest)
    assert isinstance(hard, ChannelHangupRequest)
    assert (soft.cause, soft.soft) == (32, True)
    assert (hard.cause, hard.soft) == (16, None)


def test_dial_progress() -> None:
    begin = parse_event(load_fixture("dial_begin"))
    busy = parse_event(load_fixture("dial_busy_with_caller"))
    assert isinstance(begin, Dial)
    assert isinstance(busy, Dial)
    assert begin.dialstatus == ""
    assert begin.caller is None
    assert begin.peer.id == "fx-leg-a"
    assert busy.dialstatus == "BUSY"
    assert busy.caller is not None
    assert busy.caller.name == "PJSIP/101-00000009"
    assert busy.dialstring == "15168142000@carrier"


def test_dtmf_playback_bridge_and_recording_fields() -> None:
    dtmf = parse_event(load_fixture("channel_dtmf_received"))
    assert isinstance(dtmf, ChannelDtmfReceived)
    assert (dtmf.digit, dtmf.duration_ms) == ("5", 100)
    finished = parse_event(load_fixture("playback_finished"))
    assert isinstance(finished, PlaybackFinished)
    assert finished.playback.id == "req-1.greeting"
    assert finished.playback.state == "done"
    assert finished.playback.target == ("channel", "fx-leg-a")
    left = parse_event(load_fixture("channel_left_bridge"))
    assert isinstance(left, ChannelLeftBridge)
    assert left.bridge.channels == ["fx-leg-a"]
    assert left.channel.id == "fx-leg-b"
    failed = parse_event(load_fixture("recording_failed"))
    assert isinstance(failed, RecordingFailed)
    assert failed.recording.state == "failed"
    assert failed.recording.cause == "Cannot record channel while in bridge"


def test_unknown_type_keeps_type_and_raw_message() -> None:
    data = {"type": "ChannelTeleported", "application": "cpaas-engine", "where": "mars"}
    event = parse_event(data)
    assert isinstance(event, UnknownEvent)
    assert event.type == "ChannelTeleported"
    assert event.raw == data
    assert event.application == "cpaas-engine"


def test_unknown_type_needs_no_other_field() -> None:
    assert parse_event({"type": "Whatever"}) == UnknownEvent("Whatever", {"type": "Whatever"})


def test_extra_fields_are_tolerated_everywhere() -> None:
    data = load_fixture("stasis_start")
    data["new_in_asterisk_23"] = {"x": 1}
    data["channel"]["tenantid"] = "tenant-7"
    data["channel"]["brand_new"] = [1, 2, 3]
    data["channel"]["channelvars"] = {"CPAAS_REQUEST": "req-1"}
    event = parse_event(data)
    assert isinstance(event, StasisStart)
    assert event.channel.tenantid == "tenant-7"
    assert event.channel.channelvars == {"CPAAS_REQUEST": "req-1"}


def test_older_asterisk_fields_may_be_missing() -> None:
    data = load_fixture("stasis_start")
    for key in ("protocol_id", "language", "accountcode", "connected"):
        del data["channel"][key]
    del data["channel"]["dialplan"]["app_name"]
    del data["asterisk_id"]
    event = parse_event(data)
    assert isinstance(event, StasisStart)
    assert event.asterisk_id is None
    assert event.channel.connected.number == ""


def _without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


@pytest.mark.parametrize(
    ("fixture", "path"),
    [
        ("stasis_start", ("channel",)),
        ("stasis_start", ("channel", "id")),
        ("channel_destroyed", ("cause",)),
        ("dial_begin", ("peer",)),
        ("playback_finished", ("playback", "id")),
        ("stasis_end", ("timestamp",)),
        ("stasis_end", ("application",)),
    ],
)
def test_known_type_with_missing_fields_is_a_parse_error(
    fixture: str, path: tuple[str, ...]
) -> None:
    data = _without(load_fixture(fixture), *path)
    with pytest.raises(AriEventParseError) as caught:
        parse_event(data)
    assert caught.value.event_type == data["type"]
    assert path[-1] in str(caught.value)


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": "yesterday"},
        {"timestamp": "2026-11-22T08:52:34.599"},  # no zone: refuse a naive time
        {"cause": "sixteen"},
    ],
)
def test_known_type_with_bad_values_is_a_parse_error(change: dict[str, Any]) -> None:
    data = {**load_fixture("channel_destroyed"), **change}
    with pytest.raises(AriEventParseError):
        parse_event(data)


@pytest.mark.parametrize("data", [{}, {"type": ""}, {"type": 42}, {"application": "x"}])
def test_message_without_a_type_is_a_parse_error(data: dict[str, Any]) -> None:
    with pytest.raises(AriEventParseError) as caught:
        parse_event(data)
    assert caught.value.event_type is None


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2]", '"StasisStart"', b"\xff\xfe"])
def test_undecodable_messages_are_parse_errors(text: str | bytes) -> None:
    with pytest.raises(AriEventParseError):
        decode_event(text)


def test_events_are_immutable() -> None:
    event = parse_event(load_fixture("stasis_end"))
    with pytest.raises(ValueError):
        event.application = "other"  # type: ignore[misc]


def test_decode_event_can_drop_unwanted_types_before_validation() -> None:
    from engine.ari.events import decode_event

    varset = '{"type": "ChannelVarset", "application": "a", "variable": "X", "value": "1"}'
    assert decode_event(varset, frozenset({"StasisStart"})) is None
    replaced = '{"type": "ApplicationReplaced", "application": "a", "timestamp": ' \
        '"2026-11-22T08:00:00.000+0000"}'
    assert decode_event(replaced, frozenset({"StasisStart"})) is not None
