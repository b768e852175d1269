"""CSV imports on the real stack: files uploaded with PUT /api/files/{name}, read by the
import job runner; encodings, delimiters, headers, quoting, malformed files (nothing
imported), big files as jobs with progress, a job whose runner died, other accounts."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest

from engine.domain.ids import IMPORT_JOB_ID, new_import_job_id
from tests.integration.helpers import call_api
from tests.integration.stack import ACCOUNT_1, ACCOUNT_2
from tests.integration.test_contacts import create_dnd_list, create_list

pytestmark = pytest.mark.integration


def us(n: int) -> str:
    """The n-th valid US number (New York exchanges; the carrier never dials these here)."""
    area, rest = divmod(n, 799 * 10_000)
    exchange, line = divmod(rest, 10_000)
    return f"1{('516', '631', '914', '845')[area]}{201 + exchange}{line:04d}"


async def upload(http: aiohttp.ClientSession, data: bytes, suffix: str = ".csv",
                 headers: dict[str, str] | None = None) -> str:
    name = f"it-{uuid.uuid4().hex[:8]}{suffix}"
    async with http.put(f"/api/files/{name}", data=data,
                        headers={**(headers or ACCOUNT_1),
                                 "Content-Type": "text/csv"}) as response:
        body = await response.json()
        assert response.status == 200, body
    return name


async def import_csv(http: aiohttp.ClientSession, list_id: str, name: str,
                     headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    status, body = await call_api(http, "POST", "/api/import_broadcast_contacts_csv",
                                  {"list_id": list_id, "csv_name": name}, headers)
    return status, body["response"]


async def job(http: aiohttp.ClientSession, job_id: str,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    status, body = await call_api(http, "GET", f"/api/import_jobs/{job_id}", headers=headers)
    return status, body["response"]


async def until_finished(http: aiohttp.ClientSession, job_id: str,
                         timeout: float = 120.0) -> tuple[dict[str, Any], list[str]]:
    """The job once done or failed, and the statuses seen on the way."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        status, answer = await job(http, job_id)
        assert status == 200, answer
        if not seen or seen[-1] != answer["status"]:
            seen.append(answer["status"])
        if answer["status"] in ("done", "failed"):
            return answer, seen
        assert time.monotonic() < deadline, f"job {job_id} still {answer['status']}"
        await asyncio.sleep(0.1)


async def contacts_of(db: asyncpg.Connection, list_id: str) -> list[asyncpg.Record]:
    return await db.fetch("SELECT number, name, fields, unique_id FROM contacts "
                          "WHERE list_id = $1 ORDER BY contact_id", list_id)


def report(answer: dict[str, Any]) -> tuple[str, str, str]:
    return answer["imported"], answer["duplicates"], answer["rejected"]


async def test_header_fields_and_the_job_behind_the_answer(http: aiohttp.ClientSession,
                                                           db: asyncpg.Connection) -> None:
    list_id = await create_list(http)
    data = (f"Name,Phone,field1,amount,unique_id\n"
            f"Ankit,{us(1)},Ankit,500,crm-1\n"
            f"abc,{us(2)},abc,100,\n"
            f"dup,{us(1)},x,1,\n"
            f"bad,91997927XXXX,x,1,\n").encode()
    status, answer = await import_csv(http, list_id, await upload(http, data))
    assert status == 200, answer
    assert answer["message"] == "(2) contacts imported successfully"
    assert report(answer) == ("2", "1", "1")
    assert answer["errors"] == [{"row": "5", "field": "contact_number", "reason":
                                 "contact_number must be a phone number with country code"}]
    assert IMPORT_JOB_ID.fullmatch(answer["job_id"])
    rows = await contacts_of(db, list_id)
    assert [(r["number"], r["name"], json.loads(r["fields"]), r["unique_id"]) for r in rows] == [
        (us(1), "Ankit", {"field1": "Ankit", "amount": "500"}, "crm-1"),
        (us(2), "abc", {"field1": "abc", "amount": "100"}, None)]
    status, seen = await job(http, answer["job_id"])
    assert status == 200, seen
    assert {k: seen[k] for k in ("status", "list_id", "percent", "rows_read", "imported",
                                 "duplicates", "rejected", "failure", "failure_code")} == {
        "status": "done", "list_id": list_id, "percent": "100", "rows_read": "4",
        "imported": "2", "duplicates": "1", "rejected": "1", "failure": "", "failure_code": ""}
    assert seen["bytes_total"] == seen["bytes_read"] == str(len(data))
    assert seen["finished_date"].endswith(" GMT") and seen["message"] == "import job found"


@pytest.mark.parametrize(("encoding", "text"), [
    ("utf-8-sig", "José;{n1};\"Doe; John\"\nZoë;{n2};x\n"),  # BOM, semicolons
    ("latin-1", "José;{n1};\"Doe; John\"\nZoë;{n2};x\n"),
    ("cp1252", "Jos\u00e9,{n1},\"said \"\"hi\"\",\nthen left\"\nO\u2019Brien,{n2},x\r\n"),
])
async def test_encodings_delimiters_and_quoting(http: aiohttp.ClientSession,
                                                db: asyncpg.Connection, encoding: str,
                                                text: str) -> None:
    list_id = await create_list(http)
    n1, n2 = us(10), us(11)
    data = text.format(n1=n1, n2=n2).encode(encoding)
    status, answer = await import_csv(http, list_id, await upload(http, data))
    assert status == 200, answer
    assert report(answer) == ("2", "0", "0"), answer
    rows = await contacts_of(db, list_id)
    names = [r["name"] for r in rows]
    assert names[0] == "José"
    assert names[1] in ("Zoë", "O\u2019Brien")
    field1 = json.loads(rows[0]["fields"])["field1"]
    assert field1 in ("Doe; John", 'said "hi",\nthen left')


async def test_single_column_file_without_header(http: aiohttp.ClientSession,
                                                 db: asyncpg.Connection) -> None:
    list_id = await create_list(http)
    data = "\n".join(["+1 (516) 201-0020", us(21), "", us(22)]).encode()
    status, answer = await import_csv(http, list_id, await upload(http, data))
    assert status == 200 and report(answer) == ("3", "0", "0"), answer
    assert [r["number"] for r in await contacts_of(db, list_id)] == [us(20), us(21), us(22)]


@pytest.mark.parametrize(("data", "reason"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary data (a NUL byte"),
    # 40 000 valid rows (batches already written to the stage) first: still nothing imported.
    (b"".join(f"n{i},{us(100 + i)}\n".encode() for i in range(40_000)) + b"tail\x00",
     "binary data (a NUL byte"),
    (b"name,number\nann,nope\nbob,123\n", "no row of the file has a valid phone number"),
    (b"name,city\nann,paris\n", "the header row names no number column"),
    (b"", "the file has no contact rows"),
])
async def test_not_a_csv_imports_nothing(http: aiohttp.ClientSession, db: asyncpg.Connection,
                                         data: bytes, reason: str) -> None:
    list_id = await create_list(http)
    status, answer = await import_csv(http, list_id, await upload(http, data))
    assert status == 422, answer
    assert answer["error"] == "invalid_csv" and answer["details"]["field"] == "csv_name"
    assert reason in answer["message"], answer
    assert await contacts_of(db, list_id) == []
    status, failed = await job(http, answer["details"]["job_id"])
    assert status == 200 and failed["status"] == "failed", failed
    assert failed["failure_code"] == "invalid_csv" and reason in failed["failure"]
    if "valid phone number" in reason:
        assert failed["rejected"] == "2" and answer["details"]["errors"][0]["row"] == "2"


async def test_file_and_list_errors(http: aiohttp.ClientSession) -> None:
    list_id = await create_list(http)
    status, answer = await import_csv(http, list_id, "missing.csv")
    assert status == 422 and answer["error"] == "csv_not_found", answer
    assert answer["details"]["field"] == "csv_name"
    status, answer = await import_csv(http, list_id, "../etc/passwd")
    assert status == 422 and answer["error"] == "invalid_file_name", answer
    assert answer["details"]["field"] == "csv_name"
    theirs = await upload(http, f"a,{us(30)}\n".encode(), headers=ACCOUNT_2)
    status, answer = await import_csv(http, list_id, theirs)  # another account's file
    assert status == 422 and answer["error"] == "csv_not_found", answer
    mine = await upload(http, f"a,{us(31)}\n".encode())
    status, answer = await import_csv(http, list_id, mine, ACCOUNT_2)  # another's list
    assert status == 404 and answer["error"] == "list_not_found", answer
    status, answer = await import_csv(http, list_id, mine)
    assert status == 200, answer
    status, other = await job(http, answer["job_id"], ACCOUNT_2)
    assert status == 404 and other["error"] == "import_job_not_found", other
    for bad in (new_import_job_id(), "IJnothex!!", "x" * 300):
        status, missing = await job(http, bad)
        assert status == 404 and missing["error"] == "import_job_not_found", (bad, missing)


async def test_dnd_csv(http: aiohttp.ClientSession, db: asyncpg.Connection) -> None:
    dnd_list_id = await create_dnd_list(http)
    data = f"dnd_contact_name,dnd_contact_number\nankit,{us(40)}\nabc,{us(41)}\nx,{us(40)}\n"
    name = await upload(http, data.encode())
    status, body = await call_api(http, "POST", "/api/import_dnd_contacts_csv",
                                  {"dnd_list_id": dnd_list_id, "dnd_csv_name": name})
    assert status == 200, body
    answer = body["response"]
    assert answer["message"] == "(2) DND contacts imported successfully"
    assert report(answer) == ("2", "1", "0")
    numbers = await db.fetch("SELECT number, name FROM dnd_numbers WHERE dnd_list_id = $1 "
                             "ORDER BY number", dnd_list_id)
    assert [tuple(r) for r in numbers] == [(us(40), "ankit"), (us(41), "abc")]
    status, seen = await job(http, answer["job_id"])
    assert seen["dnd_list_id"] == dnd_list_id and seen["dnd_csv_name"] == name
    status, body = await call_api(http, "POST", "/api/import_dnd_contacts_csv",
                                  {"dnd_list_id": dnd_list_id, "dnd_csv_name": "nope.csv"})
    assert status == 422 and body["response"]["details"]["field"] == "dnd_csv_name", body


async def test_a_hundred_thousand_rows_run_as_a_job(http: aiohttp.ClientSession,
                                                    db: asyncpg.Connection) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "number", "field1", "field2", "field3"])
    writer.writerows((f"Contact {n}", us(1000 + n), f"city{n % 97}", f"plan-{n % 7}", str(n))
                     for n in range(100_000))
    data = out.getvalue().encode()
    assert len(data) > 2 * 1024 * 1024  # over import_sync_max_bytes: answered at once
    name = await upload(http, data)
    list_id = await create_list(http)
    status, answer = await import_csv(http, list_id, name)
    assert status == 202, answer
    assert answer == {"message": "import queued", "job_id": answer["job_id"], "success": "true"}
    done, seen = await until_finished(http, answer["job_id"])
    assert done["status"] == "done", done
    assert seen[-1] == "done" and set(seen) <= {"queued", "running", "done"}
    assert (done["rows_read"], *report(done), done["percent"]) == (
        "100000", "100000", "0", "0", "100")
    assert await db.fetchval("SELECT count(*) FROM contacts WHERE list_id = $1",
                             list_id) == 100_000
    last = await db.fetchrow("SELECT name, fields FROM contacts WHERE list_id = $1 AND "
                             "number = $2", list_id, us(1000 + 99_999))
    assert last is not None
    assert last["name"] == "Contact 99999"
    assert json.loads(last["fields"]) == {"field1": f"city{99_999 % 97}",
                                          "field2": f"plan-{99_999 % 7}", "field3": "99999"}
    # The same file again: every row is a duplicate now.
    status, again = await import_csv(http, list_id, name)
    assert status == 202, again
    done, _ = await until_finished(http, again["job_id"])
    assert report(done) == ("0", "100000", "0"), done


async def test_a_job_whose_runner_died_runs_again(http: aiohttp.ClientSession,
                                                  db: asyncpg.Connection) -> None:
    list_id = await create_list(http)
    name = await upload(http, f"a,{us(50)}\nb,{us(51)}\n".encode())
    job_id = new_import_job_id()
    # As a runner leaves it when it dies mid-import: running, its lease long past.
    await db.execute(
        "INSERT INTO import_jobs (job_id, account_id, target_kind, target_id, file_name, "
        "status, bytes_total, bytes_read, rows_read, claimed_by, claimed_at) "
        "VALUES ($1, 'account_1', 'contacts', $2, $3, 'running', 10, 5, 1, 'dead:1:x', "
        "now() - interval '1 hour')", job_id, list_id, name)
    await db.execute("SELECT pg_notify('import_jobs', $1)", job_id)
    done, _ = await until_finished(http, job_id, timeout=60)
    assert done["status"] == "done" and report(done) == ("2", "0", "0"), done
    assert await db.fetchval("SELECT claimed_by FROM import_jobs WHERE job_id = $1",
                             job_id) != "dead:1:x"
    assert len(await contacts_of(db, list_id)) == 2
