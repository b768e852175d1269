"""modify_call (transfers, hangup, recording), live calls and their statistics."""

from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest

from tests.integration.helpers import (
    ANSWER,
    BUSY,
    call_api,
    eventually,
    leg_channel,
    live_call,
    number,
    wait_ended,
    wait_state,
)
from tests.integration.stack import ACCOUNT_1, ACCOUNT_2
from tests.integration.test_click2call import click2call

pytestmark = pytest.mark.integration
Call = dict[str, Any]  # a call as GET /api/live_calls shows it
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"  # a CDR's "end" before the leg has ended


async def modify(http: aiohttp.ClientSession, body: dict[str, str],
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    status, payload = await call_api(http, "POST", "/api/modify_call", body, headers=headers)
    return status, payload["response"]


async def bridged_call(
    http: aiohttp.ClientSession, agent: str = "101"
) -> tuple[str, Call]:
    request_id = await click2call(http, agent, number(ANSWER))
    return request_id, await wait_state(http, request_id, "bridged")


async def test_live_calls_lists_channels_legs_states(http: aiohttp.ClientSession) -> None:
    request_id, call = await bridged_call(http)
    assert call["origin"] == "click2call"
    assert call["started_at"].endswith("GMT")
    for leg in call["legs"]:
        assert leg["channel"].startswith("PJSIP/")
        assert leg["state"] == "answered"
    await modify(http, {"channel": leg_channel(call, "customer"), "modify_type": "2"})
    await wait_ended(http, request_id)


@pytest.mark.parametrize("target", ["102", "external"])
async def test_blind_transfer(http: aiohttp.ClientSession, target: str) -> None:
    transfer_to = "102" if target == "102" else number(ANSWER)
    request_id, call = await bridged_call(http)
    status, body = await modify(http, {"channel": leg_channel(call, "agent"),
                                       "modify_type": "0", "transfer_to": transfer_to})
    assert status == 200, body
    assert body["message"] == "blind transferred successfully"

    async def transferred() -> Call | None:
        live = await live_call(http, request_id)
        if live is None or live["state"] != "bridged":
            return None
        roles = {leg["role"] for leg in live["legs"] if leg["live"]}
        return live if roles == {"customer", "transfer"} else None

    live = await eventually(transferred, what="the transfer target to join")
    await modify(http, {"channel": leg_channel(live, "transfer"), "modify_type": "2"})
    rows = await wait_ended(http, request_id)
    assert len(rows) == 3
    target_row = next(r for r in rows if r["dialed_number"] == transfer_to)
    assert target_row["call_status"] == "ANSWERED"
    assert all(r["billsec"] and r["billsec"] > 0 for r in rows), rows


@pytest.mark.parametrize("finish", ["complete", "cancel"])
async def test_attended_transfer(http: aiohttp.ClientSession, finish: str) -> None:
    request_id, call = await bridged_call(http)
    customer = leg_channel(call, "customer")
    status, body = await modify(http, {"channel": customer, "modify_type": "1",
                                       "transfer_to": "104"})
    assert status == 200, body

    async def consult_answered() -> Call | None:
        live = await live_call(http, request_id)
        legs = [] if live is None else [
            leg for leg in live["legs"] if leg["role"] == "consult" and leg["state"] == "answered"]
        return live if legs else None

    await eventually(consult_answered, what="the consult target to answer")
    status, body = await modify(http, {"channel": customer, "modify_type": "1",
                                       "transfer_action": finish})
    assert status == 200, body
    expected = {"customer", "consult"} if finish == "complete" else {"agent", "customer"}

    async def settled() -> Call | None:
        live = await live_call(http, request_id)
        if live is None or live["state"] != "bridged":
            return None
        roles = {leg["role"] for leg in live["legs"] if leg["live"]}
        return live if roles == expected else None

    live = await eventually(settled, what=f"the attended transfer to {finish}")
    await modify(http, {"channel": leg_channel(live, "customer"), "modify_type": "2"})
    rows = await wait_ended(http, request_id)
    assert len(rows) == 3
    assert {r["dialed_number"] for r in rows} >= {"101", "104"}


async def test_hangup_and_recording_via_modify_call(http: aiohttp.ClientSession) -> None:
    request_id, call = await bridged_call(http)
    status, body = await modify(http, {"channel": leg_channel(call, "agent"),
                                       "modify_type": "3"})
    assert status == 200, body
    status, body = await modify(http, {"channel": leg_channel(call, "agent"),
                                       "modify_type": "3"})
    assert status == 409
    assert body["error"] == "already_recording"
    await asyncio.sleep(1.5)  # some audio in the recording
    status, body = await modify(http, {"channel": leg_channel(call, "customer"),
                                       "modify_type": "2"})
    assert status == 200
    assert body["message"] == "call hung up successfully"
    rows = await wait_ended(http, request_id)
    name = rows[0]["recording_name"]
    assert name == f"{request_id}-both.wav"
    async with http.get(f"/api/recordings/{name}",
                        headers={"account": "account_1", "auth": "test-token-1"}) as response:
        assert response.status == 200
        assert len(await response.read()) > 8000
    async with http.get(f"/api/recordings/{name}", headers=ACCOUNT_2) as response:
        assert response.status == 404


async def test_unknown_and_foreign_channels_look_the_same(http: aiohttp.ClientSession) -> None:
    request_id, call = await bridged_call(http)
    channel = leg_channel(call, "agent")
    foreign_status, foreign = await modify(
        http, {"channel": channel, "modify_type": "2"}, headers=ACCOUNT_2)
    unknown_status, unknown = await modify(
        http, {"channel": "PJSIP/101-ffffffff", "modify_type": "2"}, headers=ACCOUNT_2)
    assert foreign_status == unknown_status == 404
    assert {k: v for k, v in foreign.items() if k != "request_id"} == \
        {k: v for k, v in unknown.items() if k != "request_id"}
    assert await live_call(http, request_id, headers=ACCOUNT_2) is None
    status, _ = await call_api(http, "POST", "/api/get_cdr_by_request_id",
                               {"request_id": request_id}, headers=ACCOUNT_2)
    assert status == 404
    await modify(http, {"channel": channel, "modify_type": "2"})
    await wait_ended(http, request_id)


async def test_live_statistics_rise_and_fall_exactly(http: aiohttp.ClientSession) -> None:
    async def stats() -> dict[str, int]:
        status, body = await call_api(http, "GET", "/api/get_live_call_statistics",
                                      headers=ACCOUNT_2)
        assert status == 200
        result: dict[str, int] = body["response"]["result"]
        return result

    assert await stats() == {"live_calls_c2c": 0, "live_calls_campaign": 0,
                             "live_calls_inbound": 0, "live_calls_otp": 0,
                             "live_calls_multiparty": 0}
    first = await click2call_as(http, ACCOUNT_2)
    assert (await stats())["live_calls_c2c"] == 1
    second = await click2call_as(http, ACCOUNT_2)
    assert (await stats())["live_calls_c2c"] == 2
    for done, request_id in enumerate((first, second), start=1):
        live = await _live_as(http, request_id)
        await modify(http, {"channel": leg_channel(live, "agent"), "modify_type": "2"},
                     headers=ACCOUNT_2)

        async def dropped(expected: int = 2 - done) -> bool:
            return (await stats())["live_calls_c2c"] == expected

        await eventually(dropped, what="the live count to fall")
    assert await stats() == {"live_calls_c2c": 0, "live_calls_campaign": 0,
                             "live_calls_inbound": 0, "live_calls_otp": 0,
                             "live_calls_multiparty": 0}


async def click2call_as(http: aiohttp.ClientSession, headers: dict[str, str]) -> str:
    body = {"agent_number": number(ANSWER), "caller_id": "15168148111",
            "destination_number": number(ANSWER)}
    status, payload = await call_api(http, "POST", "/api/click2call", body, headers=headers)
    assert status == 200, payload
    request_id: str = payload["response"]["request_id"]
    return request_id


async def _live_as(http: aiohttp.ClientSession, request_id: str) -> Call:
    async def probe() -> Call | None:
        call = await live_call(http, request_id, headers=ACCOUNT_2)
        return call if call is not None and call["state"] == "bridged" else None

    return await eventually(probe, what="account_2's call to bridge")


async def ended_calls_as(http: aiohttp.ClientSession, headers: dict[str, str],
                         customers: list[str]) -> dict[str, list[dict[str, Any]]]:
    """One click2call per customer number, for the account of ``headers``, left to end by
    itself (pick lines that end: 7nnn hangs up after nnn s, 2xxx is busy, …); the CDR
    rows of each call by request_id, once every leg has ended."""
    request_ids = []
    for customer in customers:
        status, payload = await call_api(http, "POST", "/api/click2call", {
            "agent_number": number(ANSWER), "caller_id": "15168148111",
            "destination_number": customer}, headers=headers)
        assert status == 200, payload
        request_ids.append(payload["response"]["request_id"])
    rows: dict[str, list[dict[str, Any]]] = {}
    for request_id in request_ids:
        async def finished(request_id: str = request_id) -> list[dict[str, Any]] | None:
            legs = await wait_ended(http, request_id, headers=headers)
            done = len(legs) == 2 and all(r["dial_status"] and r["end"] != EPOCH for r in legs)
            return legs if done else None

        rows[request_id] = await eventually(finished, timeout=40,
                                            what=f"both legs of {request_id} to end")
    return rows


async def cdr_statistics(http: aiohttp.ClientSession, headers: dict[str, str]) -> dict[str, int]:
    status, body = await call_api(http, "GET", "/api/get_cdr_statistics", headers=headers)
    assert status == 200, body
    result = body["response"]["result"]
    assert set(result) == {"answer_calls", "busy_calls", "cancel_calls", "chanunavail_calls",
                           "congestion_calls", "noanswer_calls", "platform_failed_calls",
                           "total_calls"}
    assert all(isinstance(v, list) and len(v) == 1 for v in result.values())
    return {name: value[0] for name, value in result.items()}


async def test_cdr_paging_is_stable_newest_first(http: aiohttp.ClientSession) -> None:
    mine = await ended_calls_as(http, ACCOUNT_2, [number("7001"), number("7001")])
    my_ids = {row["id"] for legs in mine.values() for row in legs}
    assert len(my_ids) == 4
    every_day = {"start_call_date": "2020-01-01", "end_call_date": "2100-01-01"}
    status, body = await call_api(http, "POST", "/api/get_cdr_by_date", every_day,
                                  headers=ACCOUNT_2)
    assert status == 200, body
    everything = body["response"]["result"]
    # This test's legs are the account's newest, so they come first.
    assert {r["id"] for r in everything[:4]} == my_ids
    dates = [parsedate_to_datetime(r["call_date"]) for r in everything]
    assert dates == sorted(dates, reverse=True)
    pages = []
    for offset in range(len(everything)):
        status, body = await call_api(http, "POST", "/api/get_cdr_by_date", {
            **every_day, "record_count": "1", "offset": str(offset)}, headers=ACCOUNT_2)
        assert status == 200
        assert len(body["response"]["result"]) == 1
        pages.extend(body["response"]["result"])
    assert [r["id"] for r in pages] == [r["id"] for r in everything]
    assert len({r["id"] for r in pages}) == len(pages)
    status, body = await call_api(http, "POST", "/api/get_cdr_by_date", {
        **every_day, "offset": str(len(everything))}, headers=ACCOUNT_2)
    assert status == 200 and body["response"]["result"] == []
    status, body = await call_api(http, "POST", "/api/get_cdr_by_date", {
        **every_day, "record_count": "999999"}, headers=ACCOUNT_2)
    assert status == 422
    assert body["response"]["details"]["field"] == "record_count"


async def test_cdr_statistics_count_the_accounts_legs(http: aiohttp.ClientSession) -> None:
    before = await cdr_statistics(http, ACCOUNT_2)
    others = await cdr_statistics(http, ACCOUNT_1)
    await ended_calls_as(http, ACCOUNT_2, [number("7001"), number(BUSY)])
    after = await cdr_statistics(http, ACCOUNT_2)
    # Two agents and one customer answered; one customer was busy.
    gained = {name: after[name] - before[name] for name in after}
    assert gained == {"answer_calls": 3, "busy_calls": 1, "cancel_calls": 0,
                      "chanunavail_calls": 0, "congestion_calls": 0, "noanswer_calls": 0,
                      "platform_failed_calls": 0, "total_calls": 4}
    assert after["total_calls"] == sum(v for k, v in after.items() if k != "total_calls")
    assert await cdr_statistics(http, ACCOUNT_1) == others


async def test_cdr_by_campaign_id_answers_not_found(http: aiohttp.ClientSession) -> None:
    status, body = await call_api(http, "POST", "/api/get_cdr_by_campaign_id",
                                  {"campaign_id": "CM39139118b8"})
    assert status == 404
    assert body["response"]["message"] == "cdr not found"
