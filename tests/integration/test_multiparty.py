"""Multi-party calls on the real stack: two simulated agents and one carrier number in one
ARI mixing bridge, proven by ear (agents play 440 Hz, the 1xxx line 1000 Hz; the carrier
records what each leg hears), hold and unhold, the last agent leaving ending the call, the
whole call's recording, and another account that can neither see nor change it.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from engine.ari.query import basic_auth_header
from engine.settings import Settings
from tests.integration.helpers import call_api, number, sox_stat
from tests.integration.multiparty_kit import Api, Ears, Heard, now
from tests.integration.stack import ACCOUNT_1
from tests.integration.test_plivo_conference_edge import tone_level

pytestmark = pytest.mark.integration
AGENT_A, AGENT_B = "101", "102"
SIP_A, SIP_B = f"sip:{AGENT_A}", f"sip:{AGENT_B}"
AGENT_HZ, CUSTOMER_HZ = 440, 1000


@pytest.fixture
def ears(settings: Settings) -> Ears:
    return Ears(settings.var_dir / "asterisk" / "carrier" / "spool" / "heard")


def level(heard: Heard, hz: float, start: float, end: float) -> float:
    """The tone's level between two wall-clock moments, trimmed 0.5 s at each side."""
    return tone_level(heard.path, hz, heard.offset(start) + 0.5, heard.offset(end) - 0.5)


def tone_heard(heard: Heard, hz: float, start: float, end: float) -> bool:
    """Whether a party's steady tone ``hz`` is there all along (every half second above
    the level the tests call heard). Music on hold is real music: its notes include A
    (440 Hz), loud for a moment (seen up to 429 in a half second) but never steady, so an
    average over the window can mistake it for a faint tone."""
    first, last = heard.offset(start) + 0.5, heard.offset(end) - 0.5
    slices = [first + k * 0.5 for k in range(int((last - first) / 0.5))]
    return bool(slices) and all(tone_level(heard.path, hz, t, t + 0.5) > 500 for t in slices)


async def test_three_members_hear_each_other_hold_and_the_last_agent_ends_it(
    http: aiohttp.ClientSession, ears: Ears,
) -> None:
    api = Api(http)
    phlo = await api.create(record=True)
    customer = number("1000")
    before = {n: ears.calls_to(n) for n in (AGENT_A, AGENT_B, customer)}

    await api.add(phlo, f"{SIP_A}@pbx", "agent", SIP_A)  # the first member starts it
    await api.wait_member(phlo, SIP_A, "connected")
    await api.add(phlo, customer, "customer", f"{SIP_A}@pbx")
    await api.wait_member(phlo, f"+{customer}", "connected")
    await api.add(phlo, AGENT_B, "agent", SIP_A)
    await api.wait_member(phlo, SIP_B, "connected")
    together = now()
    status, body = await call_api(http, "GET", "/api/get_live_call_statistics")
    assert status == 200 and body["response"]["result"]["live_calls_multiparty"] == 3, body
    await asyncio.sleep(3)

    await api.act(phlo, f"+{customer}", "hold")
    held_at = now()
    assert (await api.members(phlo))[f"+{customer}"]["state"] == "on hold"
    await asyncio.sleep(3)
    await api.act(phlo, f"+{customer}", "unhold")
    unheld_at = now()
    await asyncio.sleep(3)

    # One agent leaves: the call goes on with the other.
    await api.act(phlo, SIP_A, "hangup")
    await api.wait_member(phlo, SIP_A, "left")
    await asyncio.sleep(1)
    members = await api.members(phlo)
    assert members[SIP_B]["state"] == "connected"
    assert members[f"+{customer}"]["state"] == "connected"
    # The last agent leaves: the customer hears why and is hung up.
    await api.act(phlo, SIP_B, "hangup")
    await api.wait_member(phlo, f"+{customer}", "left", timeout=30)

    members = await api.members(phlo)
    assert {m["state"] for m in members.values()} == {"left"}
    assert all(m["joined_at"] and m["left_at"] for m in members.values())
    assert members[SIP_A]["role"] == members[SIP_B]["role"] == "agent"
    assert members[f"+{customer}"]["role"] == "customer"
    # Every member is a call of its own, with its CDR.
    for member in members.values():
        status, body = await call_api(http, "POST", "/api/get_cdr_by_request_id",
                                      {"request_id": member["call_uuid"]}, ACCOUNT_1)
        assert status == 200 and body["response"]["result"], body
        assert {row["destination_context"] for row in body["response"]["result"]} == {
            f"multi_party_call:{phlo.node_id}"}

    heard_a = await ears.heard(AGENT_A, before[AGENT_A])
    heard_b = await ears.heard(AGENT_B, before[AGENT_B])
    heard_c = await ears.heard(customer, before[customer])
    # All three together: each agent hears the other agent and the customer; the
    # customer hears the agents.
    for agent in (heard_a, heard_b):
        assert level(agent, AGENT_HZ, together, held_at) > 500
        assert level(agent, CUSTOMER_HZ, together, held_at) > 500
    assert level(heard_c, AGENT_HZ, together, held_at) > 500
    # On hold: the agents no longer hear the customer, nor the customer them.
    for agent in (heard_a, heard_b):
        on_hold = level(agent, CUSTOMER_HZ, held_at + 0.5, unheld_at)
        assert on_hold < level(agent, CUSTOMER_HZ, together, held_at) / 20, on_hold
    assert not tone_heard(heard_c, AGENT_HZ, held_at + 0.5, unheld_at)  # music instead
    # Back: heard again.
    assert level(heard_a, CUSTOMER_HZ, unheld_at + 0.5, unheld_at + 3) > 500

    # The whole call was recorded, and the account can fetch it.
    details = await api.details(phlo)
    (url,) = details["recordings"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    async with http.get(f"/{path}", headers=api.auth) as r:
        assert r.status == 200
        audio = await r.read()
    assert audio[:4] == b"RIFF" and len(audio) > 8000 * 2 * 5  # > 5 s of 8 kHz audio
    other = Api(http, "account_2")
    status, _ = await other.send("GET", f"/{path}")
    assert status == 404


async def test_another_account_can_neither_see_nor_change_it(
    http: aiohttp.ClientSession,
) -> None:
    api, other = Api(http), Api(http, "account_2")
    phlo = await api.create()
    body = {"action": "call", "to": AGENT_A, "role": "agent", "trigger_source": AGENT_A}
    for method, path, payload in (
        ("GET", f"{phlo.node}/", None),
        ("GET", f"/v1/phlo/{phlo.phlo_id}/", None),
        ("POST", f"{phlo.node}/", body),
        ("POST", f"{phlo.node}/members/{SIP_A}/", {"action": "hangup"}),
        ("DELETE", f"{phlo.node}/", None),
    ):
        status, answer = await other.send(method, path, payload)
        missing = path.replace(phlo.node_id, "0" * 8).replace(phlo.phlo_id, "1" * 8)
        status_missing, answer_missing = await other.send(method, missing, payload)
        assert (status, set(answer)) == (status_missing, set(answer_missing)) == (
            404, {"api_id", "error"}), (method, path, answer)
        assert answer["error"] == answer_missing["error"]
    status, listed = await other.send("GET", "/v1/phlo/")
    assert status == 200 and phlo.node_id not in {o["node_id"] for o in listed["objects"]}
    status, listed = await api.send("GET", "/v1/phlo/")
    assert phlo.node_id in {o["node_id"] for o in listed["objects"]}
    assert (await api.details(phlo))["members"] == []


async def test_refusals_in_plivos_shape(http: aiohttp.ClientSession) -> None:
    api = Api(http)
    phlo = await api.create()
    wrong = basic_auth_header("account_1", "not-the-token")
    for method, path, body, auth, expected in (
        ("POST", f"{phlo.node}/", {"action": "call", "to": AGENT_A, "trigger_source": AGENT_A},
         wrong, 401),
        ("POST", f"{phlo.node}/", {"action": "call", "trigger_source": AGENT_A}, None, 400),
        ("POST", f"{phlo.node}/", {"action": "call", "to": "sip:999@pbx",
                                   "trigger_source": AGENT_A}, None, 400),
        ("POST", f"{phlo.node}/", {"action": "call", "to": "12", "trigger_source": AGENT_A},
         None, 400),
        # The first member must be an agent.
        ("POST", f"{phlo.node}/", {"action": "call", "to": number("1000"),
                                   "role": "customer", "trigger_source": AGENT_A}, None, 409),
        ("POST", f"{phlo.node}/members/{SIP_A}/", {"action": "fly"}, None, 400),
        ("POST", f"{phlo.node}/members/{SIP_A}/", {"action": "hold"}, None, 404),
        ("POST", "/v1/phlo/", {"name": "x"}, None, 400),
    ):
        status, answer = await api.send(method, path, body, auth)
        assert status == expected, (path, body, answer)
        assert set(answer) == {"api_id", "error"} and answer["error"], answer


async def test_only_a_connected_agent_may_add_members_and_delete_waits(
    http: aiohttp.ClientSession,
) -> None:
    api = Api(http)
    phlo = await api.create()
    await api.add(phlo, AGENT_A, "agent", AGENT_A)
    await api.wait_member(phlo, SIP_A, "connected")
    customer = number("1000")
    for trigger in (customer, AGENT_B, "+15168148111"):  # not members
        status, answer = await api.send("POST", f"{phlo.node}/", {
            "action": "call", "to": customer, "role": "customer", "trigger_source": trigger})
        assert status == 409 and answer["error"], answer
    status, answer = await api.send("POST", f"{phlo.node}/", {
        "action": "call", "to": AGENT_A, "trigger_source": AGENT_A})
    assert status == 409, answer  # already a member
    status, answer = await api.send("DELETE", f"{phlo.node}/")
    assert status == 409, answer  # live members
    await api.act(phlo, SIP_A, "hangup")
    await api.wait_member(phlo, SIP_A, "left")
    status, _ = await api.send("DELETE", f"{phlo.node}/")
    assert status == 204
    status, _ = await api.send("GET", f"{phlo.node}/")
    assert status == 404


async def test_a_customer_alone_hears_music_a_cold_transfer_keeps_the_call_and_goodbye(
    http: aiohttp.ClientSession, ears: Ears,
) -> None:
    api = Api(http)
    phlo = await api.create()
    customer = number("0100")  # says "hello" once, then is silent: a listener
    before = ears.calls_to(customer)
    await api.add(phlo, AGENT_A, "agent", AGENT_A)
    await api.wait_member(phlo, SIP_A, "connected")
    await api.add(phlo, customer, "customer", SIP_A)
    await api.wait_member(phlo, f"+{customer}", "connected")
    await asyncio.sleep(2)
    talking = now()
    await asyncio.sleep(2)

    # The agent holds itself: the customer is alone in the mix and hears music on hold.
    await api.act(phlo, SIP_A, "hold")
    alone = now()
    await asyncio.sleep(3)
    await api.act(phlo, SIP_A, "unhold")
    await asyncio.sleep(1)

    # A cold transfer to the other agent: the first leaves at once, the call goes on.
    status, answer = await api.send("POST", f"{phlo.node}/members/{SIP_A}/",
                                    {"action": "cold_transfer", "to": AGENT_B})
    assert status == 200 and answer["error"] == "", answer
    await api.wait_member(phlo, SIP_A, "left")
    await api.wait_member(phlo, SIP_B, "connected")
    assert (await api.members(phlo))[f"+{customer}"]["state"] == "connected"
    await asyncio.sleep(2)

    # The last agent leaves: the customer hears the goodbye, then is hung up.
    await api.act(phlo, SIP_B, "hangup")
    agent_gone = now()
    await api.wait_member(phlo, f"+{customer}", "left", timeout=30)
    heard = await ears.heard(customer, before)
    assert level(heard, AGENT_HZ, talking, alone) > 500  # the agent, in the mix
    music = sox_stat(heard.path, (heard.offset(alone) + 1.0, 2.0))
    assert not tone_heard(heard, AGENT_HZ, alone + 0.5, alone + 3)  # the agent is out…
    assert music["RMS     amplitude"] > 0.005, music  # …and music plays instead
    goodbye = sox_stat(heard.path, (heard.offset(agent_gone) + 0.3, 1.5))
    assert goodbye["RMS     amplitude"] > 0.005, goodbye
    assert heard.ended - agent_gone < 10  # hung up after the message


async def test_a_warm_transfer_brings_a_second_agent_in_and_can_be_aborted(
    http: aiohttp.ClientSession,
) -> None:
    api = Api(http)
    phlo = await api.create()
    customer = number("1000")
    await api.add(phlo, AGENT_A, "agent", AGENT_A)
    await api.wait_member(phlo, SIP_A, "connected")
    await api.add(phlo, customer, "customer", SIP_A)
    await api.wait_member(phlo, f"+{customer}", "connected")
    status, answer = await api.send("POST", f"{phlo.node}/members/{SIP_A}/",
                                    {"action": "abort_transfer"})
    assert status == 409, answer  # nothing to abort yet

    # Plivo's SDK sends the transfer to the node, trigger_source naming the transferer.
    status, answer = await api.send("POST", f"{phlo.node}/", {
        "action": "warm_transfer", "to": AGENT_B, "trigger_source": SIP_A})
    assert status == 200 and answer["error"] == "", answer
    await api.wait_member(phlo, SIP_B, "connected")
    await api.act(phlo, SIP_A, "abort_transfer")
    await api.wait_member(phlo, SIP_B, "left")
    members = await api.members(phlo)
    assert members[SIP_A]["state"] == members[f"+{customer}"]["state"] == "connected"

    status, answer = await api.send("POST", f"{phlo.node}/members/{SIP_A}/",
                                    {"action": "warm_transfer", "to": f"sip:{AGENT_B}@pbx"})
    assert status == 200, answer
    await api.wait_member(phlo, SIP_B, "connected")
    await api.act(phlo, SIP_A, "hangup")  # the transferer leaves: the transfer completes
    await api.wait_member(phlo, SIP_A, "left")
    await asyncio.sleep(1)
    members = await api.members(phlo)
    assert members[SIP_B]["state"] == members[f"+{customer}"]["state"] == "connected"
    await api.act(phlo, SIP_B, "hangup")
    await api.wait_member(phlo, f"+{customer}", "left", timeout=30)
