"""The iSales write-back interface on the real stack: POST /rest/isales/…/midresult with an
account's API token; bad tokens, bad types and other accounts' contacts are refused; a
result shows in progress, details and the contact's history; a final one stops the
contact's retries (the carrier's call log says so)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp
import pytest

from engine.settings import Settings
from tests.integration.campaign_kit import (
    campaign_body,
    create_campaign,
    details,
    heard_dir,
    progress,
    wait_status,
    wall_utc,
)
from tests.integration.helpers import BUSY, call_api, carrier_calls, eventually, number
from tests.integration.stack import ACCOUNT_2
from tests.integration.test_contacts_csv import upload

pytestmark = pytest.mark.integration

PATH = "/rest/isales/v1/openapi/obs/business/push/midresult"
BEARER_1 = {"Authorization": "Bearer test-token-1"}
BEARER_2 = {"Authorization": "Bearer test-token-2"}


async def midresult(http: aiohttp.ClientSession, body: Any, headers: dict[str, str] | None,
                    *, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
    async with http.post(PATH, headers=headers or {}, **kwargs) as response:
        return response.status, await response.json()


def result_body(service_id: str, unique_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"subCCNo": 1, "vdnId": 88, "uniqueId": unique_id,
                            "serviceId": service_id, "status": "", "deviceType": 2,
                            "phoneNumber": "", "failCode": "", "asrResult": "",
                            "fetchTime": "", "writeStartTime": "", "endCallTime": "",
                            "callId": ""}
    body.update(changes)
    return body


async def new_list(http: aiohttp.ClientSession, contacts: list[dict[str, Any]]) -> str:
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": f"isales-{contacts[0]['contact_number']}"})
    assert status == 200, body
    list_id: str = body["response"]["list_id"]
    status, body = await call_api(http, "POST", "/api/add_contact_to_list",
                                  {"list_id": list_id, "contacts": contacts})
    assert status == 200, body
    return list_id


async def history(http: aiohttp.ClientSession, campaign_id: str, unique_id: str,
                  headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    status, body = await call_api(http, "GET",
                                  f"/api/campaigns/{campaign_id}/contacts/{unique_id}",
                                  headers=headers)
    response: dict[str, Any] = body["response"]
    return status, response["result"] if status == 200 else response


async def test_results_are_written_back_and_refused_as_the_seed_says(
    http: aiohttp.ClientSession,
) -> None:
    first, second = number("1000"), number("1000")
    list_id = await new_list(http, [
        {"contact_number": first, "unique_id": "21713676089219765504",
         "contact_fields": {"field1": "x"}},
        {"contact_number": second, "unique_id": "u-2", "contact_fields": {"field1": "y"}}])
    # Its window opens in an hour: nobody is dialled while results come in.
    campaign_id = await create_campaign(http, campaign_body(
        list_id, campaign_start_date=wall_utc(3600), campaign_end_date=wall_utc(7200),
        isales_service_id=f"svc-{first}"))
    uid = "21713676089219765504"

    # Authentication: none or garbled is 401, a token of no account 403.
    for headers in ({}, {"Authorization": "Basic dGVzdDp0ZXN0"}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer a b"}):
        status, body = await midresult(http, result_body(campaign_id, uid), headers)
        assert status == 401 and body["code"] == "unauthenticated", (headers, body)
    status, body = await midresult(http, result_body(campaign_id, uid),
                                   {"Authorization": "Bearer not-a-token"})
    assert (status, body["code"], body["result"]) == (403, "forbidden", 403)

    # Types: integers must be integers, strings strings; unknown fields are refused.
    for change, field in (({"subCCNo": "1"}, "subCCNo"), ({"vdnId": 88.0}, "vdnId"),
                          ({"uniqueId": 217}, "uniqueId"), ({"deviceType": "2"}, "deviceType"),
                          ({"serviceId": None}, "serviceId"), ({"colour": "red"}, "colour")):
        status, body = await midresult(http, result_body(campaign_id, uid, **change), BEARER_1)
        assert (status, body["code"], body.get("field")) == (400, "invalid_field", field), body
    for raw in (b"{", b"[]", b"", b"\xff"):
        status, body = await midresult(http, None, BEARER_1, raw=raw)
        assert (status, body["code"]) == (400, "malformed_json"), (raw, body)
    status, body = await midresult(http, None, BEARER_1, raw=b"{" + b" " * 20_000 + b"}")
    assert status == 413

    # Business failures: 200 with a result code; another account's campaign looks unknown.
    status, body = await midresult(http, result_body("CM0000000000", uid), BEARER_1)
    assert (status, body["result"]) == (200, 1)
    status, body = await midresult(http, result_body(campaign_id, "nobody"), BEARER_1)
    assert (status, body["result"]) == (200, 2)
    status, foreign = await midresult(http, result_body(campaign_id, uid), BEARER_2)
    assert (status, foreign["result"]) == (200, 1)
    status, body = await history(http, campaign_id, uid, ACCOUNT_2)
    assert status == 404 and body["error"] == "contact_not_found", body

    # Unknown paths under /rest/isales/ are 404, another method on the interface 405.
    async with http.post("/rest/isales/v1/openapi/obs/nothing", json={},
                         headers=BEARER_1) as response:
        assert response.status == 404 and (await response.json())["result"] == 404
    async with http.get(PATH, headers=BEARER_1) as response:
        assert response.status == 405

    # A retryable result, then a final one (by the service id this time).
    status, body = await midresult(http, result_body(campaign_id, uid, status="busy"),
                                   BEARER_1)
    assert (status, body) == (200, {"result": 0})
    status, view = await history(http, campaign_id, uid)
    assert status == 200, view
    assert (view["state"], view["result_status"], view["result_final"]) == (
        "pending", "busy", False)
    status, body = await midresult(http, result_body(f"svc-{first}", uid, status="success",
                                                     callId="ext-call-1"), BEARER_1)
    assert (status, body) == (200, {"result": 0})
    status, view = await history(http, campaign_id, uid)
    assert (view["state"], view["result_status"], view["result_final"]) == (
        "closed", "success", True)
    assert [(r["status"], r["final"]) for r in view["results"]] == [
        ("busy", False), ("success", True)]
    assert view["results"][1]["body"]["callId"] == "ext-call-1"
    assert view["attempt_log"] == [] and view["writebacks"] == []

    shown = await progress(http, campaign_id)
    assert (shown["closed"], shown["written_back"], shown["written_back_final"],
            shown["pending"]) == (1, 1, 1, 1)
    found = await details(http, campaign_id)
    assert (found["results_written_back"], found["results_final"]) == ("1", "1")
    assert found["isales_service_id"] == f"svc-{first}" and found["isales_url"] == ""


async def test_a_csv_import_carries_unique_ids(
    http: aiohttp.ClientSession,
) -> None:
    a, b = number("1000"), number("1000")
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": f"isales-csv-{a}"})
    assert status == 200, body
    list_id = body["response"]["list_id"]
    name = await upload(http, f"contact_number,uniqueId,field1\n{a},crm-{a},x\n{b},,y\n"
                        .encode())
    status, body = await call_api(http, "POST", "/api/import_broadcast_contacts_csv",
                                  {"list_id": list_id, "csv_name": name})
    assert status == 200, body
    campaign_id = await create_campaign(http, campaign_body(
        list_id, campaign_start_date=wall_utc(3600), campaign_end_date=wall_utc(7200)))
    status, view = await history(http, campaign_id, f"crm-{a}")
    assert status == 200 and view["contact_number"] == a, view
    status, body = await midresult(http, result_body(campaign_id, f"crm-{a}",
                                                     status="refused"), BEARER_1)
    assert (status, body) == (200, {"result": 0})


async def test_a_final_result_stops_the_contacts_retries(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    closed, retried = number(BUSY), number(BUSY)
    list_id = await new_list(http, [
        {"contact_number": closed, "unique_id": f"stop-{closed}"},
        {"contact_number": retried, "unique_id": f"go-{retried}"}])
    campaign_id = await create_campaign(http, campaign_body(
        list_id, announcement_text="Hello", max_retries="2", retry_time="6",
        retry_on_statuses="BUSY"))

    async def first_attempt_settled() -> dict[str, Any] | None:
        status, view = await history(http, campaign_id, f"stop-{closed}")
        assert status == 200, view
        return view if view["state"] == "retry" else None
    await eventually(first_attempt_settled, timeout=30, what="the first attempt to settle")
    status, body = await midresult(http, result_body(campaign_id, f"stop-{closed}",
                                                     status="do_not_call"), BEARER_1)
    assert (status, body) == (200, {"result": 0})
    await wait_status(http, campaign_id, "3", timeout=90)
    await asyncio.sleep(1.0)

    calls = Counter(n for n, _, _ in carrier_calls(heard_dir(settings))
                    if n in (closed, retried))
    assert calls == {closed: 1, retried: 3}
    _, view = await history(http, campaign_id, f"stop-{closed}")
    assert (view["state"], view["attempts"], view["result_final"]) == ("closed", 1, True)
    assert [a["dial_status"] for a in view["attempt_log"]] == ["BUSY"]
    shown = await progress(http, campaign_id)
    assert (shown["closed"], shown["failed"]) == (1, 1)
