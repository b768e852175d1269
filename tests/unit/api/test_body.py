from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientResponse

from engine.api.body import SHORT_STR_CHARS
from tests.unit.api.support import AUTH, AUTH_JSON, Api, envelope

FIVE_MIB = 5 * 1024 * 1024


async def _post(
    api: Api, data: bytes | str, content_type: str = "application/json"
) -> ClientResponse:
    headers = {**AUTH, "Content-Type": content_type}
    return await api.client.post("/api/echo", data=data, headers=headers)


async def test_seed_style_string_values_are_accepted(api: Api) -> None:
    response = await api.client.post(
        "/api/echo",
        json={"count": "3", "loud": "on", "channel": " PJSIP/101-0000023c"},
        headers=AUTH,
    )
    assert response.status == 200
    assert await response.json() == {
        "response": {
            "account_id": "account_1", "count": 3, "loud": "on",
            "channel": "PJSIP/101-0000023c", "success": "true",
        }
    }


async def test_charset_parameter_is_fine(api: Api) -> None:
    response = await _post(api, '{"count": 2}', "application/json; charset=UTF-8")
    assert response.status == 200


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"count": "1"', "not valid JSON"),
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"count": "\xc3\x28"}', "UTF-8"),
        (b"", "empty"),
        (b'{"count": NaN}', "not valid JSON"),
        (b"[" * 200_000, "not valid JSON"),
        (b'{"channel": "\\ud800"}', "surrogate"),
    ],
)
async def test_unparseable_bodies_are_400(api: Api, data: bytes, fragment: str) -> None:
    response = await _post(api, data)
    assert response.status == 400
    body = await envelope(response)
    assert body["error"] == "malformed_json"
    assert fragment in body["message"]


@pytest.mark.parametrize(("data", "kind"), [("[]", "array"), ('"x"', "string"), ("1", "number"),
                                            ("null", "null"), ("true", "boolean")])
async def test_json_that_is_not_an_object_is_422(api: Api, data: str, kind: str) -> None:
    response = await _post(api, data)
    assert response.status == 422
    body = await envelope(response)
    assert body["error"] == "invalid_body"
    assert body["details"] == {"expected": "object", "received": kind}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1"])
async def test_other_content_types_are_415(api: Api, content_type: str) -> None:
    response = await _post(api, '{"count": "1"}', content_type)
    assert response.status == 415
    assert (await envelope(response))["error"] == "unsupported_media_type"


async def test_missing_content_type_is_415(api: Api) -> None:
    response = await api.client.post("/api/echo", data=b'{"count": "1"}', headers=AUTH)
    assert response.status == 415


async def test_five_mib_body_is_refused_quickly(api: Api) -> None:
    started = time.perf_counter()
    response = await _post(api, b'{"note": "' + b"x" * FIVE_MIB + b'"}')
    assert response.status == 413
    body = await envelope(response)
    assert body["error"] == "payload_too_large"
    assert body["details"] == {"max_bytes": 1024 * 1024}
    assert time.perf_counter() - started < 5


async def test_chunked_body_over_the_limit_is_413(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * (1024 * 1024)

    response = await api.client.post("/api/echo", data=chunks(), headers=AUTH_JSON)
    assert response.status == 413
    assert (await envelope(response))["error"] == "payload_too_large"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"count": "abc"}, "count"),
        ({"count": True}, "count"),
        ({"count": "11"}, "count"),
        ({"count": "1", "loud": "maybe"}, "loud"),
        ({"count": "1", "tags": [{"name": 5}, {"nom": "x"}]}, "tags.1.name"),
        ({"loud": "on"}, "count"),
    ],
)
async def test_invalid_fields_are_422_naming_the_field(
    api: Api, data: dict[str, object], field: str
) -> None:
    response = await api.client.post("/api/echo", json=data, headers=AUTH)
    assert response.status == 422
    body = await envelope(response)
    assert body["error"] == "invalid_field"
    assert body["details"]["field"] == field
    assert body["message"].startswith(f"{field}: ")
    assert body["details"]["errors"][0]["field"] == field


async def test_missing_field_says_so(api: Api) -> None:
    response = await api.client.post("/api/echo", json={}, headers=AUTH)
    body = await envelope(response)
    assert body["message"] == "count: field required"
    assert body["details"]["errors"] == [
        {"field": "count", "message": "field required", "type": "missing"}
    ]


async def test_unknown_field_is_named(api: Api) -> None:
    response = await api.client.post("/api/echo", json={"count": 1, "recording_options": "on"},
                                     headers=AUTH)
    body = await envelope(response)
    assert response.status == 422
    assert body["details"]["field"] == "recording_options"
    assert body["message"] == "recording_options: unknown field"


async def test_absurd_lengths_are_422_and_never_echoed(api: Api) -> None:
    huge = "A" * 500_000
    response = await api.client.post(
        "/api/echo", json={"count": 1, "channel": huge, huge: 1}, headers=AUTH
    )
    assert response.status == 422
    text = await response.text()
    assert len(text) < 2000
    body = await envelope(response)
    fields = {error["field"] for error in body["details"]["errors"]}
    assert "channel" in fields
    assert all(len(name) <= 100 for name in fields)


async def test_short_strings_have_a_bound(api: Api) -> None:
    data = {"count": 1, "channel": "x" * (SHORT_STR_CHARS + 1)}
    response = await api.client.post("/api/echo", json=data, headers=AUTH)
    body = await envelope(response)
    assert body["details"]["errors"][0]["type"] == "string_too_long"


async def test_many_errors_are_capped(api: Api) -> None:
    data = {"count": 1, "tags": [{"name": "x" * 1000} for _ in range(50)]}
    body = await envelope(await api.client.post("/api/echo", json=data, headers=AUTH))
    assert len(body["details"]["errors"]) == 10
    assert body["details"]["error_count"] == 50
