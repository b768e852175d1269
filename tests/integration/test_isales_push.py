"""The iSales push on the real stack: a real receiver in the test suite checks the bearer
token and records every body; a campaign of mixed carrier outcomes yields exactly one
delivered write-back per attempt, with the fields its CDR prescribes, retried after a
failure, logged in GET /api/campaigns/{id}/writebacks; a dead endpoint slows nothing."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.integration.campaign_kit import (
    campaign_body,
    campaign_cdrs,
    create_campaign,
    details,
    progress,
    wait_settled,
)
from tests.integration.helpers import (
    ANSWER,
    BUSY,
    CONGESTION,
    NOANSWER,
    call_api,
    eventually,
    number,
)

pytestmark = pytest.mark.integration

PATH = "/rest/isales/v1/openapi/obs/business/push/midresult"
TOKEN = "push-secret-42"
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@dataclass
class Receiver:
    """An iSales endpoint: 401 without the right bearer token; otherwise the next of
    ``statuses`` (the last one repeats), recording each body with the status it got."""

    port: int = 0
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[tuple[int, dict[str, Any], str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            status = 401
        else:
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        self.received.append((status, body, request.content_type))
        return web.json_response({"result": 0 if status == 200 else 1}, status=status)

    def delivered(self) -> list[dict[str, Any]]:
        return [body for status, body, _ in self.received if status == 200]


@asynccontextmanager
async def running_receiver(statuses: list[int]) -> AsyncIterator[Receiver]:
    receiver = Receiver(statuses=statuses)
    app = web.Application()
    app.router.add_post(PATH, receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        receiver.port = probe.getsockname()[1]
    await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
    try:
        yield receiver
    finally:
        await runner.cleanup()


async def writebacks(http: aiohttp.ClientSession, campaign_id: str) -> list[dict[str, Any]]:
    status, body = await call_api(http, "GET", f"/api/campaigns/{campaign_id}/writebacks")
    assert status == 200, body
    rows: list[dict[str, Any]] = body["response"]["result"]
    return rows


async def test_one_delivered_writeback_per_attempt_with_the_cdr_fields(
    http: aiohttp.ClientSession,
) -> None:
    answer, busy, noanswer, congestion = (number(line) for line in
                                          (ANSWER, BUSY, NOANSWER, CONGESTION))
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": f"isales-{answer}"})
    assert status == 200, body
    list_id = body["response"]["list_id"]
    contacts = [{"contact_number": answer, "unique_id": "ext-answer",
                 "contact_fields": {"field1": "a"}}]
    contacts += [{"contact_number": n, "contact_fields": {"field1": "b"}}
                 for n in (busy, noanswer, congestion)]
    status, body = await call_api(http, "POST", "/api/add_contact_to_list",
                                  {"list_id": list_id, "contacts": contacts})
    assert status == 200, body

    # The first push is refused (503): it is retried, and still delivered once.
    async with running_receiver([503, 200]) as receiver:
        campaign_id = await create_campaign(http, campaign_body(
            list_id, max_retries="1", retry_time="2", retry_on_statuses="NOANSWER,BUSY",
            isales_url=receiver.url, isales_token=TOKEN, isales_sub_cc_no="7",
            isales_vdn_id="88", isales_service_id=f"svc-{answer}"))
        await wait_settled(http, campaign_id, timeout=120)
        rows = [r for r in await campaign_cdrs(http, campaign_id) if r["request_id"]]
        assert Counter(r["dialed_number"] for r in rows) == {
            answer: 1, busy: 2, noanswer: 2, congestion: 1}

        async def all_delivered() -> list[dict[str, Any]] | None:
            got = receiver.delivered()
            return got if len(got) >= len(rows) else None
        delivered = await eventually(all_delivered, timeout=30, what="every push delivered")
        await asyncio.sleep(1.0)  # nothing more arrives
        assert len(receiver.delivered()) == len(rows)
    assert receiver.received[0][0] == 503
    assert all(kind == "application/json" for _, _, kind in receiver.received)

    by_call = {b["callId"]: b for b in delivered}
    assert set(by_call) == {r["request_id"] for r in rows}  # one per attempt, no other
    expected_status = {"ANSWER": "success", "BUSY": "busy", "NOANSWER": "no_answer",
                       "CONGESTION": "failed"}
    for row in rows:
        pushed = by_call[row["request_id"]]
        assert set(pushed) == {"subCCNo", "vdnId", "uniqueId", "serviceId", "status",
                               "phoneNumber", "failCode", "asrResult", "fetchTime",
                               "writeStartTime", "endCallTime", "callId"}
        assert (pushed["subCCNo"], pushed["vdnId"]) == (7, 88)
        assert pushed["serviceId"] == f"svc-{answer}"
        assert pushed["phoneNumber"] == row["dialed_number"]
        assert pushed["status"] == expected_status[row["dial_status"]], (row, pushed)
        if row["dial_status"] == "ANSWER":
            assert pushed["failCode"] == "" and pushed["uniqueId"] == "ext-answer"
        else:
            assert pushed["failCode"].isdigit() and pushed["failCode"] != "16", pushed
            assert pushed["uniqueId"].isdigit()  # no unique_id given: the contact id
        for key in ("fetchTime", "writeStartTime", "endCallTime"):
            assert TIME.fullmatch(pushed[key]), pushed
        assert pushed["writeStartTime"] <= pushed["endCallTime"]
    # The two attempts of one contact carry the same uniqueId.
    busy_ids = {by_call[r["request_id"]]["uniqueId"] for r in rows if r["dialed_number"] == busy}
    assert len(busy_ids) == 1

    log = await writebacks(http, campaign_id)
    assert sorted(d["request_id"] for d in log) == sorted(by_call)
    assert all(d["state"] == "delivered" and d["kind"] == "isales" for d in log)
    assert sorted(len(d["attempt_log"]) for d in log) == [1] * (len(log) - 1) + [2]
    retried = next(d for d in log if len(d["attempt_log"]) == 2)
    assert [a["status"] for a in retried["attempt_log"]] == [503, 200]
    assert all(TOKEN not in json.dumps(d) for d in log)

    view = await progress(http, campaign_id)
    assert (view["pushes_delivered"], view["pushes_failed"], view["pushes_pending"]) == (
        len(rows), 0, 0)
    shown = await details(http, campaign_id)
    assert shown["isales_url"] == receiver.url and shown["isales_vdn_id"] == "88"
    assert TOKEN not in json.dumps(shown)


async def test_a_dead_endpoint_never_slows_the_dialer(http: aiohttp.ClientSession) -> None:
    numbers = [number(ANSWER) for _ in range(4)]
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": f"isales-dead-{numbers[0]}"})
    assert status == 200, body
    list_id = body["response"]["list_id"]
    status, body = await call_api(http, "POST", "/api/add_contact_to_list", {
        "list_id": list_id, "contacts": [{"contact_number": n} for n in numbers]})
    assert status == 200, body
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}{PATH}"
    campaign_id = await create_campaign(http, campaign_body(
        list_id, announcement_text="Hello", isales_url=dead, isales_token=TOKEN))
    view = await wait_settled(http, campaign_id, timeout=60)
    assert view["answered"] == 4

    async def tried_each() -> list[dict[str, Any]] | None:
        log = await writebacks(http, campaign_id)
        return log if len(log) == 4 and all(d["attempt_log"] for d in log) else None
    log = await eventually(tried_each, timeout=30, what="each push tried")
    assert all(d["state"] in ("pending", "delivering") for d in log), log
    assert all("connect" in d["attempt_log"][0]["error"] for d in log), log
    view = await progress(http, campaign_id)
    assert view["pushes_delivered"] == 0 and view["pushes_pending"] == 4
