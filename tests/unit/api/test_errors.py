from __future__ import annotations

import logging

import pytest

from tests.unit.api.support import AUTH, AUTH_JSON, Api, envelope


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("invalid_field", 422, "invalid_field"),
        ("rejected", 422, "rejected"),
        ("not_found", 404, "not_found"),
        ("conflict", 409, "conflict"),
        ("unavailable", 503, "service_unavailable"),
        ("timed_out", 503, "timed_out"),
    ],
)
async def test_engine_errors_map_to_status_and_code(
    api: Api, kind: str, status: int, code: str
) -> None:
    response = await api.client.get(f"/api/raise/{kind}", headers=AUTH)
    assert response.status == status
    body = await envelope(response)
    assert (body["success"], body["error"]) == ("false", code)
    assert body["request_id"] == response.headers["X-Request-Id"]


async def test_invalid_field_names_the_field(api: Api) -> None:
    body = await envelope(await api.client.get("/api/raise/invalid_field", headers=AUTH))
    assert body["details"] == {"field": "agent_number"}
    assert body["message"] == "agent_number must be an extension"


async def test_unexpected_error_is_500_without_internals(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="engine.api.errors"):
        response = await api.client.get("/api/raise/runtime", headers=AUTH)
    assert response.status == 500
    text = await response.text()
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret", ".py"):
        assert leak not in text
    body = await envelope(response)
    request_id = response.headers["X-Request-Id"]
    assert body["error"] == "internal_error"
    assert request_id in body["message"]
    assert body["details"] == {}
    assert body["request_id"] == request_id
    [record] = [r for r in caplog.records if r.name == "engine.api.errors"]
    assert record.exc_info is not None
    assert record.request_id == request_id  # type: ignore[attr-defined]


async def test_unknown_path_is_404_in_the_envelope(api: Api) -> None:
    response = await api.client.get("/api/no_such_thing", headers=AUTH)
    assert response.status == 404
    assert (await envelope(response))["error"] == "not_found"
    outside = await api.client.get("/nowhere")
    assert outside.status == 404
    assert (await envelope(outside))["error"] == "not_found"


async def test_unknown_api_path_needs_credentials_first(api: Api) -> None:
    response = await api.client.get("/api/no_such_thing")
    assert response.status == 401


async def test_wrong_method_is_405_with_allow(api: Api) -> None:
    response = await api.client.get("/api/echo", headers=AUTH)
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    body = await envelope(response)
    assert body["error"] == "method_not_allowed"
    assert body["details"] == {"allowed": ["POST"]}


async def test_request_ids_are_fresh_and_client_ids_are_ignored(api: Api) -> None:
    first = await api.client.get("/healthz", headers={"X-Request-Id": "chosen-by-client"})
    second = await api.client.post("/api/echo", json={"count": "1"}, headers=AUTH)
    ids = {first.headers["X-Request-Id"], second.headers["X-Request-Id"]}
    assert len(ids) == 2
    assert "chosen-by-client" not in ids
    assert all(len(i) == 12 for i in ids)


async def test_log_context_is_per_request_even_on_one_connection(api: Api) -> None:
    # The test client keeps the connection alive, so both requests share the server task.
    await api.client.post("/api/echo", json={"count": "1"}, headers=AUTH_JSON)
    response = await api.client.get("/api/context")
    body = await envelope(response)
    assert body["account"] is None
    assert body["request_id"] == response.headers["X-Request-Id"]
