from __future__ import annotations

import pytest

from engine.ari.query import basic_auth_header
from engine.domain.errors import Unavailable
from tests.unit.api.support import AUTH, Api, envelope

REFUSED = [
    {},
    {"account": "account_1"},
    {"auth": "token-one"},
    {"account": "account_1", "auth": "token-two"},
    {"account": "nobody", "auth": "token-one"},
    {"account": "", "auth": ""},
]


@pytest.mark.parametrize("headers", REFUSED)
async def test_missing_or_wrong_credentials_are_401(api: Api, headers: dict[str, str]) -> None:
    response = await api.client.post("/api/echo", json={"count": 1}, headers=headers)
    assert response.status == 401
    body = await envelope(response)
    assert (body["error"], body["details"]) == ("unauthorized", {})


async def test_every_refusal_reads_the_same(api: Api) -> None:
    bodies = []
    for headers in REFUSED:
        body = await envelope(await api.client.post("/api/echo", json={}, headers=headers))
        body.pop("request_id")
        bodies.append(body)
    assert all(body == bodies[0] for body in bodies)


async def test_the_authenticator_is_asked_only_with_both_headers(api: Api) -> None:
    await api.client.get("/api/echo", headers={"account": "account_1"})
    assert api.authenticator.calls == []
    await api.client.post("/api/echo", json={"count": 1}, headers=AUTH)
    assert api.authenticator.calls == [("account_1", "token-one")]


async def test_the_account_reaches_the_handler(api: Api) -> None:
    headers = {"account": "account_2", "auth": "token-two"}
    response = await api.client.post("/api/echo", json={"count": 1}, headers=headers)
    assert (await envelope(response))["account_id"] == "account_2"


async def test_public_routes_need_no_credentials(api: Api) -> None:
    for path in ("/api/openapi.json", "/api/docs", "/api/context", "/healthz", "/readyz"):
        response = await api.client.get(path)
        assert response.status == 200, path
    assert api.authenticator.calls == []


async def test_authentication_backend_down_is_503(api: Api) -> None:
    api.authenticator.failure = Unavailable("database is down")
    response = await api.client.post("/api/echo", json={"count": 1}, headers=AUTH)
    assert response.status == 503
    assert (await envelope(response))["error"] == "service_unavailable"


async def test_draining_refuses_api_calls_but_probes_answer(api: Api) -> None:
    api.lifecycle.start_draining()
    for headers in (AUTH, {}):
        response = await api.client.post("/api/echo", json={"count": 1}, headers=headers)
        assert response.status == 503
        assert (await envelope(response))["error"] == "shutting_down"
    assert (await api.client.get("/api/docs")).status == 503
    assert (await api.client.get("/healthz")).status == 200
    ready = await api.client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["status"] == "draining"


async def test_http_basic_works_where_the_headers_are_absent(api: Api) -> None:
    # A Plivo application downloads the RecordUrl it was given with its Basic login.
    response = await api.client.post("/api/echo", json={"count": 1},
                                     headers=basic_auth_header("account_2", "token-two"))
    assert (await envelope(response))["account_id"] == "account_2"
    wrong = basic_auth_header("account_2", "token-one")
    refused = await api.client.post("/api/echo", json={}, headers=wrong)
    assert refused.status == 401
    garbled = await api.client.post("/api/echo", json={},
                                    headers={"Authorization": "Basic %%%"})
    assert garbled.status == 401
