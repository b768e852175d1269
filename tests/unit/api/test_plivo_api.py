"""The Plivo Call API over real HTTP: the real app, service and call state machine.

Only the edges are stand-ins: an in-memory router that applies the real flow
(``engine.domain.flow``) and keeps the commands it would execute, an admission that fires,
queues or refuses, and a delivery log. The real stack: tests/integration/test_plivo_api.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engine.api.app import ApiDeps, build_app
from engine.api.plivo import PlivoCallResources
from engine.domain.call import Call, CallState
from engine.domain.commands import (
    Command,
    Fetch,
    FetchMedia,
    Hangup,
    RecordChannel,
    SendDtmf,
    StopPlayback,
    StopRecording,
    Synthesize,
)
from engine.domain.errors import NotFound, TooManyRequests
from engine.domain.events import CallEvent, LegAnswered, LegGone
from engine.domain.flow import FlowConfig, advance, begin
from engine.domain.ids import is_call_uuid
from engine.domain.numbers import Extension, External
from engine.domain.programs.verbs import Redirect
from engine.domain.voices import VoiceCatalogue, espeak_voices
from engine.lifecycle import Lifecycle
from engine.services.click2call import TelephonyRules
from engine.services.plivo_calls import PlivoCallService
from tests.unit.api.support import (
    AUTH,
    TOKENS,
    EchoResource,
    FakeAuthenticator,
    FakeReadiness,
    envelope,
)

CONFIG = FlowConfig(dial_timeout=30)
RULES = TelephonyRules(("101", "102"), "US")
CALLS = "/v1/Account/account_1/Call/"
SEED_BODY = {  # the seed's "Successful call" request, exactly
    "from": "+14152225555", "to": "+14152223333", "answer_url": "https://answer.url",
    "answer_method": "POST", "ring_url": "https://ring.url", "ring_method": "POSt",
    "hangup_url": "https://hangup.url", "hangup_method": "POST",
    "fallback_url": "https://fallback.url", "fallback_method": "POST",
    "caller_name": "friendly_name", "send_digits": "1w2W3", "send_on_preanswer": "true",
    "time_limit": "300",
}
SIMPLE = {"from": "14152225555", "to": "14152223333", "answer_url": "https://app.test/a.xml"}


def basic(account: str = "account_1", token: str | None = None) -> dict[str, str]:
    secret = token if token is not None else TOKENS[account]
    raw = base64.b64encode(f"{account}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


class MemoryRouter:
    """Calls kept in memory, advanced by the real flow; the store of ended ones too."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.commands: list[Command] = []

    async def launch(self, call: Call) -> Call:
        call, commands = begin(call, CONFIG)
        self.calls[call.request_id] = call
        self.commands.extend(commands)
        return call

    def live_calls(self, account_id: str) -> list[Call]:
        return [c for c in self.calls.values() if c.account_id == account_id and c.live]

    async def request(self, account_id: str, channel: str,
                      make_event: Callable[[str], CallEvent]) -> Call:
        call = self.calls.get(channel)
        if call is None or call.account_id != account_id or not call.live_legs():
            raise NotFound("no live call has that channel")
        return self.apply(call, make_event(call.live_legs()[0].channel_id))

    def apply(self, call: Call, event: CallEvent) -> Call:
        updated, commands = advance(call, event, CONFIG)
        self.calls[call.request_id] = updated
        self.commands.extend(commands)
        return updated

    def answer(self, request_id: str) -> Call:
        call = self.calls[request_id]
        return self.apply(call, LegAnswered(call.legs[0].channel_id, datetime.now(UTC)))

    def since(self, mark: int) -> list[Command]:
        return self.commands[mark:]

    async def stored_call(self, account_id: str, request_id: str) -> Call | None:
        call = self.calls.get(request_id)
        return call if call is not None and call.account_id == account_id else None


class TestAdmission:
    """Fires (through the router), queues, or refuses, as the test says."""

    __test__ = False

    def __init__(self, router: MemoryRouter) -> None:
        self.router = router
        self.mode: Literal["fired", "queued", "full"] = "fired"
        self.full_after: int | None = None
        self.queued: list[Call] = []
        self.submitted: list[Call] = []

    async def submit(self, call: Call) -> Literal["fired", "queued"]:
        if self.mode == "full" or (self.full_after is not None
                                   and len(self.submitted) >= self.full_after):
            raise TooManyRequests("too many calls waiting")
        self.submitted.append(call)
        if self.mode == "queued":
            self.queued.append(call)
            return "queued"
        await self.router.launch(call)
        return "fired"

    async def cancel(self, account_id: str, request_id: str) -> bool:
        found = [c for c in self.queued if (c.account_id, c.request_id) == (account_id,
                                                                             request_id)]
        for call in found:
            self.queued.remove(call)
        return bool(found)

    async def is_queued(self, account_id: str, request_id: str) -> bool:
        return any((c.account_id, c.request_id) == (account_id, request_id)
                   for c in self.queued)


@dataclass(frozen=True)
class Delivery:
    kind: str
    created_at: datetime
    attempt_log: tuple[tuple[int, datetime, int], ...]


class MemoryDeliveries:
    def __init__(self) -> None:
        self.rows: dict[str, list[Any]] = {}

    async def deliveries(self, account_id: str, request_id: str) -> Sequence[Any]:
        return self.rows.get(request_id, [])


@dataclass
class Plivo:
    client: TestClient[Any, Any]
    router: MemoryRouter
    admission: TestAdmission
    deliveries: MemoryDeliveries
    lifecycle: Lifecycle
    auth: dict[str, str] = field(default_factory=basic)

    async def make(self, body: Mapping[str, Any] | None = None, account: str = "account_1"
                   ) -> str:
        response = await self.client.post(f"/v1/Account/{account}/Call/",
                                          json=dict(body or SIMPLE), headers=basic(account))
        assert response.status == 201, await response.text()
        uuid: str = (await response.json())["request_uuid"]
        return uuid

    async def answered(self, account: str = "account_1") -> str:
        uuid = await self.make(account=account)
        self.router.answer(uuid)
        return uuid


async def start_plivo(tokens: Mapping[str, str] = TOKENS) -> Plivo:
    """The real app with the Plivo resources (and a seed-API route) on a test server."""
    authenticator = FakeAuthenticator(tokens)
    router = MemoryRouter()
    admission = TestAdmission(router)
    deliveries = MemoryDeliveries()
    catalogue = VoiceCatalogue(espeak_voices(["en-us", "en-gb"]))
    service = PlivoCallService(router, admission, router, RULES, lambda: catalogue)
    lifecycle = Lifecycle()
    deps = ApiDeps(authenticator=authenticator, readiness=FakeReadiness(db=True),
                   lifecycle=lifecycle, max_body_bytes=64 * 1024)
    resources = PlivoCallResources(service, authenticator, deliveries=deliveries)
    client: TestClient[Any, Any] = TestClient(TestServer(build_app(
        deps, [resources, EchoResource()])))
    await client.start_server()
    return Plivo(client, router, admission, deliveries, lifecycle)


@pytest.fixture
async def plivo() -> AsyncIterator[Plivo]:
    running = await start_plivo()
    yield running
    await running.client.close()


async def plivo_error(response: Any, status: int) -> str:
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body) == {"api_id", "error"}, body
    assert is_call_uuid(body["api_id"])
    message: str = body["error"]
    return message


# ---- making calls ----------------------------------------------------------------------------


async def test_the_seeds_exact_body_fires_a_call(plivo: Plivo) -> None:
    response = await plivo.client.post(CALLS, data=json.dumps(SEED_BODY),
                                       headers={**plivo.auth,
                                                "Content-Type": "application/json"})
    assert response.status == 201
    body = await response.json()
    assert list(body) == ["api_id", "message", "request_uuid"] or set(body) == {
        "api_id", "message", "request_uuid"}
    assert body["message"] == "call fired"
    assert is_call_uuid(body["request_uuid"]) and is_call_uuid(body["api_id"])
    call = plivo.router.calls[body["request_uuid"]]
    assert call.caller_id == "14152225555"
    assert call.customer == External("14152223333")
    assert call.state is CallState.DIALING_CUSTOMER
    api = call.api
    assert api is not None
    assert (api.from_number, api.to) == ("+14152225555", "+14152223333")
    assert api.ring is not None and api.ring.method == "POST"  # "POSt"
    assert (api.time_limit, api.send_digits, api.send_on_preanswer) == (300, "1w2W3", True)
    assert api.caller_name == "friendly_name"
    # send_on_preanswer: the digits go while ringing, so the program is the answer_url only.
    assert call.answer_program == (Redirect("https://answer.url", "POST", attempts=3,
                                            deadline_seconds=60.0,
                                            fallback_url="https://fallback.url",
                                            fallback_method="POST"),)


@pytest.mark.parametrize("content_type", ["", "text/plain"])
async def test_a_json_body_without_the_json_header_is_json(plivo: Plivo,
                                                           content_type: str) -> None:
    headers = {**plivo.auth, **({"Content-Type": content_type} if content_type else {})}
    response = await plivo.client.post(CALLS, data=json.dumps(SEED_BODY).encode(),
                                       headers=headers)
    assert response.status == 201, await response.text()


async def test_a_form_body_works_as_json_does(plivo: Plivo) -> None:
    response = await plivo.client.post(CALLS, data={**SEED_BODY, "send_digits": "12@500"},
                                       headers=plivo.auth)
    assert response.status == 201, await response.text()
    call = plivo.router.calls[(await response.json())["request_uuid"]]
    assert call.api is not None
    assert (call.api.send_digits, call.api.send_digits_tone_ms) == ("12", 500)


async def test_queued_calls_answer_200_call_queued(plivo: Plivo) -> None:
    plivo.admission.mode = "queued"
    response = await plivo.client.post(CALLS, json=SIMPLE, headers=plivo.auth)
    assert response.status == 200
    body = await response.json()
    assert body["message"] == "call queued"
    assert [c.request_id for c in plivo.admission.queued] == [body["request_uuid"]]
    details = await plivo.client.get(f"{CALLS}{body['request_uuid']}/?status=queued",
                                     headers=plivo.auth)
    assert (await details.json())["call_status"] == "queued"
    cancelled = await plivo.client.delete(
        f"/v1/Account/account_1/Request/{body['request_uuid']}/", headers=plivo.auth)
    assert cancelled.status == 204
    assert plivo.admission.queued == []


async def test_a_full_queue_is_429(plivo: Plivo) -> None:
    plivo.admission.mode = "full"
    response = await plivo.client.post(CALLS, json=SIMPLE, headers=plivo.auth)
    assert "too many" in await plivo_error(response, 429)


async def test_bulk_calls_one_per_destination(plivo: Plivo) -> None:
    to = "14152223333<sip:101@pbx.example<+442079460000"
    response = await plivo.client.post(CALLS, json={**SIMPLE, "to": to}, headers=plivo.auth)
    assert response.status == 201
    ids = (await response.json())["request_uuid"]
    assert isinstance(ids, list) and len(ids) == 3 and len(set(ids)) == 3
    calls = [plivo.router.calls[i] for i in ids]
    assert [c.customer for c in calls] == [External("14152223333"), Extension("101"),
                                           External("442079460000")]
    assert [c.api.to for c in calls if c.api] == to.split("<")


async def test_a_bulk_request_stopped_by_the_queue_bound_names_the_calls_started(
        plivo: Plivo) -> None:
    plivo.admission.full_after = 2
    response = await plivo.client.post(CALLS, json={**SIMPLE, "to": "14152223333<"
                                                    "14152223334<14152223335"},
                                       headers=plivo.auth)
    assert response.status == 429
    body = await response.json()
    assert body["request_uuid"] == [c.request_id for c in plivo.admission.submitted]
    assert "2 of the 3" in body["error"]


@pytest.mark.parametrize(("change", "field"), [
    ({"from": ""}, "from"),
    ({"to": "12"}, "to"),
    ({"to": "sip:999@pbx"}, "to"),
    ({"answer_url": "ftp://x"}, "answer_url"),
    ({"answer_method": "PUT"}, "answer_method"),
    ({"time_limit": "0"}, "time_limit"),
    ({"machine_detection": "maybe"}, "machine_detection"),
    ({"sip_headers": "a=b-c"}, "sip_headers"),
    ({"caller_name": "x" * 51}, "caller_name"),
    ({"colour": "blue"}, "colour"),
])
async def test_invalid_parameters_are_400_naming_them(plivo: Plivo, change: dict[str, str],
                                                      field: str) -> None:
    response = await plivo.client.post(CALLS, json={**SIMPLE, **change}, headers=plivo.auth)
    assert field in await plivo_error(response, 400)
    assert plivo.router.calls == {}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
async def test_unreadable_bodies_are_400(plivo: Plivo, body: bytes) -> None:
    response = await plivo.client.post(CALLS, data=body, headers={
        **plivo.auth, "Content-Type": "application/json"})
    await plivo_error(response, 400)


async def test_parent_call_uuid_must_be_a_live_call_of_the_account_only_if_asked(
        plivo: Plivo) -> None:
    others = await plivo.make(account="account_2")
    strict = {**SIMPLE, "parent_call_uuid": others, "error_if_parent_not_found": "true"}
    response = await plivo.client.post(CALLS, json=strict, headers=plivo.auth)
    assert "parent_call_uuid" in await plivo_error(response, 400)
    lenient = await plivo.make({**SIMPLE, "parent_call_uuid": others})
    assert plivo.router.calls[lenient].api is not None
    assert plivo.router.calls[lenient].api.parent_call_uuid == ""  # type: ignore[union-attr]
    mine = await plivo.make()
    child = await plivo.make({**strict, "parent_call_uuid": mine})
    assert plivo.router.calls[child].api.parent_call_uuid == mine  # type: ignore[union-attr]


# ---- auth, errors, routing -------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {},
    basic(token="wrong"),
    basic("account_2"),  # a valid login, but the path names account_1
    {"Authorization": "Basic !!!"},
    {"Authorization": "Bearer token-one"},
])
async def test_bad_logins_are_401_alike(plivo: Plivo, headers: dict[str, str]) -> None:
    for method, path in (("POST", CALLS), ("GET", f"{CALLS}?status=live"),
                         ("DELETE", f"{CALLS}0f4c1d2e-0000-4000-8000-000000000001/")):
        response = await plivo.client.request(method, path, json=SIMPLE, headers=headers)
        assert await plivo_error(response, 401) == "Authentication failed"
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert plivo.router.calls == {}


async def test_a_wrong_method_on_a_known_path_is_405_in_plivos_shape(plivo: Plivo) -> None:
    response = await plivo.client.put(CALLS, json=SIMPLE, headers=plivo.auth)
    assert "PUT" in await plivo_error(response, 405)
    assert "POST" in response.headers["Allow"]


async def test_unknown_plivo_paths_are_404_in_plivos_shape(plivo: Plivo) -> None:
    response = await plivo.client.get("/v1/Account/account_1/Nothing/", headers=plivo.auth)
    await plivo_error(response, 404)


async def test_the_seed_api_keeps_its_envelope(plivo: Plivo) -> None:
    response = await plivo.client.get("/api/raise/not_found", headers=AUTH)
    assert response.status == 404
    assert (await envelope(response))["error"] == "not_found"
    refused = await plivo.client.get("/api/raise/not_found")
    assert (await envelope(refused))["error"] == "unauthorized"


async def test_paths_without_the_trailing_slash_work_too(plivo: Plivo) -> None:
    response = await plivo.client.post(CALLS.rstrip("/"), json=SIMPLE, headers=plivo.auth)
    assert response.status == 201


async def test_draining_refuses_plivo_requests_in_plivos_shape(plivo: Plivo) -> None:
    plivo.lifecycle.start_draining()
    response = await plivo.client.post(CALLS, json=SIMPLE, headers=plivo.auth)
    await plivo_error(response, 503)


# ---- live calls ------------------------------------------------------------------------------


async def test_live_list_and_details(plivo: Plivo) -> None:
    ringing = await plivo.make()
    answered = await plivo.answered()
    await plivo.make(account="account_2")
    listed = await plivo.client.get(f"{CALLS}?status=live", headers=plivo.auth)
    assert listed.status == 200
    assert sorted((await listed.json())["calls"]) == sorted([ringing, answered])
    statuses = {}
    for uuid in (ringing, answered):
        response = await plivo.client.get(f"{CALLS}{uuid}/?status=live", headers=plivo.auth)
        body = await response.json()
        assert (body["call_uuid"], body["request_uuid"], body["direction"]) == (
            uuid, uuid, "outbound")
        assert (body["from"], body["to"]) == ("14152225555", "14152223333")
        statuses[uuid] = body["call_status"]
    assert statuses == {ringing: "ringing", answered: "in-progress"}
    no_status = await plivo.client.get(CALLS, headers=plivo.auth)
    await plivo_error(no_status, 400)


async def test_hang_up_then_the_record_of_the_ended_call(plivo: Plivo) -> None:
    uuid = await plivo.answered()
    mark = len(plivo.router.commands)
    response = await plivo.client.delete(f"{CALLS}{uuid}/", headers=plivo.auth)
    assert response.status == 204
    call = plivo.router.calls[uuid]
    assert [c.channel_id for c in plivo.router.since(mark) if isinstance(c, Hangup)] == [
        call.legs[0].channel_id]
    plivo.router.apply(call, LegGone(call.legs[0].channel_id, datetime.now(UTC), 16))
    assert plivo.router.calls[uuid].state is CallState.ENDED
    details = await plivo.client.get(f"{CALLS}{uuid}/", headers=plivo.auth)
    body = await details.json()
    assert body["call_uuid"] == uuid and body["call_direction"] == "outbound"
    assert (body["from_number"], body["to_number"]) == ("14152225555", "14152223333")
    assert (body["call_status"], body["hangup_source"]) == ("completed", "API Request")
    assert (body["hangup_cause_code"], body["hangup_cause_name"]) == (4000, "Normal Hangup")
    assert body["resource_uri"] == f"{CALLS}{uuid}/"
    assert body["answer_time"] is not None and body["end_time"] is not None
    assert body["bill_duration"] == body["call_duration"] >= 0
    live = await plivo.client.get(f"{CALLS}{uuid}/?status=live", headers=plivo.auth)
    await plivo_error(live, 404)
    again = await plivo.client.delete(f"{CALLS}{uuid}/", headers=plivo.auth)
    await plivo_error(again, 404)


async def test_another_accounts_call_looks_unknown(plivo: Plivo) -> None:
    theirs = await plivo.answered(account="account_2")
    unknown = "0f4c1d2e-0000-4000-8000-000000000009"
    for uuid in (theirs, unknown, "not-a-uuid"):
        for method, suffix, body in (
                ("GET", "", None), ("DELETE", "", None),
                ("POST", "", {"aleg_url": "https://app.test/b.xml"}),
                ("POST", "Play/", {"urls": "https://app.test/m.wav"}),
                ("POST", "Speak/", {"text": "hi"}), ("POST", "DTMF/", {"digits": "1"}),
                ("POST", "Record/", {}), ("DELETE", "Record/", None)):
            response = await plivo.client.request(method, f"{CALLS}{uuid}/{suffix}",
                                                  json=body, headers=plivo.auth)
            await plivo_error(response, 404)
    assert plivo.router.calls[theirs].live


async def test_transfer_replaces_the_program_with_the_new_url(plivo: Plivo) -> None:
    uuid = await plivo.make()
    early = await plivo.client.post(f"{CALLS}{uuid}/", json={
        "legs": "aleg", "aleg_url": "https://app.test/next.xml"}, headers=plivo.auth)
    assert "not in progress" in await plivo_error(early, 400)
    plivo.router.answer(uuid)
    mark = len(plivo.router.commands)
    response = await plivo.client.post(f"{CALLS}{uuid}/", json={
        "legs": "aleg", "aleg_url": "https://app.test/next.xml", "aleg_method": "get"},
        headers=plivo.auth)
    assert response.status == 202
    assert (await response.json())["message"] == "call transferred"
    fetches = [c for c in plivo.router.since(mark) if isinstance(c, Fetch)]
    assert [(f.url, f.method) for f in fetches] == [("https://app.test/next.xml", "GET")]
    bleg = await plivo.client.post(f"{CALLS}{uuid}/", json={
        "legs": "bleg", "aleg_url": "https://app.test/next.xml"}, headers=plivo.auth)
    assert "legs" in await plivo_error(bleg, 400)


async def test_play_speak_dtmf_and_record_on_a_live_call(plivo: Plivo) -> None:
    uuid = await plivo.answered()
    path = f"{CALLS}{uuid}"
    mark = len(plivo.router.commands)
    play = await plivo.client.post(f"{path}/Play/", json={
        "urls": "https://app.test/a.wav,https://app.test/b.wav", "loop": "false"},
        headers=plivo.auth)
    assert (play.status, (await play.json())["message"]) == (202, "play started")
    speak = await plivo.client.post(f"{path}/Speak/", data={"text": "Hello there",
                                                            "voice": "MAN"},
                                    headers=plivo.auth)
    assert (speak.status, (await speak.json())["message"]) == (202, "speak started")
    dtmf = await plivo.client.post(f"{path}/DTMF/", json={"digits": "12w#", "leg": "aleg"},
                                   headers=plivo.auth)
    assert (dtmf.status, (await dtmf.json())["message"]) == (202, "digits sent")
    record = await plivo.client.post(f"{path}/Record/", json={}, headers=plivo.auth)
    assert record.status == 202
    recorded = await record.json()
    assert recorded["message"] == "call recording started"
    assert recorded["url"].endswith(f"/api/recordings/{recorded['recording_id']}.wav")
    commands = plivo.router.since(mark)
    # URLs are downloaded (through the guard) before they play.
    downloads = [c for c in commands if isinstance(c, FetchMedia)]
    assert [d.url for d in downloads] == ["https://app.test/a.wav", "https://app.test/b.wav"]
    speech = [c for c in commands if isinstance(c, Synthesize)]
    assert [s.utterance.parts[0].text for s in speech] == ["Hello there"]
    assert [c.digits for c in commands if isinstance(c, SendDtmf)] == ["12w#"]
    assert [c.name for c in commands if isinstance(c, RecordChannel)] == [
        recorded["recording_id"]]
    mark = len(plivo.router.commands)
    for suffix in ("Play/", "Speak/", "Record/"):
        stopped = await plivo.client.delete(f"{path}/{suffix}", headers=plivo.auth)
        assert stopped.status == 204
    stops = plivo.router.since(mark)
    assert any(isinstance(c, StopPlayback) for c in stops)
    assert [c.name for c in stops if isinstance(c, StopRecording)] == [
        recorded["recording_id"]]


@pytest.mark.parametrize(("suffix", "body", "field"), [
    ("Play/", {}, "urls"),
    ("Play/", {"urls": "file:///etc/passwd"}, "urls"),
    ("Play/", {"urls": "https://a.test/x.wav", "mix": "false"}, "mix"),
    ("Play/", {"urls": "https://a.test/x.wav", "length": "5"}, "length"),
    ("Speak/", {}, "text"),
    ("Speak/", {"text": "hi", "voice": "Nobody"}, "voice"),
    ("DTMF/", {"digits": "12x"}, "digits"),
    ("DTMF/", {"digits": "1", "leg": "bleg"}, "leg"),
    ("Record/", {"file_format": "mp3"}, "file_format"),
    ("", {"aleg_url": "javascript:alert(1)"}, "aleg_url"),
])
async def test_live_actions_refuse_what_they_cannot_do(plivo: Plivo, suffix: str,
                                                       body: dict[str, str],
                                                       field: str) -> None:
    uuid = await plivo.answered()
    response = await plivo.client.post(f"{CALLS}{uuid}/{suffix}", json=body,
                                       headers=plivo.auth)
    assert field in await plivo_error(response, 400)


async def test_the_webhook_delivery_log(plivo: Plivo) -> None:
    uuid = await plivo.make()
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    plivo.deliveries.rows[uuid] = [
        {"kind": "ring", "url": "https://ring.url", "status": 200, "attempts": 1},
        Delivery("hangup", at, ((1, at, 503), (2, at, 200)))]
    response = await plivo.client.get(f"{CALLS}{uuid}/Webhooks/", headers=plivo.auth)
    assert response.status == 200
    body = await response.json()
    assert body["call_uuid"] == uuid
    assert body["deliveries"] == [
        {"kind": "ring", "url": "https://ring.url", "status": 200, "attempts": 1},
        {"kind": "hangup", "created_at": "2025-01-02T03:04:05+00:00",
         "attempt_log": [[1, "2025-01-02T03:04:05+00:00", 503],
                         [2, "2025-01-02T03:04:05+00:00", 200]]}]
    theirs = await plivo.make(account="account_2")
    response = await plivo.client.get(f"{CALLS}{theirs}/Webhooks/", headers=plivo.auth)
    await plivo_error(response, 404)
