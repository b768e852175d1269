"""Contact lists and DND lists on the real stack: the seed's endpoints and shapes, reports
of imported / duplicate / rejected rows, and another account denied everywhere."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest

from engine.domain.ids import DND_LIST_ID, LIST_ID
from tests.integration.helpers import call_api
from tests.integration.stack import ACCOUNT_1, ACCOUNT_2

pytestmark = pytest.mark.integration

IN_1, IN_2 = "919979271234", "918000681234"  # the seed's 91997927XXXX, 91800068XXXX
US_1 = "15168148111"


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def create_list(http: aiohttp.ClientSession, name: str | None = None,
                      headers: dict[str, str] | None = None) -> str:
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": name or unique("list")}, headers)
    assert status == 200, body
    assert set(body["response"]) == {"list_id", "success"}
    list_id: str = body["response"]["list_id"]
    assert LIST_ID.fullmatch(list_id), list_id
    return list_id


async def create_dnd_list(http: aiohttp.ClientSession, name: str | None = None,
                          headers: dict[str, str] | None = None) -> str:
    status, body = await call_api(http, "POST", "/api/create_campaign_dnd_list",
                                  {"dnd_list_name": name or unique("dnd")}, headers)
    assert status == 200, body
    assert set(body["response"]) == {"dnd_list_id", "success"}
    dnd_list_id: str = body["response"]["dnd_list_id"]
    assert DND_LIST_ID.fullmatch(dnd_list_id), dnd_list_id
    return dnd_list_id


async def add(http: aiohttp.ClientSession, list_id: str, contacts: list[Any],
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    status, body = await call_api(http, "POST", "/api/add_contact_to_list",
                                  {"list_id": list_id, "contacts": contacts}, headers)
    return status, body["response"]


async def test_create_list_and_the_seeds_add_contacts(http: aiohttp.ClientSession,
                                                      db: asyncpg.Connection) -> None:
    list_id = await create_list(http)
    status, answer = await add(http, list_id, [
        {"contact_name": "ankit", "contact_number": IN_1,
         "contact_fields": {"field1": "Ankit", "field2": "Jayswal", "field3": "500"}},
        {"contact_name": "abc", "contact_number": IN_2,
         "contact_fields": {"field1": "abc", "field2": "xyz", "field3": "100"}}])
    assert status == 200, answer
    assert answer == {"message": "(2) contacts imported successfully", "imported": "2",
                      "duplicates": "0", "rejected": "0", "errors": [], "success": "true"}
    rows = await db.fetch("SELECT number, name, fields, zones, unique_id FROM contacts "
                          "WHERE list_id = $1 ORDER BY number", list_id)
    assert [(r["number"], r["name"], json.loads(r["fields"]), r["zones"], r["unique_id"])
            for r in rows] == [
        (IN_2, "abc", {"field1": "abc", "field2": "xyz", "field3": "100"}, ["Asia/Calcutta"],
         None),
        (IN_1, "ankit", {"field1": "Ankit", "field2": "Jayswal", "field3": "500"},
         ["Asia/Calcutta"], None)]


async def test_duplicates_and_invalid_rows_are_reported(http: aiohttp.ClientSession,
                                                        db: asyncpg.Connection) -> None:
    list_id = await create_list(http)
    assert (await add(http, list_id, [{"contact_name": "first", "contact_number": US_1}]))[0] \
        == 200
    status, answer = await add(http, list_id, [
        {"contact_name": "again", "contact_number": "+1 (516) 814-8111"},  # already listed
        {"contact_name": "new", "contact_number": IN_1, "unique_id": "crm-7"},
        {"contact_name": "twice", "contact_number": IN_1},  # earlier in this request
        {"contact_name": "bad", "contact_number": "91997927XXXX"},
        {"contact_name": "seed's typo", "contact_numb er": IN_2},
        "not an object",
    ])
    assert status == 200, answer
    assert answer["message"] == "(1) contacts imported successfully"
    assert (answer["imported"], answer["duplicates"], answer["rejected"]) == ("1", "2", "3")
    assert answer["errors"] == [
        {"row": "4", "field": "contact_number",
         "reason": "contact_number must be a phone number with country code"},
        {"row": "5", "field": "contact_numb er", "reason": "unknown field 'contact_numb er'"},
        {"row": "6", "field": "", "reason": "a contact must be a JSON object"}]
    rows = await db.fetch("SELECT number, name, unique_id FROM contacts WHERE list_id = $1 "
                          "ORDER BY number", list_id)
    assert [tuple(r) for r in rows] == [(US_1, "first", None), (IN_1, "new", "crm-7")]


async def test_list_names_are_unique_per_account(http: aiohttp.ClientSession) -> None:
    name = unique("shared name")
    await create_list(http, name)
    status, body = await call_api(http, "POST", "/api/create_campaign_list",
                                  {"list_name": name})
    assert status == 409, body
    assert body["response"]["error"] == "list_name_taken"
    await create_list(http, name, ACCOUNT_2)  # another account may use it
    for payload, field in (({"list_name": "  "}, "list_name"), ({}, "list_name"),
                           ({"list_name": "x", "extra": 1}, "extra"),
                           ({"list_name": "x" * 129}, "list_name")):
        status, body = await call_api(http, "POST", "/api/create_campaign_list", payload)
        assert status == 422, (payload, body)
        assert body["response"]["details"]["field"] == field


async def test_request_limits(http: aiohttp.ClientSession) -> None:
    list_id = await create_list(http)
    status, answer = await add(http, list_id, [])
    assert status == 422 and answer["error"] == "no_contacts", answer
    assert answer["details"]["field"] == "contacts"
    status, answer = await add(http, list_id, [{"contact_number": "1"}] * 10_001)
    assert status == 422 and answer["error"] == "too_many_contacts", answer
    status, answer = await add(http, list_id, {"contact_number": US_1})  # type: ignore[arg-type]
    assert status == 422 and answer["details"]["field"] == "contacts", answer


async def test_many_contacts_in_one_request(http: aiohttp.ClientSession) -> None:
    list_id = await create_list(http)
    contacts = [{"contact_number": f"1516{2000000 + n}", "contact_fields": {"n": str(n)}}
                for n in range(5000)] + [{"contact_number": "nope"}]
    status, answer = await add(http, list_id, contacts)
    assert status == 200, answer
    assert (answer["imported"], answer["duplicates"], answer["rejected"]) == ("5000", "0", "1")
    assert answer["errors"][0]["row"] == "5001"
    status, body = await call_api(http, "GET", "/api/campaign_lists")
    assert status == 200
    mine = [entry for entry in body["response"]["result"] if entry["list_id"] == list_id]
    assert len(mine) == 1 and mine[0]["contact_count"] == "5000"
    assert set(mine[0]) == {"list_id", "list_name", "contact_count", "created_date"}
    assert mine[0]["created_date"].endswith(" GMT")


async def test_another_account_sees_nothing(http: aiohttp.ClientSession) -> None:
    list_id = await create_list(http)
    dnd_list_id = await create_dnd_list(http)
    status, answer = await add(http, list_id, [{"contact_number": US_1}], ACCOUNT_2)
    assert status == 404 and answer["error"] == "list_not_found", answer
    status, missing = await add(http, "LS0000000000", [{"contact_number": US_1}])
    assert status == 404 and missing["error"] == "list_not_found"
    assert missing["message"] == answer["message"]
    status, body = await call_api(http, "POST", "/api/add_dnd_contact_to_list",
                                  {"dnd_list_id": dnd_list_id,
                                   "dnd_contacts": [{"dnd_contact_number": US_1}]}, ACCOUNT_2)
    assert status == 404 and body["response"]["error"] == "dnd_list_not_found", body
    status, answer = await add(http, dnd_list_id, [{"contact_number": US_1}])
    assert status == 404 and answer["error"] == "list_not_found"  # a DND id is not a list id
    for path, key in (("/api/campaign_lists", "list_id"),
                      ("/api/campaign_dnd_lists", "dnd_list_id")):
        status, body = await call_api(http, "GET", path, headers=ACCOUNT_2)
        assert status == 200
        assert all(entry[key] not in (list_id, dnd_list_id)
                   for entry in body["response"]["result"])
    status, body = await call_api(http, "GET", "/api/campaign_lists", headers=ACCOUNT_1)
    assert list_id in {entry["list_id"] for entry in body["response"]["result"]}


async def test_dnd_lists(http: aiohttp.ClientSession, db: asyncpg.Connection) -> None:
    name = unique("my_first_DND_list")
    dnd_list_id = await create_dnd_list(http, name)
    status, body = await call_api(http, "POST", "/api/create_campaign_dnd_list",
                                  {"dnd_list_name": name})
    assert status == 409 and body["response"]["error"] == "dnd_list_name_taken", body
    status, body = await call_api(http, "POST", "/api/add_dnd_contact_to_list", {
        "dnd_list_id": dnd_list_id,
        "dnd_contacts": [{"dnd_contact_name": "ankit", "dnd_contact_number": IN_1},
                         {"dnd_contact_name": "abc", "dnd_contact_number": IN_2}]})
    assert status == 200, body
    assert body["response"] == {"message": "(2) DND contacts imported successfully",
                                "imported": "2", "duplicates": "0", "rejected": "0",
                                "errors": [], "success": "true"}
    status, body = await call_api(http, "POST", "/api/add_dnd_contact_to_list", {
        "dnd_list_id": dnd_list_id,
        "dnd_contacts": [{"dnd_contact_number": IN_1}, {"dnd_contact_number": "x"},
                         {"contact_number": US_1}]})
    assert status == 200, body
    answer = body["response"]
    assert answer["message"] == "(0) DND contacts imported successfully"
    assert (answer["imported"], answer["duplicates"], answer["rejected"]) == ("0", "1", "2")
    assert [e["field"] for e in answer["errors"]] == ["dnd_contact_number", "contact_number"]
    numbers = await db.fetch("SELECT number, name FROM dnd_numbers WHERE dnd_list_id = $1 "
                             "ORDER BY number", dnd_list_id)
    assert [tuple(r) for r in numbers] == [(IN_2, "abc"), (IN_1, "ankit")]
    status, body = await call_api(http, "GET", "/api/campaign_dnd_lists")
    mine = [e for e in body["response"]["result"] if e["dnd_list_id"] == dnd_list_id]
    assert mine == [{"dnd_list_id": dnd_list_id, "dnd_list_name": name,
                     "dnd_contact_count": "2", "created_date": mine[0]["created_date"]}]
