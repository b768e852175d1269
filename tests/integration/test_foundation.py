"""The foundation on the real stack: readiness, auth, and every error class in the envelope."""

from __future__ import annotations

import aiohttp
import pytest

from tests.integration.helpers import call_api
from tests.integration.stack import ACCOUNT_1

pytestmark = pytest.mark.integration


async def test_readyz_reports_every_part_up(http: aiohttp.ClientSession) -> None:
    async with http.get("/readyz") as response:
        body = await response.json()
    assert response.status == 200
    assert body["status"] == "ready"
    assert body["components"] == {"ari": "up", "ami": "up", "db": "up"}


async def test_healthz_is_alive(http: aiohttp.ClientSession) -> None:
    async with http.get("/healthz") as response:
        assert response.status == 200


async def test_account_1_credentials_are_accepted(http: aiohttp.ClientSession) -> None:
    status, body = await call_api(http, "GET", "/api/get_live_call_statistics")
    assert status == 200
    assert body["response"]["success"] == "true"


@pytest.mark.parametrize("headers", [
    {},
    {"account": "account_1"},
    {"auth": "test-token-1"},
    {"account": "account_1", "auth": "wrong"},
    {"account": "nobody", "auth": "test-token-1"},
    {"account": "account_2", "auth": "test-token-1"},
])
async def test_bad_credentials_are_401_and_never_say_which(
    http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    async with http.get("/api/get_live_call_statistics", headers=headers) as response:
        body = await response.json()
    assert response.status == 401
    assert body["response"]["success"] == "false"
    assert body["response"]["error"] == "unauthorized"
    # The same words whichever header was missing or wrong.
    assert body["response"]["message"] == "missing or wrong 'account'/'auth' headers"


async def test_malformed_json_is_400(http: aiohttp.ClientSession) -> None:
    async with http.post("/api/click2call", data=b"{not json", headers={
            **ACCOUNT_1, "Content-Type": "application/json"}) as response:
        body = await response.json()
    assert response.status == 400
    assert body["response"]["error"] == "malformed_json"


async def test_wrong_media_type_is_415(http: aiohttp.ClientSession) -> None:
    async with http.post("/api/click2call", data=b"agent_number=101", headers={
            **ACCOUNT_1, "Content-Type": "application/x-www-form-urlencoded"}) as response:
        body = await response.json()
    assert response.status == 415
    assert body["response"]["error"] == "unsupported_media_type"


async def test_five_mib_body_is_413(http: aiohttp.ClientSession) -> None:
    blob = b'{"agent_number": "' + b"1" * (5 * 1024 * 1024) + b'"}'
    async with http.post("/api/click2call", data=blob, headers={
            **ACCOUNT_1, "Content-Type": "application/json"}) as response:
        body = await response.json()
    assert response.status == 413
    assert body["response"]["error"] == "payload_too_large"


async def test_unknown_path_is_404_in_the_envelope(http: aiohttp.ClientSession) -> None:
    status, body = await call_api(http, "GET", "/api/no_such_thing")
    assert status == 404
    assert body["response"]["success"] == "false"
    assert body["response"]["error"] == "not_found"


async def test_wrong_method_is_405(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/click2call", headers=ACCOUNT_1) as response:
        body = await response.json()
    assert response.status == 405
    assert body["response"]["error"] == "method_not_allowed"
    assert "POST" in response.headers.get("Allow", "")


@pytest.mark.parametrize(("body", "field"), [
    ({"agent_number": 101, "caller_id": [], "destination_number": "15168141000"}, "caller_id"),
    ({"caller_id": "15168148111", "destination_number": "15168141000"}, "agent_number"),
    ({"agent_number": "101", "caller_id": "15168148111", "destination_number": "9" * 5000},
     "destination_number"),
    ({"agent_number": "101", "caller_id": "15168148111", "destination_number": "hello"},
     "destination_number"),
    ({"agent_number": "abc", "caller_id": "15168148111", "destination_number": "15168141000"},
     "agent_number"),
    ({"agent_number": "101", "caller_id": "15168148111", "destination_number": "15168141000",
      "recording_option": "sometimes"}, "recording_option"),
])
async def test_field_errors_are_422_naming_the_field(
    http: aiohttp.ClientSession, body: dict[str, object], field: str
) -> None:
    status, payload = await call_api(http, "POST", "/api/click2call", body)
    assert status == 422, payload
    assert payload["response"]["error"] == "invalid_field"
    assert payload["response"]["details"]["field"] == field


async def test_a_json_array_body_is_rejected_cleanly(http: aiohttp.ClientSession) -> None:
    status, payload = await call_api(http, "POST", "/api/click2call", ["101"])
    assert status == 422, payload
    assert payload["response"]["success"] == "false"
    assert payload["response"]["error"] == "invalid_body"
    assert payload["response"]["details"] == {"expected": "object", "received": "array"}


async def test_openapi_document_is_served(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/openapi.json") as response:
        spec = await response.json()
    assert response.status == 200
    assert spec["openapi"].startswith("3.")
    assert "/api/click2call" in spec["paths"]
    async with http.get("/api/docs") as response:
        assert response.status == 200
        assert "click2call" in await response.text()
