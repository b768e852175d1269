"""OTP announce templates on the real stack: the account's API, the operator's CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.domain.templates import is_template_id
from engine.settings import Settings
from tests.integration.helpers import call_api
from tests.integration.stack import ACCOUNT_1, ACCOUNT_2, TEST_ENV

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Your one time password is {otp}"


async def engine_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m engine ARGS`` against the test stack's database (its settings env)."""
    env = {**os.environ, **TEST_ENV}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "engine", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )


async def create(http: aiohttp.ClientSession, name: str = "default otp", text: str = TEXT,
                 headers: dict[str, str] | None = None) -> str:
    status, body = await call_api(http, "POST", "/api/templates", {"name": name, "text": text},
                                  headers=headers)
    assert status == 200, body
    response = body["response"]
    assert set(response) == {"template_id", "status", "success"}
    assert response["status"] == "pending" and response["success"] == "true"
    template_id: str = response["template_id"]
    assert is_template_id(template_id), template_id
    return template_id


async def listed(http: aiohttp.ClientSession,
                 headers: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    status, body = await call_api(http, "GET", "/api/templates", headers=headers)
    assert status == 200, body
    return {t["template_id"]: t for t in body["response"]["result"]}


async def test_create_list_get_delete(http: aiohttp.ClientSession, settings: Settings) -> None:
    template_id = await create(http, "  login code ", "  Your login code is {otp}. Bye.  ")
    mine = await listed(http)
    assert template_id in mine
    status, body = await call_api(http, "GET", f"/api/templates/{template_id}")
    assert status == 200, body
    view = body["response"]
    assert view == mine[template_id] | {"success": "true"}
    assert view["name"] == "login code"
    assert view["text"] == "Your login code is {otp}. Bye."
    assert view["status"] == "pending" and view["approved_at"] == ""
    assert view["created_at"].endswith(" GMT")
    assert all(isinstance(v, str) for v in view.values())

    status, body = await call_api(http, "DELETE", f"/api/templates/{template_id}")
    assert status == 200, body
    assert body["response"] == {"message": "template deleted successfully", "success": "true"}
    assert template_id not in await listed(http)
    for method in ("GET", "DELETE"):
        status, body = await call_api(http, method, f"/api/templates/{template_id}")
        assert status == 404, body
        assert body["response"]["error"] == "template_not_found"


async def test_operator_approves_with_the_cli(http: aiohttp.ClientSession,
                                              settings: Settings) -> None:
    template_id = await create(http, "to approve")
    result = await engine_cli("templates", "list-pending")
    assert result.returncode == 0, result.stderr
    pending = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"template_id": template_id, "account": "account_1", "name": "to approve",
            "text": TEXT}.items() <= next(p for p in pending
                                          if p["template_id"] == template_id).items()

    result = await engine_cli("templates", "approve", template_id)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"template_id": template_id, "account": "account_1",
                                         "status": "approved"}
    _, body = await call_api(http, "GET", f"/api/templates/{template_id}")
    approved = body["response"]
    assert approved["status"] == "approved" and approved["approved_at"].endswith(" GMT")

    # Approving again changes nothing; the template has left the pending list.
    result = await engine_cli("templates", "approve", template_id)
    assert result.returncode == 0, result.stderr
    _, body = await call_api(http, "GET", f"/api/templates/{template_id}")
    assert body["response"]["approved_at"] == approved["approved_at"]
    result = await engine_cli("templates", "list-pending")
    assert template_id not in result.stdout


async def test_cli_approving_an_unknown_template_fails(settings: Settings) -> None:
    for unknown in ("AN0000000000", "not-an-id"):
        result = await engine_cli("templates", "approve", unknown)
        assert result.returncode == 1
        assert "template not found" in result.stderr


async def test_the_account_cannot_approve_its_own_template(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    template_id = await create(http)
    for method, path, body in (
        ("POST", f"/api/templates/{template_id}/approve", {}),
        ("POST", f"/api/templates/{template_id}", {"status": "approved"}),
        ("PUT", f"/api/templates/{template_id}", {"status": "approved"}),
        ("PATCH", f"/api/templates/{template_id}", {"status": "approved"}),
    ):
        status, payload = await call_api(http, method, path, body)
        assert status in (404, 405), (method, path, payload)
    status, payload = await call_api(http, "POST", "/api/templates",
                                     {"name": "x", "text": TEXT, "status": "approved"})
    assert status == 422, payload
    assert payload["response"]["details"]["field"] == "status"
    _, payload = await call_api(http, "GET", f"/api/templates/{template_id}")
    assert payload["response"]["status"] == "pending"


async def test_another_accounts_template_looks_missing(http: aiohttp.ClientSession) -> None:
    theirs = await create(http, "account 1's", headers=ACCOUNT_1)
    assert theirs not in await listed(http, ACCOUNT_2)
    missing: list[dict[str, Any]] = []
    for template_id in (theirs, "AN0000000000", "nonsense"):
        for method in ("GET", "DELETE"):
            status, body = await call_api(http, method, f"/api/templates/{template_id}",
                                          headers=ACCOUNT_2)
            assert status == 404, body
            missing.append({k: v for k, v in body["response"].items() if k != "request_id"})
    assert all(m == missing[0] for m in missing), missing
    assert missing[0]["error"] == "template_not_found"
    # account_2's failed DELETE left it in place for its owner.
    status, _ = await call_api(http, "GET", f"/api/templates/{theirs}", headers=ACCOUNT_1)
    assert status == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"text": TEXT}, "name"),
    ({"name": "n"}, "text"),
    ({"name": "", "text": TEXT}, "name"),
    ({"name": "n" * 129, "text": TEXT}, "name"),
    ({"name": "n", "text": ""}, "text"),
    ({"name": "n", "text": "Your one time password is"}, "text"),
    ({"name": "n", "text": "Hi {name}, your code is {otp}"}, "text"),
    ({"name": "n", "text": "{otp} {otp}"}, "text"),
    ({"name": "n", "text": "x" * 500 + "{otp}"}, "text"),
    ({"name": "n", "text": ["{otp}"]}, "text"),
    ({"name": "n", "text": TEXT, "txt": TEXT}, "txt"),
])
async def test_bad_bodies_are_422_naming_the_field(
    http: aiohttp.ClientSession, body: dict[str, Any], field: str
) -> None:
    status, payload = await call_api(http, "POST", "/api/templates", body)
    assert status == 422, payload
    assert payload["response"]["error"] == "invalid_field"
    assert payload["response"]["details"]["field"] == field
