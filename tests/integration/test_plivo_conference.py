"""<Conference> through the Plivo API on the real stack: calls made with
``POST /v1/Account/{id}/Call/``, their answer_url documents served by the test's own
webhook server, the rooms mixed in ARI bridges, and what the carrier heard on each leg.

A 1xxx line plays 1000 Hz, a 01xx line says "hello" and is then silent: a listener.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.ari.query import basic_auth_header
from engine.settings import Settings
from tests.integration.helpers import CALLER_ID, eventually, finished_recording, number
from tests.integration.test_plivo_conference_edge import length_of, tone_level
from tests.integration.webhook_server import Received, WebhookServer

pytestmark = pytest.mark.integration
SPEAKER, LISTENER = "1000", "0100"
TOKENS = {"account_1": "test-token-1", "account_2": "test-token-2"}
HANGUP = "<Response><Hangup/></Response>"


def conference(name: str, **attributes: str) -> str:
    attrs = " ".join(f'{key}="{value}"' for key, value in attributes.items())
    return f"<Response><Conference {attrs}>{name}</Conference></Response>"


class Calls:
    def __init__(self, http: aiohttp.ClientSession, webhooks: WebhookServer,
                 heard: Path) -> None:
        self.http = http
        self.webhooks = webhooks
        self.heard = heard
        self.numbers: dict[str, str] = {}  # request_uuid -> number dialled
        self.accounts: dict[str, str] = {}

    async def make(self, line: str, answer_path: str, account: str = "account_1") -> str:
        """One API call to a carrier line; its request_uuid (= CallUUID)."""
        to = number(line)
        body = {"from": CALLER_ID, "to": to, "answer_url": self.webhooks.url(answer_path),
                "answer_method": "POST", "hangup_url": self.webhooks.url("/hangup")}
        async with self.http.post(f"/v1/Account/{account}/Call/", json=body,
                                  headers=basic_auth_header(account, TOKENS[account])) as r:
            answer: dict[str, Any] = await r.json()
            assert r.status == 201, answer
        request_uuid = str(answer["request_uuid"])
        self.numbers[request_uuid] = to
        self.accounts[request_uuid] = account
        return request_uuid

    async def hang_up(self, *request_uuids: str) -> None:
        for request_uuid in request_uuids:
            account = self.accounts[request_uuid]
            async with self.http.delete(
                    f"/v1/Account/{account}/Call/{request_uuid}/",
                    headers=basic_auth_header(account, TOKENS[account])) as r:
                assert r.status in (200, 204), await r.text()
        await self.ended(*request_uuids)

    async def ended(self, *request_uuids: str) -> None:
        async def all_ended() -> bool:
            done = {r.params.get("CallUUID") for r in self.webhooks.requests_to("/hangup")}
            return set(request_uuids) <= done
        await eventually(all_ended, timeout=30, what="the calls' hangup_url")

    async def recording(self, request_uuid: str) -> Path:
        """What the carrier heard on the call, once the carrier closed it."""
        to = self.numbers[request_uuid]

        async def closed() -> bool:
            log = self.heard / "answered.log"
            return log.exists() and any(line.split()[0] == to
                                        for line in log.read_text().splitlines())
        await eventually(closed, what=f"the carrier to close {to}")
        (path,) = [p for p in self.heard.glob(f"{to}-*.wav") if not p.name.endswith("-mix.wav")]
        return await finished_recording(path)


@pytest.fixture
def calls(http: aiohttp.ClientSession, webhooks: WebhookServer, settings: Settings) -> Calls:
    return Calls(http, webhooks, settings.var_dir / "asterisk" / "carrier" / "spool" / "heard")


def events(received: list[Received], action: str) -> dict[str, dict[str, str]]:
    """The conference callbacks of ``action`` (enter/exit), by CallUUID."""
    return {r.params["CallUUID"]: r.params for r in received
            if r.params.get("ConferenceAction") == action}


async def test_three_calls_mix_in_one_room_with_callbacks_and_a_muted_member(
    calls: Calls, webhooks: WebhookServer,
) -> None:
    room = f"Room {uuid.uuid4().hex[:6]}"
    callback = {"callbackUrl": webhooks.url("/conf-events"), "callbackMethod": "POST"}
    webhooks.serve("/listener", conference(room, **callback))
    webhooks.serve("/muted", conference(room, muted="true", **callback))
    webhooks.serve("/speaker", conference(room, enterSound="beep:1", **callback))
    listener = await calls.make(LISTENER, "/listener")
    muted = await calls.make(SPEAKER, "/muted")
    await webhooks.wait_for("/conf-events", 2)
    await asyncio.sleep(3)  # the two are in the room: the muted tone must not be heard
    speaker_joined_at = time.time()
    speaker = await calls.make(SPEAKER, "/speaker")
    await webhooks.wait_for("/conf-events", 3)
    await asyncio.sleep(3)
    await calls.hang_up(listener, muted, speaker)
    ended_at = time.time()

    received = webhooks.requests_to("/conf-events")
    entered, left = events(received, "enter"), events(received, "exit")
    assert set(entered) == set(left) == {listener, muted, speaker}
    for member, params in (*entered.items(), *left.items()):
        assert params["ConferenceName"] == room
        # …and the member call's own parameters, as on every request about a call.
        assert params["CallUUID"] == member and params["To"] == calls.numbers[member]
        assert params["From"] and params["Direction"] == "outbound"
    assert len({r.params["ConferenceUUID"] for r in received}) == 1
    assert sorted(p["ConferenceMemberID"] for p in entered.values()) == ["1", "2", "3"]
    assert all(r.method == "POST" for r in received)

    heard = await calls.recording(listener)
    joined = length_of(heard) - (ended_at - speaker_joined_at)
    muted_only = tone_level(heard, 1000, joined - 2.5, joined - 0.5)
    end = length_of(heard) - 0.5
    both = tone_level(heard, 1000, end - 2, end)
    assert both > 500 and muted_only < both / 20, (muted_only, both)


async def test_max_members_refuses_the_extra_call_and_its_program_goes_on(
    calls: Calls, webhooks: WebhookServer,
) -> None:
    room = f"Full {uuid.uuid4().hex[:6]}"
    webhooks.serve("/answer", conference(room, maxMembers="2",
                                         action=webhooks.url("/after"),
                                         callbackUrl=webhooks.url("/conf-events")))
    webhooks.serve("/after", HANGUP)
    first, second = await calls.make(SPEAKER, "/answer"), await calls.make(SPEAKER, "/answer")
    await webhooks.wait_for("/conf-events", 2)
    third = await calls.make(SPEAKER, "/answer")
    (after,) = await webhooks.wait_for("/after", 1)
    assert after.params["CallUUID"] == third and after.params["ConferenceName"] == room
    await calls.ended(third)  # its program went on: <Hangup/>
    assert third not in events(webhooks.requests_to("/conf-events"), "enter")
    await calls.hang_up(first, second)


async def test_end_conference_on_exit_ends_it_for_everyone(
    calls: Calls, webhooks: WebhookServer,
) -> None:
    room = f"Moderated {uuid.uuid4().hex[:6]}"
    webhooks.serve("/moderator", conference(room, endConferenceOnExit="true",
                                            callbackUrl=webhooks.url("/conf-events")))
    webhooks.serve("/member", conference(room, action=webhooks.url("/after"),
                                         callbackUrl=webhooks.url("/conf-events")))
    webhooks.serve("/after", HANGUP)
    moderator = await calls.make(SPEAKER, "/moderator")
    members = [await calls.make(SPEAKER, "/member") for _ in range(2)]
    await webhooks.wait_for("/conf-events", 3)
    await calls.hang_up(moderator)
    after = await webhooks.wait_for("/after", 2)
    assert {r.params["CallUUID"] for r in after} == set(members)
    await calls.ended(*members)
    left = events(webhooks.requests_to("/conf-events"), "exit")
    assert set(left) == {moderator, *members}


async def test_another_accounts_room_of_the_same_name_is_another_room(
    calls: Calls, webhooks: WebhookServer,
) -> None:
    room = f"Shared {uuid.uuid4().hex[:6]}"
    webhooks.serve("/answer", conference(room, maxMembers="1",
                                         callbackUrl=webhooks.url("/conf-events")))
    one = await calls.make(SPEAKER, "/answer", "account_1")
    two = await calls.make(SPEAKER, "/answer", "account_2")
    received = await webhooks.wait_for("/conf-events", 2)
    entered = events(received, "enter")
    assert set(entered) == {one, two}  # a room of one each: neither was refused
    assert entered[one]["ConferenceName"] == entered[two]["ConferenceName"] == room
    assert entered[one]["ConferenceUUID"] != entered[two]["ConferenceUUID"]
    assert entered[one]["ConferenceMemberID"] == entered[two]["ConferenceMemberID"] == "1"
    await calls.hang_up(one, two)
