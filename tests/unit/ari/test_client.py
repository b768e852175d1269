"""AriClient against a tiny in-process fake ARI: requests on the wire, and error mapping."""

from __future__ import annotations

import base64
import socket

import aiohttp
import pytest

from engine.ari.client import AriClient
from engine.ari.models import Channel
from engine.ari.query import build_query, join_list, path_segment
from engine.domain.errors import Conflict, NotFound, Rejected, TimedOut, Unavailable
from tests.unit.ari.conftest import AriHarness
from tests.unit.ari.support import load_fixture

CHANNEL = load_fixture("stasis_start")["channel"]
BRIDGE = load_fixture("bridge_created")["bridge"]
PLAYBACK = load_fixture("playback_started")["playback"]
RECORDING = load_fixture("recording_started")["recording"]
BASIC = "Basic " + base64.b64encode(b"cpaas:s3cret").decode()


async def test_originate_sends_query_variables_and_basic_auth(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/channels")] = (200, CHANNEL)
    channel = await ari.client.originate(
        "PJSIP/15168141000@carrier", "req-1.customer", app_args="leg",
        caller_id="15551230001", timeout=30, variables={"CPAAS_REQUEST": "req-1"},
    )
    assert isinstance(channel, Channel)
    assert channel.id == "fx-leg-a"
    seen = ari.fake.last
    assert (seen.method, seen.raw_path) == ("POST", "/ari/channels")
    assert seen.query == {
        "endpoint": "PJSIP/15168141000@carrier", "app": "cpaas-engine", "appArgs": "leg",
        "channelId": "req-1.customer", "callerId": "15551230001", "timeout": "30",
    }
    assert seen.body == {"variables": {"CPAAS_REQUEST": "req-1"}}
    assert seen.authorization == BASIC


async def test_plus_signs_survive_asterisks_query_decoding(ari: AriHarness) -> None:
    # Asterisk decodes a raw "+" in the query as a space: E.164 numbers must go as %2B.
    ari.fake.replies[("POST", "/ari/channels")] = (200, CHANNEL)
    await ari.client.originate("PJSIP/+15168141000@carrier", "c1", app_args="leg",
                               caller_id="+15551230001")
    assert "endpoint=PJSIP/%2B15168141000@carrier" in ari.fake.last.raw_query
    assert "callerId=%2B15551230001" in ari.fake.last.raw_query


async def test_create_then_dial(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/channels/create")] = (200, CHANNEL)
    await ari.client.create_channel("PJSIP/101", "req-2.agent", "leg",
                                    originator="req-2.customer")
    created = ari.fake.last
    assert created.query == {"endpoint": "PJSIP/101", "app": "cpaas-engine", "appArgs": "leg",
                             "channelId": "req-2.agent", "originator": "req-2.customer"}
    assert created.body is None  # no variables, no body
    await ari.client.dial("req-2.agent", caller="req-2.customer", timeout=20)
    dialled = ari.fake.last
    assert dialled.raw_path == "/ari/channels/req-2.agent/dial"
    assert dialled.query == {"caller": "req-2.customer", "timeout": "20"}


async def test_channel_commands_hit_their_paths(ari: AriHarness) -> None:
    client = ari.client
    await client.hangup("c1", reason="busy")
    await client.answer("c1")
    await client.ring("c1")
    await client.stop_ringing("c1")
    await client.start_moh("c1")
    await client.stop_moh("c1")
    await client.continue_in_dialplan("c1", "from-agents", "600", priority=2)
    await client.redirect("c1", "PJSIP/102")
    await client.set_variable("c1", "CPAAS_MARK", "x")
    await client.send_dtmf("c1", "12#", between_ms=200)
    calls = [(s.method, s.raw_path, s.query) for s in ari.fake.seen]
    assert calls == [
        ("DELETE", "/ari/channels/c1", {"reason": "busy"}),
        ("POST", "/ari/channels/c1/answer", {}),
        ("POST", "/ari/channels/c1/ring", {}),
        ("DELETE", "/ari/channels/c1/ring", {}),
        ("POST", "/ari/channels/c1/moh", {}),
        ("DELETE", "/ari/channels/c1/moh", {}),
        ("POST", "/ari/channels/c1/continue",
         {"context": "from-agents", "extension": "600", "priority": "2"}),
        ("POST", "/ari/channels/c1/redirect", {"endpoint": "PJSIP/102"}),
        ("POST", "/ari/channels/c1/variable", {"variable": "CPAAS_MARK", "value": "x"}),
        ("POST", "/ari/channels/c1/dtmf", {"dtmf": "12#", "between": "200"}),
    ]


async def test_play_joins_media_and_names_the_playback(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/channels/c1/play/req-1.greeting")] = (201, PLAYBACK)
    playback = await ari.client.play("c1", ["sound:hello", "sound:beep"], "req-1.greeting")
    assert playback.id == "req-1.greeting"
    assert ari.fake.last.query == {"media": "sound:hello,sound:beep"}
    await ari.client.stop_playback("req-1.greeting")
    assert (ari.fake.last.method, ari.fake.last.raw_path) == (
        "DELETE", "/ari/playbacks/req-1.greeting")


async def test_bridge_lifecycle(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/bridges")] = (200, BRIDGE)
    ari.fake.replies[("POST", "/ari/bridges/b1/record")] = (201, RECORDING)
    bridge = await ari.client.create_bridge("b1", "mixing", name="call req-1")
    assert bridge.bridge_type == "mixing"
    assert ari.fake.last.query == {"type": "mixing", "bridgeId": "b1", "name": "call req-1"}
    await ari.client.add_channels("b1", ["c1", "c2"])
    assert ari.fake.last.query == {"channel": "c1,c2"}
    recording = await ari.client.record_bridge("b1", "req-1", if_exists="overwrite")
    assert recording.name == "fx-rec-bridge"
    assert ari.fake.last.query == {"name": "req-1", "format": "wav", "ifExists": "overwrite",
                                   "beep": "false"}
    await ari.client.remove_channels("b1", ["c2"])
    assert (ari.fake.last.raw_path, ari.fake.last.query) == (
        "/ari/bridges/b1/removeChannel", {"channel": "c2"})
    await ari.client.destroy_bridge("b1")
    assert (ari.fake.last.method, ari.fake.last.raw_path) == ("DELETE", "/ari/bridges/b1")


async def test_snoop_and_record_channel(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/channels/c1/snoop/c1.snoop")] = (200, CHANNEL)
    ari.fake.replies[("POST", "/ari/channels/c1.snoop/record")] = (201, RECORDING)
    await ari.client.snoop("c1", "c1.snoop", spy="in", app_args="snoop")
    assert ari.fake.last.query == {"spy": "in", "whisper": "none", "app": "cpaas-engine",
                                   "appArgs": "snoop"}
    await ari.client.record_channel("c1.snoop", "req-1-agent", beep=True,
                                    max_duration_seconds=3600)
    assert ari.fake.last.query == {"name": "req-1-agent", "format": "wav", "ifExists": "fail",
                                   "beep": "true", "maxDurationSeconds": "3600"}


async def test_reads(ari: AriHarness) -> None:
    ari.fake.replies[("GET", "/ari/channels")] = (200, [CHANNEL, CHANNEL])
    ari.fake.replies[("GET", "/ari/channels/c1")] = (200, CHANNEL)
    ari.fake.replies[("GET", "/ari/channels/c1/variable")] = (200, {"value": "x1"})
    ari.fake.replies[("GET", "/ari/asterisk/info")] = (
        200, {"system": {"version": "22.10.1", "entity_id": "02:00:00:00:00:01"}})
    assert [c.id for c in await ari.client.list_channels()] == ["fx-leg-a", "fx-leg-a"]
    assert (await ari.client.get_channel("c1")).state == "Up"
    assert await ari.client.get_variable("c1", "CPAAS_MARK") == "x1"
    assert ari.fake.last.query == {"variable": "CPAAS_MARK"}
    info = await ari.client.asterisk_info()
    assert info.system is not None
    assert info.system.version == "22.10.1"


async def test_subscribe_to_an_event_source(ari: AriHarness) -> None:
    app = {"name": "cpaas-engine", "channel_ids": ["c1"], "bridge_ids": [],
           "endpoint_ids": [], "device_names": [], "events_allowed": [],
           "events_disallowed": []}
    ari.fake.replies[("POST", "/ari/applications/cpaas-engine/subscription")] = (200, app)
    subscribed = await ari.client.subscribe("channel:c1")
    assert subscribed.channel_ids == ["c1"]
    assert ari.fake.last.query == {"eventSource": "channel:c1"}
    ari.fake.replies[("DELETE", "/ari/applications/cpaas-engine/subscription")] = (
        409, {"message": "Application not subscribed to event source"})
    with pytest.raises(Conflict):
        await ari.client.unsubscribe(["channel:c1", "bridge:b1"])
    assert ari.fake.last.query == {"eventSource": "channel:c1,bridge:b1"}


async def test_subscribing_to_a_gone_channel_is_not_found(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/applications/cpaas-engine/subscription")] = (
        422, {"message": "Event source does not exist"})
    with pytest.raises(NotFound):
        await ari.client.subscribe("channel:gone")


async def test_ids_are_quoted_into_one_path_segment(ari: AriHarness) -> None:
    await ari.client.stop_recording("calls/req 1")
    assert ari.fake.last.raw_path == "/ari/recordings/live/calls%2Freq%201/stop"


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (404, "Channel not found", NotFound),
        (400, "Channel not found", NotFound),  # addChannel names the channel in the query
        (400, "Invalid parameters", Rejected),
        (409, "Channel not in Stasis application", Conflict),
        (412, "Channel in invalid state", Conflict),
        # addChannel: a channel answered a moment before it entered the application
        (422, "Channel not in Stasis application", Conflict),
        (422, "specified format is unknown on this system", Rejected),
        (401, "Authentication required", Unavailable),
        (500, "Internal Server Error", Unavailable),
        (503, "", Unavailable),
    ],
)
async def test_http_errors_map_to_engine_errors_keeping_aris_message(
    ari: AriHarness, status: int, message: str, error: type[Exception]
) -> None:
    ari.fake.replies[("POST", "/ari/channels/c1/answer")] = (
        status, {"message": message} if message else None)
    with pytest.raises(error) as caught:
        await ari.client.answer("c1")
    assert message in str(caught.value)
    assert getattr(caught.value, "details", {}).get("ari_status") == status


async def test_exact_error_classes(ari: AriHarness) -> None:
    # TimedOut is an Unavailable; a 409 must not be mistaken for either.
    ari.fake.replies[("POST", "/ari/bridges")] = (409, {"message": "Bridge exists"})
    with pytest.raises(Conflict):
        await ari.client.create_bridge("b1")


async def test_non_json_answer_is_unavailable(ari: AriHarness) -> None:
    ari.fake.replies[("GET", "/ari/channels/c1")] = (200, "<html>proxy error</html>")
    with pytest.raises(Unavailable):
        await ari.client.get_channel("c1")


async def test_answer_not_matching_the_swagger_is_unavailable(ari: AriHarness) -> None:
    ari.fake.replies[("GET", "/ari/channels/c1")] = (200, {"id": "c1"})
    with pytest.raises(Unavailable):
        await ari.client.get_channel("c1")


async def test_slow_answer_is_timed_out(ari: AriHarness) -> None:
    ari.fake.delay = 0.3
    client = AriClient(ari.session, ari.base_url, "cpaas", "s3cret", "cpaas-engine",
                       request_timeout=0.05)
    with pytest.raises(TimedOut):
        await client.answer("c1")


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        client = AriClient(session, f"http://127.0.0.1:{port}", "u", "p", "app",
                           request_timeout=1.0)
        with pytest.raises(Unavailable) as caught:
            await client.list_channels()
    assert not isinstance(caught.value, TimedOut)
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectionError | OSError)


def test_query_helpers() -> None:
    assert build_query(a=None, b=True, c=False, d=3, e="x") == {
        "b": "true", "c": "false", "d": "3", "e": "x"}
    assert join_list("sound:a") == "sound:a"
    assert join_list(["a", "b"]) == "a,b"
    assert path_segment("a/b c;2") == "a%2Fb%20c%3B2"
