"""Scheduled callbacks on the real stack: on time, once, across restarts, per account."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from engine.devstack.stack import Stack
from engine.settings import Settings
from tests.integration.helpers import (
    ANSWER,
    CALLER_ID,
    call_api,
    carrier_calls,
    eventually,
    leg_channel,
    live_call,
    number,
    wait_ended,
    wait_state,
)
from tests.integration.stack import ACCOUNT_2
from tests.integration.test_click2call import heard_dir

pytestmark = pytest.mark.integration
LEASE_SECONDS = 30.0


def wall_in(zone: str, seconds: float) -> tuple[str, float]:
    """A whole-second wall time ``seconds`` ahead in ``zone``, and its epoch time."""
    due = int(time.time() + seconds) + 1
    wall = datetime.fromtimestamp(due, ZoneInfo(zone))
    return f"{wall:%Y-%m-%d %H:%M:%S}", float(due)


async def schedule(http: aiohttp.ClientSession, customer: str, seconds: float,
                   zone: str = "US/Eastern", **extra: str) -> tuple[str, float]:
    scheduled_at, due = wall_in(zone, seconds)
    body = {"agent_number": "101", "caller_id": CALLER_ID, "destination_number": customer,
            "recording_option": "off", "time_zone": zone, "scheduled_at": scheduled_at, **extra}
    status, payload = await call_api(http, "POST", "/api/callback", body)
    assert status == 200, payload
    assert list(payload["response"]) == ["request_id", "success"]
    assert payload["response"]["success"] == "true"
    return str(payload["response"]["request_id"]), due


async def listed(http: aiohttp.ClientSession, request_id: str,
                 headers: dict[str, str] | None = None) -> dict[str, Any] | None:
    status, body = await call_api(http, "GET", "/api/callback", headers=headers)
    assert status == 200, body
    return next((c for c in body["response"]["result"] if c["request_id"] == request_id), None)


async def wait_status(http: aiohttp.ClientSession, request_id: str, status: str,
                      timeout: float = 20.0) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        item = await listed(http, request_id)
        return item if item is not None and item["status"] == status else None

    return await eventually(probe, timeout=timeout, what=f"callback {request_id} {status}")


async def fired_at(http: aiohttp.ClientSession, request_id: str, timeout: float = 20.0) -> float:
    """When the callback's call first shows among the live calls (polled every 0.1 s)."""
    await eventually(lambda: live_call(http, request_id), timeout=timeout,
                     what=f"the call of callback {request_id}")
    return time.time()


async def hang_up_when_bridged(
    http: aiohttp.ClientSession, request_id: str
) -> list[dict[str, Any]]:
    call = await wait_state(http, request_id, "bridged")
    assert call["origin"] == "callback"
    status, payload = await call_api(http, "POST", "/api/modify_call",
                                     {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    assert status == 200, payload
    return await wait_ended(http, request_id)


def times_dialled(settings: Settings, customer: str) -> int:
    return sum(1 for n, _, _ in carrier_calls(heard_dir(settings)) if n == customer)


async def test_a_callback_fires_on_time_and_bridges_agent_and_customer(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    customer = number(ANSWER)
    request_id, due = await schedule(http, customer, 3)
    item = await listed(http, request_id)
    assert item is not None and item["status"] == "scheduled"
    assert item["time_zone"] == "US/Eastern" and item["call_request_id"] == ""
    started = await fired_at(http, request_id)
    assert due - 0.2 <= started <= due + 1.5, started - due
    rows = await hang_up_when_bridged(http, request_id)
    assert len(rows) == 2
    for row in rows:
        assert row["request_id"] == request_id
        assert row["destination_context"] == "callback"
        assert row["call_status"] == "ANSWERED"
    assert times_dialled(settings, customer) == 1
    done = await wait_status(http, request_id, "done")
    assert done["call_request_id"] == request_id


async def test_patch_moves_a_callback_and_delete_cancels_one(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    cancelled_customer = number(ANSWER)
    doomed, _ = await schedule(http, cancelled_customer, 4, zone="Asia/Kolkata")
    status, payload = await call_api(http, "DELETE", "/api/callback", {"request_id": doomed})
    assert status == 200, payload
    assert payload["response"] == {"message": "callback request deleted successfully",
                                   "request_id": doomed, "success": "true"}

    customer = number(ANSWER)
    request_id, _ = await schedule(http, customer, 60, zone="Asia/Kolkata")
    scheduled_at, due = wall_in("Asia/Kolkata", 3)
    status, payload = await call_api(http, "PATCH", "/api/callback", {
        "request_id": request_id, "recording_option": "on", "scheduled_at": scheduled_at})
    assert status == 200, payload
    assert payload["response"] == {"message": "callback data modified successfully",
                                   "request_id": request_id, "success": "true"}
    item = await listed(http, request_id)
    assert item is not None
    assert (item["scheduled_at"], item["time_zone"], item["recording_option"]) == \
        (scheduled_at, "Asia/Kolkata", "on")
    started = await fired_at(http, request_id)
    assert due - 0.2 <= started <= due + 1.5, started - due
    rows = await hang_up_when_bridged(http, request_id)
    assert all(r["recording_name"].endswith("-both.wav") for r in rows)

    for method, body in (("PATCH", {"request_id": request_id, "caller_id": CALLER_ID}),
                         ("DELETE", {"request_id": request_id})):
        status, payload = await call_api(http, method, "/api/callback", body)
        assert status == 409, payload
        assert payload["response"]["error"] == "callback_already_fired"
    status, payload = await call_api(http, "PATCH", "/api/callback",
                                     {"request_id": doomed, "recording_option": "on"})
    assert (status, payload["response"]["error"]) == (409, "callback_cancelled")
    # The cancelled one was due long ago: the carrier never heard of its number.
    assert times_dialled(settings, cancelled_customer) == 0
    cancelled = await listed(http, doomed)
    assert cancelled is not None and cancelled["status"] == "cancelled"


async def test_a_callback_due_while_the_engine_is_stopped_fires_once_after_restart(
    http: aiohttp.ClientSession, stack: Stack, settings: Settings
) -> None:
    customer = number(ANSWER)
    request_id, due = await schedule(http, customer, 6)
    await asyncio.to_thread(stack.stop_engine)
    assert time.time() < due - 0.5, "the engine took too long to stop for this test"
    await asyncio.sleep(due + 1 - time.time())
    await asyncio.to_thread(stack.start_engine)
    await asyncio.to_thread(stack.wait_engine_ready)
    fired = await fired_at(http, request_id)
    await hang_up_when_bridged(http, request_id)
    await wait_status(http, request_id, "done")
    # Long enough for a second claim (even one waiting for the lease) to have dialled.
    await asyncio.sleep(max(0.0, fired + LEASE_SECONDS + 3 - time.time()))
    assert times_dialled(settings, customer) == 1
    item = await listed(http, request_id)
    assert item is not None and item["status"] == "done"


async def test_the_scheduler_listens_again_after_postgres_restarts(
    http: aiohttp.ClientSession, stack: Stack
) -> None:
    await asyncio.to_thread(stack.postgres.stop)
    await asyncio.to_thread(stack.postgres.start)
    await asyncio.to_thread(stack.postgres.wait_ready)

    async def db_up() -> bool:
        async with http.get("/readyz") as response:
            body = await response.json()
        return bool(body["components"]["db"] == "up")

    await eventually(db_up, timeout=30, what="the engine to see PostgreSQL again")
    await asyncio.sleep(2)  # the scheduler's own reconnect (backoff at most 1 s here)
    # Fired on time only if a NOTIFY reached it: its safety re-read is 30 s away.
    request_id, due = await schedule(http, number(ANSWER), 3)
    started = await fired_at(http, request_id)
    assert due - 0.2 <= started <= due + 1.5, started - due
    await hang_up_when_bridged(http, request_id)


async def test_another_account_sees_nothing(http: aiohttp.ClientSession) -> None:
    request_id, _ = await schedule(http, number(ANSWER), 120)
    assert await listed(http, request_id, headers=ACCOUNT_2) is None
    for method, body in (("PATCH", {"request_id": request_id, "recording_option": "on"}),
                         ("DELETE", {"request_id": request_id})):
        mine = await call_api(http, method, "/api/callback", body, headers=ACCOUNT_2)
        missing = await call_api(http, method, "/api/callback",
                                 {**body, "request_id": "0123456789"}, headers=ACCOUNT_2)
        for status, payload in (mine, missing):
            assert status == 404, payload
            del payload["response"]["request_id"]  # the HTTP request's own id
        assert mine == missing
        assert mine[1]["response"]["error"] == "callback_not_found"
    status, _ = await call_api(http, "DELETE", "/api/callback", {"request_id": request_id})
    assert status == 200


SEED_CREATE = {"agent_number": "919979271000", "caller_id": "15168148111",
               "destination_number": "918000681000", "recording_option": "off",
               "time_zone": "Asia/Kolkata", "scheduled_at": "2023-08-15 12:55:00"}
SEED_CURL_CREATE = {**SEED_CREATE, "scheduled_at": "2023-11-07 19:00:00"}
SEED_PATCH = {"request_id": "fd5ff6e021", "agent_number": "919979271000",
              "caller_id": "15168148111", "destination_number": "918000681000",
              "recording_option": "on", "scheduled_at": "2023-08-16 09:00:02"}
SEED_CURL_PATCH = {**SEED_PATCH, "request_id": "5431b82e57",
                   "scheduled_at": "2023-08-16 10:00:02"}


@pytest.mark.parametrize(("method", "body"), [
    ("POST", SEED_CREATE), ("POST", SEED_CURL_CREATE), ("PATCH", SEED_PATCH),
    ("PATCH", SEED_CURL_PATCH),
])
async def test_the_seed_examples_are_refused_as_past(
    http: aiohttp.ClientSession, method: str, body: dict[str, str]
) -> None:
    status, payload = await call_api(http, method, "/api/callback", body)
    assert status == 422, payload
    response = payload["response"]
    assert response["error"] == "scheduled_at_in_past"
    assert response["details"] == {"field": "scheduled_at"}
    assert "in the past" in response["message"]


@pytest.mark.parametrize(("changes", "field", "code"), [
    ({"time_zone": "US/Eastern", "scheduled_at": "2027-03-14 02:30:00"}, "scheduled_at",
     "scheduled_at_nonexistent"),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown_time_zone"),
    ({"scheduled_at": "2099-01-01 00:00:00"}, "scheduled_at", "scheduled_at_too_far"),
    ({"scheduled_at": "15/08/2027 12:55"}, "scheduled_at", "invalid_scheduled_at"),
    ({"agent_number": "12"}, "agent_number", None),
    ({"destination_number": "101"}, "destination_number", None),
    ({"recording_option": "loud"}, "recording_option", None),
])
async def test_invalid_callbacks_name_the_field(
    http: aiohttp.ClientSession, changes: dict[str, str], field: str, code: str | None
) -> None:
    scheduled_at, _ = wall_in("Asia/Kolkata", 3600)
    body = {**SEED_CREATE, "scheduled_at": scheduled_at, **changes}
    status, payload = await call_api(http, "POST", "/api/callback", body)
    assert status == 422, payload
    assert payload["response"]["details"]["field"] == field
    if code is not None:
        assert payload["response"]["error"] == code
