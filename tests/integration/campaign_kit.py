"""Lists, DND lists and campaigns made through the seed's API, for the dialing tests."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from engine.settings import Settings
from tests.integration.helpers import CALLER_ID, call_api, eventually


def heard_dir(settings: Settings) -> Path:
    return settings.var_dir / "asterisk" / "carrier" / "spool" / "heard"


def wall_utc(offset_seconds: float) -> str:
    """A UTC wall time ``offset_seconds`` from now, in the seed's format."""
    moment = datetime.fromtimestamp(int(time.time() + offset_seconds), UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}"


async def new_list(http: aiohttp.ClientSession, numbers: list[str],
                   fields: dict[str, dict[str, str]] | None = None) -> str:
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": f"list-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    list_id: str = body["response"]["list_id"]
    contacts = [{"contact_name": f"name{n}", "contact_number": n,
                 "contact_fields": (fields or {}).get(n, {"field1": "friend"})}
                for n in numbers]
    status, body = await call_api(http, "POST", "/api/add_contact_to_list",
                                  {"list_id": list_id, "contacts": contacts})
    assert status == 200, body
    assert body["response"]["message"] == f"({len(numbers)}) contacts imported successfully"
    return list_id


async def new_dnd_list(http: aiohttp.ClientSession, numbers: list[str]) -> str:
    status, body = await call_api(http, "POST", "/api/create_campaign_dnd_list",
                                  {"dnd_list_name": f"dnd-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    dnd_list_id: str = body["response"]["dnd_list_id"]
    if numbers:
        status, body = await call_api(http, "POST", "/api/add_dnd_contact_to_list", {
            "dnd_list_id": dnd_list_id,
            "dnd_contacts": [{"dnd_contact_name": "no", "dnd_contact_number": n}
                             for n in numbers]})
        assert status == 200, body
    return dnd_list_id


def campaign_body(list_id: str, dnd_list_id: str = "", **changes: str) -> dict[str, Any]:
    """A type 0 announcement campaign whose window is open now, at 120 calls a minute."""
    body: dict[str, Any] = {
        "list_id": list_id, "dnd_list_id": dnd_list_id,
        "campaign_name": f"campaign-{uuid.uuid4().hex[:10]}", "campaign_type": "0",
        "campaign_caller_id": CALLER_ID, "dynamic_announcement": "1",
        "recorded_filename": "", "announcement_text": "Hello {field1}",
        "campaign_start_date": wall_utc(-60), "campaign_end_date": wall_utc(3600),
        "time_zone": "UTC", "repeat": "1", "max_retries": "0", "retry_time": "60",
        "calls_per_minute": "120",
    }
    body.update(changes)
    return body


async def create_campaign(http: aiohttp.ClientSession, body: dict[str, Any]) -> str:
    status, reply = await call_api(http, "POST", "/api/create_campaign", body)
    assert status == 200, reply
    campaign_id: str = reply["response"]["campaign_id"]
    return campaign_id


async def details(http: aiohttp.ClientSession, campaign_id: str) -> dict[str, Any]:
    status, body = await call_api(http, "GET",
                                  f"/api/get_campaign_details?campaign_id={campaign_id}")
    assert status == 200, body
    (found,) = [c for c in body["response"]["result"] if c["campaign_id"] == campaign_id]
    return dict(found)


async def progress(http: aiohttp.ClientSession, campaign_id: str) -> dict[str, Any]:
    status, body = await call_api(http, "POST", "/api/get_campaign_progress",
                                  {"campaign_id": campaign_id})
    assert status == 200, body
    return dict(body["response"]["result"])


async def wait_status(http: aiohttp.ClientSession, campaign_id: str, status: str,
                      timeout: float = 90.0) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        found = await details(http, campaign_id)
        return found if found["campaign_status"] == status else None
    return await eventually(reached, timeout=timeout,
                            what=f"campaign {campaign_id} to reach status {status}")


async def wait_settled(http: aiohttp.ClientSession, campaign_id: str,
                       timeout: float = 90.0) -> dict[str, Any]:
    """The campaign's progress once no contact is waiting or being dialled."""
    async def settled() -> dict[str, Any] | None:
        view = await progress(http, campaign_id)
        busy = int(view["pending"]) + int(view["retry_scheduled"]) + int(view["in_progress"])
        return view if busy == 0 else None
    return await eventually(settled, timeout=timeout,
                            what=f"campaign {campaign_id} to settle every contact")


async def campaign_cdrs(http: aiohttp.ClientSession, campaign_id: str) -> list[dict[str, Any]]:
    status, body = await call_api(http, "POST", "/api/get_cdr_by_campaign_id",
                                  {"campaign_id": campaign_id})
    assert status == 200, body
    rows: list[dict[str, Any]] = body["response"]["result"]
    return rows
