from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from aiohttp import web

from engine.api.app import OPENAPI_KEY, ApiDeps, build_app
from engine.api.docs import curl_example
from engine.api.openapi import build_openapi
from engine.api.routes import RouteSpec
from engine.lifecycle import Lifecycle
from tests.unit.api.support import AUTH, TOKENS, Api, EchoResource, FakeAuthenticator, FakeReadiness


async def _document(api: Api) -> dict[str, Any]:
    response = await api.client.get("/api/openapi.json")
    assert response.status == 200
    document: dict[str, Any] = await response.json()
    return document


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    prefix = "#/components/"
    assert ref.startswith(prefix)
    node: Any = document["components"]
    for part in ref.removeprefix(prefix).split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _all_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _all_refs(value)]
    return []


async def test_document_is_openapi_3_1_with_the_test_route(api: Api) -> None:
    document = await _document(api)
    assert document["openapi"] == "3.1.0"
    assert {"title", "version"} <= set(document["info"])
    assert set(document["paths"]) == {"/api/echo", "/api/raise/{kind}", "/api/context"}
    operation = document["paths"]["/api/echo"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    echo = _resolve(document, body["schema"]["$ref"])
    assert echo["required"] == ["count"]
    assert {"count", "loud", "channel", "note", "tags"} == set(echo["properties"])
    assert echo["additionalProperties"] is False
    assert body["example"] == {"count": "3"}
    assert operation["security"] == [{"account": [], "auth": []}]


async def test_every_reference_resolves(api: Api) -> None:
    document = await _document(api)
    refs = set(_all_refs(document))
    for ref in refs:
        assert _resolve(document, ref), ref
    # Both ways: the references are exactly the components defined (none dangling, none
    # orphaned), including the nested model ``Tag`` reached only through ``EchoBody``.
    components = document["components"]
    defined = {f"#/components/{kind}/{name}"
               for kind in ("schemas", "responses") for name in components[kind]}
    assert refs == defined
    assert {"#/components/schemas/EchoBody", "#/components/schemas/Tag",
            "#/components/schemas/ErrorEnvelope",
            "#/components/responses/InvalidField"} <= refs


async def test_success_and_error_envelopes(api: Api) -> None:
    document = await _document(api)
    responses = document["paths"]["/api/echo"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "404", "405", "413", "415", "422", "431",
                              "500", "503"}
    success = responses["200"]["content"]["application/json"]["schema"]
    inner = success["properties"]["response"]["allOf"]
    assert _resolve(document, inner[0]["$ref"])["title"] == "EchoResult"
    flag = _resolve(document, inner[1]["$ref"])
    assert flag["properties"]["success"]["const"] == "true"
    error = _resolve(document, responses["422"]["$ref"])["content"]["application/json"]
    envelope = _resolve(document, error["schema"]["$ref"])
    body = _resolve(document, envelope["properties"]["response"]["$ref"])
    assert {"success", "error", "message", "details", "request_id"} <= set(body["properties"])


async def test_security_schemes_and_public_routes(api: Api) -> None:
    document = await _document(api)
    schemes = document["components"]["securitySchemes"]
    assert schemes["account"] == {"type": "apiKey", "in": "header", "name": "account"}
    assert schemes["auth"] == {"type": "apiKey", "in": "header", "name": "auth"}
    public = document["paths"]["/api/context"]["get"]
    assert public["security"] == []
    assert "401" not in public["responses"]
    raising = document["paths"]["/api/raise/{kind}"]["get"]
    assert raising["parameters"][0]["name"] == "kind"
    assert "requestBody" not in raising
    assert "415" not in raising["responses"]


async def test_docs_page_is_self_contained_html(api: Api) -> None:
    response = await api.client.get("/api/docs")
    assert response.status == 200
    assert response.content_type == "text/html"
    html = await response.text()
    assert html.startswith("<!doctype html>")
    for expected in ("POST", "/api/echo", "count", "How many times", "curl --location",
                     "--header &#x27;account: YOUR_ACCOUNT_ID&#x27;", "Response fields",
                     "Tag field", "Shout &lt;or&gt; whisper"):
        assert expected in html, expected
    lowered = html.lower()
    for forbidden in ("<script", "src=", "<link", "https://"):
        assert forbidden not in lowered


def test_duplicate_routes_are_refused_at_build_time() -> None:
    deps = ApiDeps(FakeAuthenticator(TOKENS), FakeReadiness(), Lifecycle())
    with pytest.raises(ValueError, match="declared twice"):
        build_app(deps, [EchoResource(), EchoResource()])


def test_route_specs_are_checked() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    with pytest.raises(ValueError, match="upper case"):
        RouteSpec("post", "/api/x", handler, "x")
    with pytest.raises(ValueError, match="must start"):
        RouteSpec("POST", "api/x", handler, "x")


def test_build_openapi_is_the_served_document() -> None:
    deps = ApiDeps(FakeAuthenticator(TOKENS), FakeReadiness(), Lifecycle())
    app = build_app(deps, [EchoResource()])
    assert app[OPENAPI_KEY] == build_openapi(EchoResource().routes())


def test_curl_example_survives_shell_quoting() -> None:
    operation = {
        "security": [{"account": [], "auth": []}],
        "requestBody": {"content": {"application/json": {"example": {"note": "it's"}}}},
    }
    command = curl_example("POST", "http://localhost/api/echo", operation)
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:5] == ["curl", "--location", "--request", "POST", "http://localhost/api/echo"]
    assert json.loads(words[-1]) == {"note": "it's"}


async def test_documented_examples_are_accepted(api: Api) -> None:
    document = await _document(api)
    example = document["paths"]["/api/echo"]["post"]["requestBody"]["content"][
        "application/json"]["example"]
    response = await api.client.post("/api/echo", json=example, headers=AUTH)
    assert response.status == 200
