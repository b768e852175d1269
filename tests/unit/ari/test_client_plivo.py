"""AriClient on the wire for what Plivo calls need: a display name in the caller id, SIP
headers as originate variables, DTMF tone lengths, and the AMD round trip (subscribe to
the leg, continue it into the dialplan)."""

from __future__ import annotations

from tests.unit.ari.conftest import AriHarness
from tests.unit.ari.support import load_fixture

CHANNEL = load_fixture("stasis_start")["channel"]


async def test_originate_with_a_display_name_and_x_ph_headers(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/channels")] = (200, CHANNEL)
    await ari.client.originate(
        "PJSIP/15162010500@carrier", "req-1.customer", app_args="leg",
        caller_id='"Ada Lovelace" <15168148111>',
        variables={"PJSIP_HEADER(add,X-PH-Lead)": "42"},
    )
    seen = ari.fake.last
    assert seen.query["callerId"] == '"Ada Lovelace" <15168148111>'
    # Quotes and brackets are escaped on the wire; the space goes as "+", which Asterisk
    # decodes back into a space (proven on the real stack: test_carrier_lines).
    assert " " not in seen.raw_query and '"' not in seen.raw_query
    assert "callerId=%22Ada+Lovelace%22+%3C15168148111%3E" in seen.raw_query
    assert seen.body == {"variables": {"PJSIP_HEADER(add,X-PH-Lead)": "42"}}


async def test_dtmf_tone_length_is_the_duration_parameter(ari: AriHarness) -> None:
    await ari.client.send_dtmf("c1", "1w2W3", duration_ms=250)
    seen = ari.fake.last
    assert (seen.method, seen.raw_path) == ("POST", "/ari/channels/c1/dtmf")
    assert seen.query == {"dtmf": "1w2W3", "duration": "250"}


async def test_the_amd_round_trip_requests(ari: AriHarness) -> None:
    ari.fake.replies[("POST", "/ari/applications/cpaas-engine/subscription")] = (
        200, {"name": "cpaas-engine", "channel_ids": ["req-1.customer"], "bridge_ids": [],
              "endpoint_ids": [], "device_names": []})
    await ari.client.subscribe("channel:req-1.customer")
    await ari.client.continue_in_dialplan("req-1.customer", "amd", "5000")
    subscribe, cont = ari.fake.seen
    assert (subscribe.method, subscribe.raw_path, subscribe.query) == (
        "POST", "/ari/applications/cpaas-engine/subscription",
        {"eventSource": "channel:req-1.customer"})
    assert (cont.method, cont.raw_path, cont.query) == (
        "POST", "/ari/channels/req-1.customer/continue",
        {"context": "amd", "extension": "5000", "priority": "1"})
