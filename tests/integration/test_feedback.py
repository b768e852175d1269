"""Call quality feedback on the real stack: validation, whose calls, live calls, storage,
the account report, and Plivo's own SDK posting it."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import plivo
import plivo.exceptions
import plivo.rest.client
import pytest

from engine.settings import Settings
from tests.integration.helpers import (
    ANSWER,
    BUSY,
    CALLER_ID,
    call_api,
    leg_channel,
    number,
    wait_ended,
    wait_state,
)
from tests.integration.stack import ACCOUNT_1, ACCOUNT_2, BASE_URL

pytestmark = pytest.mark.integration

# Plivo's SDK only accepts auth ids shaped like Plivo's (MA + 18 characters).
SDK_ACCOUNT, SDK_TOKEN = "MAC2FEEDBACK00000001", "feedback-sdk-token"


def basic(headers: dict[str, str]) -> dict[str, str]:
    login = f"{headers['account']}:{headers['auth']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(login).decode()}


async def feedback(http: aiohttp.ClientSession, call_uuid: str, body: Any, *,
                   account: dict[str, str] = ACCOUNT_1,
                   form: bool = False) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"data": body} if form else {"json": body}
    async with http.post(f"/v1/Call/{call_uuid}/Feedback/", headers=basic(account),
                         **kwargs) as response:
        return response.status, await response.json()


async def ended_call(http: aiohttp.ClientSession,
                     account: dict[str, str] = ACCOUNT_1) -> str:
    """A click2call whose customer is busy: it ends on its own within seconds."""
    status, payload = await call_api(http, "POST", "/api/click2call", {
        "agent_number": "101", "caller_id": CALLER_ID, "destination_number": number(BUSY)},
        headers=account)
    assert status == 200, payload
    request_id: str = payload["response"]["request_id"]
    await wait_ended(http, request_id, headers=account)
    return request_id


async def stored(settings: Settings, request_id: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(settings.dsn)
    try:
        rows = await conn.fetch("SELECT * FROM call_feedback WHERE request_id = $1 ORDER BY id",
                                request_id)
    finally:
        await conn.close()
    return [dict(r) for r in rows]


INVALID: list[tuple[dict[str, Any], int, str]] = [
    ({"rating": "0", "issues": "ECHO"}, 422, "Rating has to be a float between 1 -5"),
    ({"rating": "5.5"}, 422, "Rating has to be a float between 1 -5"),
    ({"rating": "three", "issues": "ECHO"}, 422, "Rating has to be a float between 1 -5"),
    ({"issues": "ECHO"}, 422, "Rating has to be a float between 1 -5"),
    ({"rating": "3"}, 422, "Issues have to be an array"),
    ({"rating": 4.5, "issues": []}, 422, "Issues have to be an array"),
    ({"rating": "3", "issues": "ECHO,STATIC"}, 422, "Issues have to be an array"),
    ({"rating": "3", "issues": ["ECHO", 7]}, 422, "Issues have to be an array"),
    ({"rating": 5, "Notes": "x" * 1001}, 422, "Notes"),
]


async def test_validation_and_storage(http: aiohttp.ClientSession, settings: Settings) -> None:
    request_id = await ended_call(http)
    for body, status, message in INVALID:
        got, answer = await feedback(http, request_id, body)
        assert (got, answer.get("error", "")[:len(message)]) == (status, message), body
        assert set(answer) == {"api_id", "error"}
    assert await stored(settings, request_id) == []
    # The seed's own body, then Plivo's other accepted forms.
    got, answer = await feedback(http, request_id, {
        "call_uuid": request_id, "rating": "3", "issues": "ECHO", "Notes": "It's intermittent"})
    assert got == 201, answer
    assert answer["message"] == "Feedback has been posted" and answer["status"] == "success"
    got, _ = await feedback(http, request_id, {"rating": "3.0", "issues": "AUDIO_LAG,ECHO"},
                            form=True)
    assert got == 201
    got, answer = await feedback(http, request_id, {"rating": 4.5, "issues": ["ROBOTIC_AUDIO"],
                                                    "notes": "better"})
    assert got == 201
    rows = await stored(settings, request_id)
    assert [(r["rating"], r["issues"], r["notes"]) for r in rows] == [
        (3.0, ["ECHO"], "It's intermittent"), (3.0, ["AUDIO_LAG", "ECHO"], ""),
        (4.5, ["ROBOTIC_AUDIO"], "better")]
    assert rows[-1]["api_id"] == answer["api_id"] and rows[-1]["account_id"] == "account_1"


async def test_unknown_other_accounts_and_live_calls(http: aiohttp.ClientSession,
                                                     settings: Settings) -> None:
    mine = await ended_call(http)
    unknown = "9834029e-58b6-11e1-b8b7-a5bd0e4e126f"
    answers = [await feedback(http, call_uuid, {"rating": 5}, account=account)
               for call_uuid, account in ((unknown, ACCOUNT_1), (mine, ACCOUNT_2),
                                          ("not-a-uuid", ACCOUNT_1))]
    assert [(status, body["error"]) for status, body in answers] == \
        [(404, "Please check the Call UUID")] * 3  # another account's call looks unknown
    status, body = await feedback(http, mine, {"rating": 5},
                                  account={"account": "account_1", "auth": "wrong"})
    assert status == 401 and "error" in body

    status, payload = await call_api(http, "POST", "/api/click2call", {
        "agent_number": "102", "caller_id": CALLER_ID, "destination_number": number(ANSWER)})
    assert status == 200, payload
    live = payload["response"]["request_id"]
    call = await wait_state(http, live, "bridged")
    status, body = await feedback(http, live, {"rating": 2, "issues": "ECHO"})
    assert status == 404 and body["error"].startswith("Please check the Call UUID")
    assert "in progress" in body["error"]
    status, _ = await call_api(http, "POST", "/api/modify_call", {
        "channel": leg_channel(call, "agent"), "modify_type": "2"})
    assert status == 200
    await wait_ended(http, live)
    status, body = await feedback(http, live, {"rating": 2, "issues": "ECHO"})
    assert status == 201, body
    assert len(await stored(settings, live)) == 1
    assert await stored(settings, mine) == []


async def report(http: aiohttp.ClientSession, account: dict[str, str],
                 query: str = "") -> dict[str, Any]:
    async with http.get(f"/v1/Account/{account['account']}/Feedback/{query}",
                        headers=basic(account)) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def test_account_report(http: aiohttp.ClientSession) -> None:
    today = datetime.now(UTC).date().isoformat()
    before = await report(http, ACCOUNT_2, f"?from={today}&to={today}")
    calls = [await ended_call(http, ACCOUNT_2) for _ in range(2)]
    for call_uuid, body in zip(calls, ({"rating": 2, "issues": "ECHO,CALL_DROPPED"},
                                       {"rating": 4, "issues": ["ECHO"]}), strict=True):
        status, _ = await feedback(http, call_uuid, body, account=ACCOUNT_2)
        assert status == 201
    status, _ = await feedback(http, calls[0], {"rating": 5}, account=ACCOUNT_2)
    assert status == 201
    after = await report(http, ACCOUNT_2, f"?from={today}&to={today}")
    assert after["feedback_count"] - before["feedback_count"] == 3
    assert after["issues"]["ECHO"] - before["issues"]["ECHO"] == 2
    assert after["issues"]["CALL_DROPPED"] - before["issues"]["CALL_DROPPED"] == 1
    assert set(after["issues"]) == {
        "AUDIO_LAG", "BROKEN_AUDIO", "CALL_DROPPED", "CALLERID_ISSUE", "DIGITS_NOT_CAPTURED",
        "ECHO", "HIGH_CONNECT_TIME", "LOW_AUDIO_LEVEL", "ONE_WAY_AUDIO", "OTHERS",
        "ROBOTIC_AUDIO"}
    if before["feedback_count"] == 0:
        assert after["mean_rating"] == round((2 + 4 + 5) / 3, 2)
    # An empty period, another account's report, a bad date.
    empty = await report(http, ACCOUNT_2, "?from=2001-01-01&to=2001-01-02")
    assert (empty["feedback_count"], empty["mean_rating"]) == (0, None)
    async with http.get("/v1/Account/account_1/Feedback/", headers=basic(ACCOUNT_2)) as resp:
        assert resp.status == 401
    async with http.get("/v1/Account/account_2/Feedback/?to=someday",
                        headers=basic(ACCOUNT_2)) as resp:
        assert resp.status == 422 and "error" in await resp.json()


def ensure_sdk_account() -> None:
    engine = [sys.executable, "-m", "engine", "accounts"]
    created = subprocess.run([*engine, "create", SDK_ACCOUNT, "--token", SDK_TOKEN],
                             check=False, capture_output=True, text=True)
    if created.returncode != 0:  # already there from an earlier test: same token again
        subprocess.run([*engine, "rotate", SDK_ACCOUNT, "--token", SDK_TOKEN], check=True,
                       capture_output=True)


async def test_plivo_sdk_posts_feedback(http: aiohttp.ClientSession, settings: Settings,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    await asyncio.to_thread(ensure_sdk_account)
    account = {"account": SDK_ACCOUNT, "auth": SDK_TOKEN}
    request_id = await eventually_ended_call(http, account)
    monkeypatch.setattr(plivo.rest.client, "CALLINSIGHTS_BASE_URL", BASE_URL)
    client = plivo.RestClient(SDK_ACCOUNT, SDK_TOKEN)
    response = await asyncio.to_thread(
        client.call_feedback.create, request_id, "4", ["AUDIO_LAG"], "Call quality was good")
    assert response["message"] == "Feedback has been posted"
    assert response["status"] == "success"
    rows = await stored(settings, request_id)
    assert [(r["rating"], r["issues"], r["notes"]) for r in rows] == [
        (4.0, ["AUDIO_LAG"], "Call quality was good")]
    with pytest.raises(plivo.exceptions.InvalidRequestError, match="Rating has to be"):
        await asyncio.to_thread(client.call_feedback.create, request_id, "9", ["ECHO"])
    with pytest.raises(plivo.exceptions.ResourceNotFoundError, match="Please check"):
        await asyncio.to_thread(client.call_feedback.create,
                                "9834029e-58b6-11e1-b8b7-a5bd0e4e126f", "5")


async def eventually_ended_call(http: aiohttp.ClientSession, account: dict[str, str]) -> str:
    # A freshly created account authenticates at once (the engine caches lookups briefly,
    # including "no such account"): retry the first request for a few seconds.
    for _ in range(100):
        status, _ = await call_api(http, "GET", "/api/live_calls", headers=account)
        if status == 200:
            return await ended_call(http, account)
        await asyncio.sleep(0.1)
    raise AssertionError("the new account never authenticated")
