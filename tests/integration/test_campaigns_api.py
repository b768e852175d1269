"""Campaign definitions, control and views on the real stack: create_campaign from the seed's
own bodies, its 404/409/422s, stop/pause/resume, details, progress and CDR statistics, and
another account denied everywhere. (Dialling itself is proven in test_campaign_dialing*.)

Campaigns here start tomorrow unless a test says otherwise, so the dialer leaves them be.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest

from engine.domain.cdr import http_date
from engine.domain.ids import CAMPAIGN_ID
from engine.files.factory import files_root
from engine.settings import Settings
from tests.integration.helpers import ANSWER, CALLER_ID, call_api, number
from tests.integration.stack import ACCOUNT_1, ACCOUNT_2

pytestmark = pytest.mark.integration

KOLKATA = ZoneInfo("Asia/Kolkata")
SEED_KEYS = {"calls_per_minute", "campaign_caller_id", "campaign_end_date", "campaign_id",
             "campaign_name", "campaign_start_date", "campaign_status", "campaign_type",
             "max_retries", "repeat_announcement_count", "retry_time"}
EXTRA_KEYS = {"announcement_text", "answer_url", "calling_hours_end", "calling_hours_start",
              "created_date", "dnd_list_id", "dynamic_announcement", "list_id",
              "recorded_filename", "retry_on_statuses", "status_reason", "survey_questions",
              "time_zone",
              # the iSales write-back (README "iSales write-back")
              "isales_service_id", "isales_sub_cc_no", "isales_url", "isales_vdn_id",
              "results_final", "results_written_back"}
PROGRESS_COUNTS = {"total", "dialled", "answered", "failed", "dnd", "pending",
                   "retry_scheduled", "in_progress", "expired", "stopped", "attempts",
                   "current_calls_per_minute",
                   # the iSales write-back
                   "closed", "written_back", "written_back_final", "pushes_delivered",
                   "pushes_failed", "pushes_pending"}
STATS_KEYS = {"answer_calls", "busy_calls", "cancel_calls", "chanunavail_calls",
              "congestion_calls", "dnd_calls", "noanswer_calls", "platform_failed_calls",
              "total_calls"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wall(moment: datetime, zone: ZoneInfo = KOLKATA) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S}"


def tomorrow() -> tuple[datetime, datetime]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return start, start + timedelta(hours=10)


async def new_list(http: aiohttp.ClientSession, contacts: list[tuple[str, dict[str, str]]],
                   headers: dict[str, str] = ACCOUNT_1) -> str:
    """A contact list of ``(number, fields)``, made through the seed's lists API."""
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": unique("list")}, headers=headers)
    assert status == 200, body
    list_id: str = body["response"]["list_id"]
    await add_contacts(http, list_id, contacts, headers)
    return list_id


async def add_contacts(http: aiohttp.ClientSession, list_id: str,
                       contacts: list[tuple[str, dict[str, str]]],
                       headers: dict[str, str] = ACCOUNT_1) -> None:
    status, body = await call_api(http, "POST", "/api/add_contact_to_list", {
        "list_id": list_id,
        "contacts": [{"contact_name": f"name{n}", "contact_number": n,
                      "contact_fields": fields} for n, fields in contacts]}, headers=headers)
    assert status == 200, body
    assert body["response"]["message"] == f"({len(contacts)}) contacts imported successfully"


async def new_dnd_list(http: aiohttp.ClientSession,
                       headers: dict[str, str] = ACCOUNT_1) -> str:
    status, body = await call_api(http, "POST", "/api/create_campaign_dnd_list",
                                  {"dnd_list_name": unique("dnd")}, headers=headers)
    assert status == 200, body
    dnd_list_id: str = body["response"]["dnd_list_id"]
    return dnd_list_id


SEED_FIELDS = {"field1": "Ankit", "field2": "Jayswal", "field3": "500"}


def option_1(list_id: str, dnd_list_id: str) -> dict[str, Any]:
    """The seed's type 0 dynamic body (its ids chained, its dates moved to tomorrow)."""
    start, end = tomorrow()
    return {"list_id": list_id, "dnd_list_id": dnd_list_id,
            "campaign_name": unique("test_broadcast_campaign_test_volume"),
            "campaign_type": "0", "campaign_caller_id": "15168148111",
            "dynamic_announcement": "1", "recorded_filename": "",
            "announcement_text": "Dear, {field1} , {field2}, Your due balance is,, {field3},,"
                                 "INR only",
            "campaign_start_date": wall(start), "campaign_end_date": wall(end),
            "time_zone": "Asia/Kolkata", "repeat": "2", "max_retries": "1",
            "retry_time": "60", "calls_per_minute": "10", "voice": "Matthew",
            "volume": "soft", "rate": "slow", "pitch": "medium", "language_code": "en-US",
            "tts_engine_type": "standard"}


def option_2(list_id: str, dnd_list_id: str, filename: str) -> dict[str, Any]:
    start, end = tomorrow()
    return {"list_id": list_id, "dnd_list_id": dnd_list_id,
            "campaign_name": unique("test_broadcast_campaign_new1"), "campaign_type": "0",
            "campaign_caller_id": "15168148111", "dynamic_announcement": "0",
            "recorded_filename": filename, "announcement_text": "",
            "campaign_start_date": wall(start), "campaign_end_date": wall(end),
            "time_zone": "Asia/Kolkata", "repeat": "3", "max_retries": "1",
            "retry_time": "60", "calls_per_minute": "10"}


def type_1(list_id: str, dnd_list_id: str) -> dict[str, Any]:
    """The seed's type 1 body, with its own wrap damage in campaign_start_date."""
    start, end = tomorrow()
    return {"list_id": list_id, "dnd_list_id": dnd_list_id,
            "campaign_name": unique("campaign_type_new_one_new1"), "campaign_type": "1",
            "campaign_caller_id": "15168148111", "dynamic_announcement": "1",
            "recorded_filename": "", "announcement_text": "abc",
            "campaign_start_date": wall(start).replace(" ", ""),
            "campaign_end_date": wall(end), "time_zone": "Asia/Kolkata", "repeat": "1",
            "max_retries": "1", "retry_time": "60", "calls_per_minute": "10"}


async def create(http: aiohttp.ClientSession, body: dict[str, Any],
                 headers: dict[str, str] = ACCOUNT_1) -> str:
    status, reply = await call_api(http, "POST", "/api/create_campaign", body, headers=headers)
    assert status == 200, reply
    assert set(reply["response"]) == {"campaign_id", "success"}
    campaign_id: str = reply["response"]["campaign_id"]
    assert CAMPAIGN_ID.fullmatch(campaign_id), campaign_id
    return campaign_id


async def refused(http: aiohttp.ClientSession, path: str, body: dict[str, Any],
                  status: int, code: str, *, field: str | None = None,
                  headers: dict[str, str] = ACCOUNT_1) -> dict[str, Any]:
    got, reply = await call_api(http, "POST", path, body, headers=headers)
    assert got == status, reply
    response: dict[str, Any] = reply["response"]
    assert response["success"] == "false" and response["error"] == code, response
    if field is not None:
        assert response["details"]["field"] == field, response
    return response


async def details(http: aiohttp.ClientSession, campaign_id: str,
                  headers: dict[str, str] = ACCOUNT_1) -> dict[str, Any]:
    status, body = await call_api(http, "GET",
                                  f"/api/get_campaign_details?campaign_id={campaign_id}",
                                  headers=headers)
    assert status == 200, body
    assert body["response"]["message"] == "campaign found"
    (view,) = body["response"]["result"]
    assert isinstance(view, dict)
    return view


async def progress(http: aiohttp.ClientSession, campaign_id: str) -> dict[str, Any]:
    status, body = await call_api(http, "POST", "/api/get_campaign_progress",
                                  {"campaign_id": campaign_id})
    assert status == 200, body
    result: dict[str, Any] = body["response"]["result"]
    return result


async def upload(http: aiohttp.ClientSession, name: str, data: bytes) -> None:
    async with http.put(f"/api/files/{name}", data=data, headers=ACCOUNT_1) as response:
        assert response.status == 200, await response.text()


def tone_wav(path: Path) -> bytes:
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(path), "synth",
                    "1", "sine", "440"], check=True, capture_output=True, timeout=30)
    return path.read_bytes()


async def test_seed_option_1_details_and_snapshot(http: aiohttp.ClientSession,
                                                  db: asyncpg.Connection) -> None:
    numbers = [number(ANSWER) for _ in range(3)]
    list_id = await new_list(http, [(n, SEED_FIELDS) for n in numbers])
    dnd_list_id = await new_dnd_list(http)
    body = option_1(list_id, dnd_list_id)
    campaign_id = await create(http, body)

    view = await details(http, campaign_id)
    assert set(view) == SEED_KEYS | EXTRA_KEYS
    assert all(isinstance(v, str) for v in view.values()), view
    start = datetime.strptime(body["campaign_start_date"], "%Y-%m-%d %H:%M:%S")
    end = datetime.strptime(body["campaign_end_date"], "%Y-%m-%d %H:%M:%S")
    assert {k: view[k] for k in SEED_KEYS} == {
        "calls_per_minute": "10", "campaign_caller_id": "15168148111",
        "campaign_end_date": http_date(end.replace(tzinfo=KOLKATA)),
        "campaign_id": campaign_id, "campaign_name": body["campaign_name"],
        "campaign_start_date": http_date(start.replace(tzinfo=KOLKATA)),
        "campaign_status": "0", "campaign_type": "0", "max_retries": "1",
        "repeat_announcement_count": "2", "retry_time": "60"}
    assert view["campaign_start_date"].endswith(" GMT")
    assert (view["list_id"], view["dnd_list_id"], view["time_zone"]) == (
        list_id, dnd_list_id, "Asia/Kolkata")
    assert (view["retry_on_statuses"], view["status_reason"]) == ("NOANSWER,BUSY", "")
    assert (view["dynamic_announcement"], view["announcement_text"]) == (
        "1", body["announcement_text"])

    # The campaign dials its own copy of the list, taken at creation.
    await add_contacts(http, list_id, [(number(ANSWER), SEED_FIELDS)])
    counts = await progress(http, campaign_id)
    assert (counts["total"], counts["pending"]) == (3, 3)
    rows = await db.fetch("SELECT number, state FROM campaign_contacts WHERE campaign_id = $1",
                          campaign_id)
    assert sorted(r["number"] for r in rows) == sorted(numbers)
    stored = json.loads(await db.fetchval(
        "SELECT definition FROM campaigns WHERE campaign_id = $1", campaign_id))
    assert stored["voice"]["gender"] == "male" and stored["prosody"]["rate"] == "slow"
    assert await db.fetchval("SELECT next_dial_at = start_at FROM campaigns "
                             "WHERE campaign_id = $1", campaign_id)


async def test_seed_option_2_recorded_file_is_published(
        http: aiohttp.ClientSession, db: asyncpg.Connection, settings: Settings,
        tmp_path: Path) -> None:
    list_id = await new_list(http, [(number(ANSWER), {})])
    dnd_list_id = await new_dnd_list(http)
    name = f"{unique('quality_training')}-8khz.wav"
    await refused(http, "/api/create_campaign", option_2(list_id, dnd_list_id, name), 422,
                  "recorded_file_not_found", field="recorded_filename")
    await upload(http, name, tone_wav(tmp_path / "tone.wav"))
    campaign_id = await create(http, option_2(list_id, dnd_list_id, name))
    view = await details(http, campaign_id)
    assert (view["dynamic_announcement"], view["recorded_filename"]) == ("0", name)
    assert view["repeat_announcement_count"] == "3"
    stored = json.loads(await db.fetchval(
        "SELECT definition FROM campaigns WHERE campaign_id = $1", campaign_id))
    assert stored["media_uri"].startswith("sound:/") and "/campaigns/account_1/" in (
        stored["media_uri"])

    # A .wav that is not audio is refused at upload and never stored...
    fake = f"{unique('fake')}.wav"
    async with http.put(f"/api/files/{fake}", data=b"not audio at all",
                        headers=ACCOUNT_1) as response:
        assert response.status == 422, await response.text()
    await refused(http, "/api/create_campaign", option_2(list_id, dnd_list_id, fake), 422,
                  "recorded_file_not_found", field="recorded_filename")
    # ...and one that reached the store another way is refused when the campaign is made.
    stored = files_root(settings) / "account_1" / fake
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(b"RIFF but not really a wave file")
    await refused(http, "/api/create_campaign", option_2(list_id, dnd_list_id, fake), 422,
                  "invalid_audio", field="recorded_filename")


async def test_seed_type_1_wrapped_date_and_the_curl_key(http: aiohttp.ClientSession) -> None:
    list_id = await new_list(http, [(number(ANSWER), {})])
    dnd_list_id = await new_dnd_list(http)
    body = type_1(list_id, dnd_list_id)
    await refused(http, "/api/create_campaign", body, 422, "invalid_date",
                  field="campaign_start_date")
    start, _ = tomorrow()
    campaign_id = await create(http, {**body, "campaign_start_date": wall(start)})
    assert (await details(http, campaign_id))["campaign_type"] == "1"

    curl = option_1(list_id, dnd_list_id)
    curl["calls_per_min ute"] = curl.pop("calls_per_minute")
    await refused(http, "/api/create_campaign", curl, 422, "invalid_field",
                  field="calls_per_min ute")


async def test_create_refusals(http: aiohttp.ClientSession) -> None:
    list_id = await new_list(http, [(number(ANSWER), {"field1": "x", "field2": "y"})])
    dnd_list_id = await new_dnd_list(http)
    theirs = await new_list(http, [(number(ANSWER), {})], headers=ACCOUNT_2)
    their_dnd = await new_dnd_list(http, headers=ACCOUNT_2)
    body = option_1(list_id, dnd_list_id)
    body["announcement_text"] = "Dear {field1} {field2}"
    path = "/api/create_campaign"

    for missing in (theirs, "LS0000000000", "nonsense"):
        await refused(http, path, {**body, "list_id": missing}, 404, "list_not_found")
    for missing in (their_dnd, "DN0000000000"):
        await refused(http, path, {**body, "dnd_list_id": missing}, 404, "dnd_list_not_found")
    await refused(http, path, {**body, "announcement_text": "Dear {field3}"}, 422,
                  "unknown_placeholder", field="announcement_text")
    past = datetime.now(UTC) - timedelta(days=2)
    await refused(http, path, {**body, "campaign_start_date": wall(past),
                               "campaign_end_date": wall(past + timedelta(days=1))},
                  422, "campaign_end_date_in_past", field="campaign_end_date")
    await refused(http, path, {**body, "campaign_end_date": body["campaign_start_date"]},
                  422, "campaign_end_before_start", field="campaign_end_date")
    await refused(http, path, {**body, "retry_on_statuses": "NOANSER,RINGING"}, 422,
                  "unknown_retry_status", field="retry_on_statuses")
    await refused(http, path, {**body, "calls_per_minute": "100000"}, 422,
                  "invalid_calls_per_minute", field="calls_per_minute")
    await refused(http, path, {**body, "campaign_type": "0",
                               "survey_questions": [{"text": "q"}]},
                  422, "survey_only", field="survey_questions")

    await create(http, body)
    await refused(http, path, body, 409, "campaign_name_taken", field="campaign_name")
    # The same name in another account is that account's own business.
    their_body = {**body, "list_id": theirs, "dnd_list_id": their_dnd,
                  "announcement_text": "Hello {contact_name}"}
    await create(http, their_body, headers=ACCOUNT_2)


async def test_survey_and_ivr_campaigns(http: aiohttp.ClientSession,
                                        db: asyncpg.Connection) -> None:
    list_id = await new_list(http, [(number(ANSWER), {"field1": "x"})])
    body = type_1(list_id, "")
    start, _ = tomorrow()
    body["campaign_start_date"] = wall(start)
    survey = await create(http, {
        **body, "announcement_text": "", "calling_hours_start": "09:00",
        "calling_hours_end": "18:30", "retry_on_statuses": "noanser,congestion",
        "survey_questions": [{"text": "Press 1 for {field1}"},
                             {"text": "Rate us", "num_digits": 2, "timeout": "8"}]})
    view = await details(http, survey)
    assert (view["calling_hours_start"], view["calling_hours_end"]) == ("09:00", "18:30")
    assert (view["survey_questions"], view["dnd_list_id"]) == ("2", "")
    assert view["retry_on_statuses"] == "NOANSWER,CONGESTION"
    row = await db.fetchrow("SELECT retry_on, hours_start, definition FROM campaigns "
                            "WHERE campaign_id = $1", survey)
    assert row is not None
    assert row["retry_on"] == ["NOANSWER", "CONGESTION"]
    assert json.loads(row["definition"])["questions"][1] == {
        "text": "Rate us", "num_digits": 2, "valid_digits": "0123456789*#", "timeout": 8.0}

    ivr = await create(http, {**body, "campaign_name": unique("ivr"), "announcement_text": "",
                              "answer_url": "https://ivr.example.com/answer"})
    assert (await details(http, ivr))["answer_url"] == "https://ivr.example.com/answer"


async def test_stop_pause_resume(http: aiohttp.ClientSession, db: asyncpg.Connection) -> None:
    list_id = await new_list(http, [(number(ANSWER), {}), (number(ANSWER), {})])
    body = option_1(list_id, "")
    body["announcement_text"] = "Hello {contact_name}"
    campaign_id = await create(http, body)
    ref = {"campaign_id": f" {campaign_id} "}  # the seed sends it with spaces

    async def act(action: str, message: str) -> None:
        status, reply = await call_api(http, "POST", f"/api/{action}_campaign", ref)
        assert status == 200, reply
        assert reply["response"] == {"message": message, "success": "true"}

    async def status_now() -> str:
        return str((await details(http, campaign_id))["campaign_status"])

    await refused(http, "/api/resume_campaign", ref, 409, "campaign_not_paused")
    await act("pause", "campaign paused successfully")
    assert await status_now() == "2"
    await refused(http, "/api/pause_campaign", ref, 409, "campaign_not_pausable")
    await act("resume", "campaign resumed successfully")
    assert await status_now() == "0"  # its window opens tomorrow: scheduled again

    # The engine suspends a campaign whose trunk fails (the breaker); the account resumes it.
    await db.execute("UPDATE campaigns SET status = 5, status_reason = 'trunk down' "
                     "WHERE campaign_id = $1", campaign_id)
    assert (await details(http, campaign_id))["status_reason"] == "trunk down"
    await act("resume", "campaign resumed successfully")
    view = await details(http, campaign_id)
    assert (view["campaign_status"], view["status_reason"]) == ("0", "")

    await act("stop", " campaign stopped successfully")
    assert await status_now() == "4"
    counts = await progress(http, campaign_id)
    assert (counts["stopped"], counts["pending"], counts["campaign_status"]) == (2, 0, "4")
    for action, code in (("stop", "campaign_already_ended"), ("pause", "campaign_not_pausable"),
                         ("resume", "campaign_not_paused")):
        await refused(http, f"/api/{action}_campaign", ref, 409, code)


async def test_running_campaign_resumes_running(http: aiohttp.ClientSession,
                                                db: asyncpg.Connection) -> None:
    list_id = await new_list(http, [(number(ANSWER), {})])
    body = option_1(list_id, "")
    body["announcement_text"] = "Hello"
    campaign_id = await create(http, body)
    await call_api(http, "POST", "/api/pause_campaign", {"campaign_id": campaign_id})
    # Its window opened meanwhile (moved into the past while paused).
    await db.execute("UPDATE campaigns SET start_at = now() - interval '1 hour', "
                     "next_dial_at = now() - interval '1 hour' WHERE campaign_id = $1",
                     campaign_id)
    # Pausing keeps it from dialling; resuming makes it run, paced from now.
    status, reply = await call_api(http, "POST", "/api/resume_campaign",
                                   {"campaign_id": campaign_id})
    assert status == 200, reply
    row = await db.fetchrow("SELECT status, next_dial_at > now() - interval '5 seconds' "
                            "AS fresh FROM campaigns WHERE campaign_id = $1", campaign_id)
    assert row is not None
    assert row["status"] in (1, 3) and row["fresh"]  # 3: the dialer may already be done
    await call_api(http, "POST", "/api/stop_campaign", {"campaign_id": campaign_id})


async def test_progress_counts(http: aiohttp.ClientSession, db: asyncpg.Connection) -> None:
    list_id = await new_list(http, [(number(ANSWER), {}) for _ in range(8)])
    body = option_1(list_id, "")
    body["announcement_text"] = "Hello"
    campaign_id = await create(http, body)
    empty = await progress(http, campaign_id)
    assert set(empty) == PROGRESS_COUNTS | {"campaign_id", "campaign_status", "status_reason"}
    assert all(isinstance(empty[k], int) for k in PROGRESS_COUNTS)
    assert (empty["total"], empty["pending"], empty["dialled"]) == (8, 8, 0)

    ids = [r["contact_id"] for r in await db.fetch(
        "SELECT contact_id FROM campaign_contacts WHERE campaign_id = $1 ORDER BY contact_id",
        campaign_id)]
    states = ["answered", "answered", "failed", "dnd", "retry", "dialling", "expired"]
    for contact_id, state in zip(ids, states, strict=False):
        attempts = 0 if state in ("dnd", "expired") else 1
        await db.execute("UPDATE campaign_contacts SET state = $3, attempts = $4 "
                         "WHERE campaign_id = $1 AND contact_id = $2",
                         campaign_id, contact_id, state, attempts)
    for n, (contact_id, age) in enumerate([(ids[0], 5), (ids[1], 30), (ids[2], 600)]):
        await db.execute(
            "INSERT INTO campaign_attempts (request_id, campaign_id, contact_id, attempt, "
            "number, claimed_by, claimed_at) VALUES ($1, $2, $3, 1, '1', 'test', "
            "now() - make_interval(secs => $4))",
            uuid.uuid4().hex[:10], campaign_id, contact_id, float(age + n))
    counts = await progress(http, campaign_id)
    assert {k: counts[k] for k in PROGRESS_COUNTS} == {
        "total": 8, "dialled": 5, "answered": 2, "failed": 1, "dnd": 1, "pending": 1,
        "retry_scheduled": 1, "in_progress": 1, "expired": 1, "stopped": 0, "attempts": 3,
        "current_calls_per_minute": 2, "closed": 0, "written_back": 0,
        "written_back_final": 0, "pushes_delivered": 0, "pushes_failed": 0,
        "pushes_pending": 0}
    await call_api(http, "POST", "/api/stop_campaign", {"campaign_id": campaign_id})


async def test_campaign_cdr_statistics(http: aiohttp.ClientSession,
                                       db: asyncpg.Connection) -> None:
    list_id = await new_list(http, [(number(ANSWER), {})])
    body = option_1(list_id, "")
    body["announcement_text"] = "Hello"
    campaign_id = await create(http, body)
    path = "/api/get_campaign_cdr_statistics"
    status, reply = await call_api(http, "POST", path, {"campaign_id": campaign_id})
    assert status == 200, reply
    assert reply["response"] == {"result": {key: [0] for key in STATS_KEYS}, "success": "true"}

    rows = [("ANSWER", None)] * 5 + [("DND", None)] * 4 + [("BUSY", None), ("NOANSWER", None),
                                                           ("CHANUNAVAIL", 901)]
    for dial_status, cause in rows:
        dnd = dial_status == "DND"
        await db.execute(
            "INSERT INTO cdrs (account_id, request_id, uniqueid, role, dialed_number, "
            "caller_id, call_direction, destination_context, dial_status, call_date, "
            "hangup_cause, campaign_id, list_id, is_dnd) VALUES ('account_1', $1, $2, "
            "'customer', '15165550100', $3, 'outbound-campaign', 'campaign_type_0', $4, "
            "now(), $5, $6, $7, $8)",
            None, None if dnd else uuid.uuid4().hex,  # rows only: no call behind them
            CALLER_ID, dial_status, cause, campaign_id, list_id, "1" if dnd else "0")
    status, reply = await call_api(http, "POST", path, {"campaign_id": f" {campaign_id} "})
    assert status == 200, reply
    assert reply["response"]["result"] == {
        "answer_calls": [5], "busy_calls": [1], "cancel_calls": [0], "chanunavail_calls": [0],
        "congestion_calls": [0], "dnd_calls": [4], "noanswer_calls": [1],
        "platform_failed_calls": [1], "total_calls": [12]}
    status, reply = await call_api(http, "POST", "/api/get_cdr_by_campaign_id",
                                   {"campaign_id": campaign_id})
    assert status == 200 and len(reply["response"]["result"]) == 12, reply
    await call_api(http, "POST", "/api/stop_campaign", {"campaign_id": campaign_id})


async def test_another_account_is_denied_everywhere(http: aiohttp.ClientSession) -> None:
    list_id = await new_list(http, [(number(ANSWER), {})])
    body = option_1(list_id, "")
    body["announcement_text"] = "Hello"
    campaign_id = await create(http, body)
    ref = {"campaign_id": campaign_id}
    for path in ("/api/stop_campaign", "/api/pause_campaign", "/api/resume_campaign",
                 "/api/get_campaign_progress", "/api/get_campaign_cdr_statistics"):
        await refused(http, path, ref, 404, "campaign_not_found", headers=ACCOUNT_2)
        await refused(http, path, {"campaign_id": "CM0000000000"}, 404, "campaign_not_found")
        await refused(http, path, {"campaign_id": "x' OR 1=1"}, 404, "campaign_not_found")
    await refused(http, "/api/get_cdr_by_campaign_id", ref, 404, "cdr_not_found",
                  headers=ACCOUNT_2)
    status, reply = await call_api(http, "GET",
                                   f"/api/get_campaign_details?campaign_id={campaign_id}",
                                   headers=ACCOUNT_2)
    assert status == 404 and reply["response"]["error"] == "campaign_not_found", reply
    status, reply = await call_api(http, "GET", "/api/get_campaign_details", headers=ACCOUNT_2)
    assert status == 200, reply
    assert campaign_id not in {c["campaign_id"] for c in reply["response"]["result"]}
    status, reply = await call_api(http, "GET", "/api/get_campaign_details")
    assert status == 200 and reply["response"]["message"] == "campaign found", reply
    assert campaign_id in {c["campaign_id"] for c in reply["response"]["result"]}
    # Still untouched by the other account's attempts.
    assert (await details(http, campaign_id))["campaign_status"] == "0"
    await call_api(http, "POST", "/api/stop_campaign", ref)
