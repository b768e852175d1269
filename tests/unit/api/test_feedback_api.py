"""The feedback routes over real HTTP, with an in-memory store (the real one: integration)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engine.api.app import ApiDeps, build_app
from engine.api.plivo.feedback import FeedbackResources
from engine.domain.feedback import Feedback, FeedbackSummary
from engine.lifecycle import Lifecycle
from engine.services.feedback import FeedbackService
from engine.store.feedback import FeedbackRecord
from tests.unit.api.support import TOKENS, FakeAuthenticator, FakeReadiness

ENDED = "9834029e-58b6-11e1-b8b7-a5bd0e4e126f"
LIVE = "0f4c1d2e-0000-4000-8000-000000000001"
OTHERS = "0f4c1d2e-0000-4000-8000-000000000002"
SHORT_ID = "57362de4f0"


def basic(account: str = "account_1", token: str | None = None) -> dict[str, str]:
    secret = token if token is not None else TOKENS[account]
    return {"Authorization": "Basic " + base64.b64encode(f"{account}:{secret}".encode()).decode()}


class MemoryStore:
    def __init__(self) -> None:
        self.calls = {("account_1", ENDED): True, ("account_1", LIVE): False,
                      ("account_2", OTHERS): True, ("account_1", SHORT_ID): True}
        self.rows: list[FeedbackRecord] = []

    async def insert(self, account_id: str, request_id: str, feedback: Feedback,
                     api_id: str) -> FeedbackRecord | None:
        if not self.calls.get((account_id, request_id)):
            return None
        record = FeedbackRecord(request_id, account_id, feedback, api_id, datetime.now(UTC))
        self.rows.append(record)
        return record

    async def call_ended(self, account_id: str, request_id: str) -> bool | None:
        return self.calls.get((account_id, request_id))

    async def latest(self, account_id: str, request_id: str) -> FeedbackRecord | None:
        mine = [r for r in self.rows if (r.account_id, r.request_id) == (account_id, request_id)]
        return mine[-1] if mine else None

    async def summary(self, account_id: str, start: datetime | None,
                      end: datetime | None) -> FeedbackSummary:
        mine = [r for r in self.rows if r.account_id == account_id]
        counts: dict[str, int] = {}
        for r in mine:
            for issue in r.feedback.issues:
                counts[issue] = counts.get(issue, 0) + 1
        mean = sum(r.feedback.rating for r in mine) / len(mine) if mine else None
        return FeedbackSummary(len(mine), mean, counts)


@dataclass
class Running:
    client: TestClient[Any, Any]
    store: MemoryStore
    service: FeedbackService


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    authenticator = FakeAuthenticator(TOKENS)
    store = MemoryStore()
    service = FeedbackService(store)
    deps = ApiDeps(authenticator=authenticator, readiness=FakeReadiness(db=True),
                   lifecycle=Lifecycle())
    app = build_app(deps, [FeedbackResources(service, authenticator)])
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    yield Running(client, store, service)
    await client.close()


async def post(running: Running, call_uuid: str, body: Any, *, headers: dict[str, str] | None
               = None, form: bool = False) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"data": body} if form else {"json": body}
    async with running.client.post(f"/v1/Call/{call_uuid}/Feedback/",
                                   headers=headers or basic(), **kwargs) as response:
        return response.status, await response.json()


async def test_the_seed_body_is_posted(running: Running) -> None:
    body = {"call_uuid": ENDED, "rating": "3", "issues": "ECHO", "Notes": "It's intermittent"}
    status, answer = await post(running, ENDED, body)
    assert status == 201, answer
    assert answer["message"] == "Feedback has been posted"
    assert answer["status"] == "success"
    assert len(answer["api_id"]) == 36
    latest = await running.service.latest("account_1", ENDED)
    assert latest is not None
    assert latest.feedback == Feedback(3.0, ("ECHO",), "It's intermittent")


async def test_sdk_shape_and_form_bodies(running: Running) -> None:
    status, _ = await post(running, ENDED, {"rating": 4.5, "issues": ["AUDIO_LAG"],
                                            "notes": "ok"})
    assert status == 201
    status, _ = await post(running, SHORT_ID, {"rating": "2", "issues": "ECHO,ONE_WAY_AUDIO"},
                           form=True)
    assert status == 201
    record = await running.service.latest("account_1", SHORT_ID)
    assert record is not None and record.feedback.issues == ("ECHO", "ONE_WAY_AUDIO")
    # JSON sent as a form (Plivo's curl example: -d '{...}' without a Content-Type).
    async with running.client.post(f"/v1/Call/{ENDED}/Feedback/", headers=basic(),
                                   data='{"rating": "5"}') as response:
        assert response.status == 201
    latest = await running.service.latest("account_1", ENDED)
    assert latest is not None and latest.feedback.rating == 5.0


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"rating": "6", "issues": "ECHO"}, 422, "Rating has to be a float"),
    ({"issues": "ECHO"}, 422, "Rating has to be a float"),
    ({"rating": "3"}, 422, "Issues have to be"),
    ({"rating": "3", "issues": "NOISE"}, 422, "Issues have to be"),
    ({"rating": 5, "notes": "x" * 1001}, 422, "Notes"),
    ({"rating": 5, "call_uuid": OTHERS}, 400, "does not match"),
])
async def test_validation(running: Running, body: dict[str, Any], status: int,
                          fragment: str) -> None:
    got, answer = await post(running, ENDED, body)
    assert got == status, answer
    assert fragment in answer["error"]
    assert set(answer) == {"api_id", "error"}
    assert running.store.rows == []


async def test_malformed_json(running: Running) -> None:
    async with running.client.post(f"/v1/Call/{ENDED}/Feedback/", data=b"{not json",
                                   headers={**basic(), "Content-Type": "application/json"}
                                   ) as response:
        assert response.status == 400
        assert "error" in await response.json()


@pytest.mark.parametrize("call_uuid", [OTHERS, "0f4c1d2e-0000-4000-8000-00000000ffff",
                                       "not-a-call"])
async def test_unknown_and_other_accounts_calls_look_alike(running: Running,
                                                           call_uuid: str) -> None:
    status, answer = await post(running, call_uuid, {"rating": 5})
    assert status == 404
    assert answer["error"] == "Please check the Call UUID"


async def test_a_live_call_is_refused(running: Running) -> None:
    status, answer = await post(running, LIVE, {"rating": 5})
    assert status == 404
    assert answer["error"].startswith("Please check the Call UUID")
    assert "in progress" in answer["error"]


@pytest.mark.parametrize("headers", [{}, basic(token="wrong"),
                                     {"Authorization": "Basic !!!"},
                                     {"account": "account_1", "auth": "token-one"}])
async def test_basic_auth_required(running: Running, headers: dict[str, str]) -> None:
    async with running.client.post(f"/v1/Call/{ENDED}/Feedback/", json={"rating": 5},
                                   headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert set(await response.json()) == {"api_id", "error"}


async def test_report(running: Running) -> None:
    await post(running, ENDED, {"rating": 3, "issues": ["ECHO", "AUDIO_LAG"]})
    await post(running, ENDED, {"rating": 4, "issues": "ECHO"})
    async with running.client.get("/v1/Account/account_1/Feedback/?from=2020-01-01",
                                   headers=basic()) as response:
        assert response.status == 200
        report = await response.json()
    assert report["feedback_count"] == 2
    assert report["mean_rating"] == 3.5
    assert report["issues"]["ECHO"] == 2 and report["issues"]["AUDIO_LAG"] == 1
    assert report["from"].startswith("2020-01-01T00:00:00")
    async with running.client.get("/v1/Account/account_2/Feedback/",
                                  headers=basic()) as response:
        assert response.status == 401
    async with running.client.get("/v1/Account/account_1/Feedback/?from=junk",
                                  headers=basic()) as response:
        assert response.status == 422
