"""GET /api/voices on a real in-process server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.api.app import ApiDeps, build_app
from engine.api.resources.voices import VoiceResources
from engine.domain.voices import HEART, VoiceCatalogue, espeak_voices
from engine.lifecycle import Lifecycle
from tests.unit.api.support import AUTH, TOKENS, FakeAuthenticator, FakeReadiness, envelope

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    catalogue = VoiceCatalogue((*espeak_voices(["en-us", "en-gb", "fr-fr"]), HEART))
    deps = ApiDeps(authenticator=FakeAuthenticator(TOKENS),
                   readiness=FakeReadiness(ari=True, ami=True, db=True),
                   lifecycle=Lifecycle(), max_body_bytes=1 << 20)
    running = TestClient(TestServer(build_app(deps, [VoiceResources(catalogue)])))
    await running.start_server()
    yield running
    await running.close()


async def test_lists_every_voice_with_its_aliases(client: Client) -> None:
    response = await client.get("/api/voices", headers=AUTH)
    assert response.status == 200
    body = await envelope(response)
    assert body["success"] == "true"
    assert body["defaults"] == {"voice": "Joanna", "language_code": "en-US",
                                "tts_engine_type": "standard"}
    by_name = {v["name"]: v for v in body["result"]}
    assert len(by_name) == 7
    assert by_name["heart"]["engine"] == "neural"
    assert by_name["en-us+f3"] | {"aliases": []} == {
        "name": "en-us+f3", "engine": "standard", "language": "en-US", "gender": "female",
        "aliases": []}
    assert "Joanna" in by_name["en-us+f3"]["aliases"]
    assert "Celine" in by_name["fr-fr+f3"]["aliases"]


async def test_filters_by_engine_and_language(client: Client) -> None:
    neural = await envelope(await client.get("/api/voices?tts_engine_type=Neural",
                                             headers=AUTH))
    assert [v["name"] for v in neural["result"]] == ["heart"]
    english = await envelope(await client.get("/api/voices?language_code=en", headers=AUTH))
    assert {v["language"] for v in english["result"]} == {"en-US", "en-GB"}
    british = await envelope(await client.get("/api/voices?language_code=en-gb&"
                                              "tts_engine_type=standard", headers=AUTH))
    assert {v["name"] for v in british["result"]} == {"en-gb", "en-gb+f3"}
    none = await envelope(await client.get("/api/voices?language_code=de", headers=AUTH))
    assert none["result"] == [] and none["message"] == "no voice found"


@pytest.mark.parametrize(("query", "field"), [("tts_engine_type=loud", "tts_engine_type"),
                                              ("language_code=en_US", "language_code")])
async def test_bad_filters_are_422_naming_the_field(client: Client, query: str,
                                                    field: str) -> None:
    response = await client.get(f"/api/voices?{query}", headers=AUTH)
    assert response.status == 422
    body = await envelope(response)
    assert body["error"] == "invalid_field" and body["details"] == {"field": field}


async def test_needs_credentials(client: Client) -> None:
    assert (await client.get("/api/voices")).status == 401


async def test_is_documented_in_openapi(client: Client) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert "get" in document["paths"]["/api/voices"]
    docs = await client.get("/api/docs")
    assert docs.status == 200 and "/api/voices" in await docs.text()
