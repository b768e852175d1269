"""The campaign dialer on the real stack: outcomes, retries, DND, surveys, pacing, windows,
pause and the circuit breaker, checked against the carrier's own logs."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import datetime

import aiohttp
import pytest

from engine.settings import Settings
from tests.integration.campaign_kit import (
    campaign_body,
    campaign_cdrs,
    create_campaign,
    details,
    heard_dir,
    new_dnd_list,
    new_list,
    progress,
    wait_settled,
    wait_status,
    wall_utc,
)
from tests.integration.helpers import (
    ANSWER,
    BUSY,
    CONGESTION,
    NOANSWER,
    call_api,
    carrier_arrivals,
    carrier_calls,
    eventually,
    number,
)
from tests.integration.stack import ACCOUNT_2

pytestmark = pytest.mark.integration


def dialled(settings: Settings, numbers: list[str]) -> Counter[str]:
    """How many calls to each of ``numbers`` reached the carrier (its calls.log)."""
    wanted = set(numbers)
    return Counter(n for n, _, _ in carrier_calls(heard_dir(settings)) if n in wanted)


def parse_date(text: str) -> datetime:
    return datetime.strptime(text, "%a, %d %b %Y %H:%M:%S GMT")


async def test_every_contact_gets_exactly_the_cdrs_its_number_prescribes(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    answer, busy, noanswer, congestion = (number(line) for line in
                                          (ANSWER, BUSY, NOANSWER, CONGESTION))
    dnd = number(ANSWER)
    numbers = [answer, busy, noanswer, congestion, dnd]
    list_id = await new_list(http, numbers)
    dnd_list_id = await new_dnd_list(http, [dnd])
    campaign_id = await create_campaign(http, campaign_body(
        list_id, dnd_list_id, max_retries="1", retry_time="5",
        retry_on_statuses="NOANSER,BUSY"))  # the seed's spelling of NOANSWER
    view = await wait_settled(http, campaign_id, timeout=120)
    await wait_status(http, campaign_id, "3")

    assert dialled(settings, numbers) == {answer: 1, busy: 2, noanswer: 2, congestion: 1}
    rows = await campaign_cdrs(http, campaign_id)
    by_number: dict[str, list[str]] = {}
    for row in rows:
        by_number.setdefault(row["dialed_number"], []).append(row["dial_status"])
        assert row["call_direction"] == "outbound-campaign"
        assert row["list_id"] == list_id
        assert row["destination_context"] == "campaign_type_0"
    assert by_number == {answer: ["ANSWER"], busy: ["BUSY", "BUSY"],
                         noanswer: ["NOANSWER", "NOANSWER"], congestion: ["CONGESTION"],
                         dnd: ["DND"]}
    (dnd_row,) = [r for r in rows if r["dial_status"] == "DND"]
    assert dnd_row["is_dnd"] == "1" and dnd_row["request_id"] == "" == dnd_row["uniqueid"]
    assert all(r["is_dnd"] == "0" and r["request_id"] for r in rows if r is not dnd_row)
    # Each retry came retry_time (5 s) after the attempt before it had ended.
    for retried in (busy, noanswer):
        first, second = sorted((r for r in rows if r["dialed_number"] == retried),
                               key=lambda r: r["id"])
        gap = parse_date(second["call_date"]) - parse_date(first["end"])
        assert gap.total_seconds() >= 4, (first, second)  # 5 s, to whole seconds

    assert (view["answered"], view["failed"], view["dnd"]) == (1, 3, 1)
    status, body = await call_api(http, "POST", "/api/get_campaign_cdr_statistics",
                                  {"campaign_id": campaign_id})
    assert status == 200, body
    assert body["response"]["result"] == {
        "answer_calls": [1], "busy_calls": [2], "cancel_calls": [0], "chanunavail_calls": [0],
        "congestion_calls": [1], "dnd_calls": [1], "noanswer_calls": [2],
        "platform_failed_calls": [0], "total_calls": [7]}


async def test_a_survey_keeps_the_keys_the_contact_pressed(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    presser = number("5120")  # answers, and a second later presses 1, 2 and 0
    list_id = await new_list(http, [presser])
    campaign_id = await create_campaign(http, campaign_body(
        list_id, campaign_type="1", announcement_text="Press a key, {field1}"))
    await wait_settled(http, campaign_id)
    (row,) = await campaign_cdrs(http, campaign_id)
    assert row["dial_status"] == "ANSWER" and row["destination_context"] == "campaign_type_1"
    assert row["dtmf_inputs"].startswith("12"), row


async def test_calls_are_evenly_spaced_at_the_campaign_rate(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    numbers = [number(ANSWER) for _ in range(16)]
    list_id = await new_list(http, numbers)
    campaign_id = await create_campaign(http, campaign_body(list_id, calls_per_minute="120"))
    await wait_settled(http, campaign_id)
    arrivals = sorted(t for n, t in carrier_arrivals(heard_dir(settings)) if n in numbers)
    assert len(arrivals) == len(numbers)
    measured = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) * 60
    assert abs(measured - 120) / 120 <= 0.02, measured
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) > 0.3, gaps  # spaced, not bursts: 0.5 s apart


async def test_a_campaign_whose_window_has_not_opened_places_no_call(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    waiting = number(ANSWER)
    list_id = await new_list(http, [waiting])
    campaign_id = await create_campaign(http, campaign_body(
        list_id, campaign_start_date=wall_utc(3600), campaign_end_date=wall_utc(7200)))
    await asyncio.sleep(4)
    assert (await details(http, campaign_id))["campaign_status"] == "0"
    assert dialled(settings, [waiting]) == {}
    assert (await progress(http, campaign_id))["pending"] == 1


async def test_a_window_closing_mid_run_stops_the_dialling(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    numbers = [number(ANSWER) for _ in range(10)]
    list_id = await new_list(http, numbers)
    campaign_id = await create_campaign(http, campaign_body(
        list_id, calls_per_minute="20", campaign_end_date=wall_utc(7)))  # one every 3 s
    found = await wait_status(http, campaign_id, "3", timeout=30)
    assert "window" in found["status_reason"]
    await asyncio.sleep(2)
    calls = sum(dialled(settings, numbers).values())
    assert 1 <= calls <= 4, calls
    view = await progress(http, campaign_id)
    assert int(view["expired"]) == len(numbers) - calls, view


async def test_a_paused_campaign_dials_nobody_until_resumed(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    numbers = [number(ANSWER) for _ in range(6)]
    list_id = await new_list(http, numbers)
    campaign_id = await create_campaign(http, campaign_body(list_id, calls_per_minute="30"))

    async def some_dialled() -> int:
        return sum(dialled(settings, numbers).values())
    await eventually(some_dialled, what="the first call")
    status, body = await call_api(http, "POST", "/api/pause_campaign",
                                  {"campaign_id": campaign_id})
    assert status == 200, body
    paused_at = sum(dialled(settings, numbers).values())
    await asyncio.sleep(5)  # two more calls were due meanwhile
    assert sum(dialled(settings, numbers).values()) == paused_at < len(numbers)
    status, body = await call_api(http, "POST", "/api/resume_campaign",
                                  {"campaign_id": campaign_id})
    assert status == 200, body
    await wait_settled(http, campaign_id, timeout=60)
    assert dialled(settings, numbers) == dict.fromkeys(numbers, 1)


async def test_a_failing_trunk_suspends_the_campaign_with_a_reason(
    http: aiohttp.ClientSession, settings: Settings,
) -> None:
    numbers = [number(CONGESTION) for _ in range(40)]
    list_id = await new_list(http, numbers)
    campaign_id = await create_campaign(http, campaign_body(list_id, calls_per_minute="600"))
    found = await wait_status(http, campaign_id, "5", timeout=60)
    assert "circuit breaker" in found["status_reason"]
    await asyncio.sleep(2)
    assert sum(dialled(settings, numbers).values()) < len(numbers)


async def test_another_account_cannot_see_or_steer_a_campaign(
    http: aiohttp.ClientSession,
) -> None:
    list_id = await new_list(http, [number(ANSWER)])
    campaign_id = await create_campaign(http, campaign_body(
        list_id, campaign_start_date=wall_utc(3600), campaign_end_date=wall_utc(7200)))
    for path in ("/api/stop_campaign", "/api/pause_campaign", "/api/get_campaign_progress",
                 "/api/get_cdr_by_campaign_id", "/api/get_campaign_cdr_statistics"):
        status, body = await call_api(http, "POST", path, {"campaign_id": campaign_id},
                                      headers=ACCOUNT_2)
        assert status == 404, (path, body)
    assert (await details(http, campaign_id))["campaign_status"] == "0"
