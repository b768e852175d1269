"""The voices call programs can speak with (``GET /api/voices``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.envelope import ok
from engine.api.routes import RouteSpec
from engine.domain.speech import TtsEngine
from engine.domain.voices import (
    DEFAULT_LANGUAGE,
    DEFAULT_VOICE,
    VoiceCatalogue,
    canonical_language,
    parse_engine,
)


class VoiceView(BaseModel):
    name: str = Field(description="The local voice's own name; usable as ``voice``")
    engine: str = Field(description="tts_engine_type that speaks with it: standard or neural")
    language: str = Field(description="BCP 47 language of the voice, e.g. en-US")
    gender: str = Field(description="female or male")
    aliases: list[str] = Field(description="Cloud voice names (Amazon Polly / Plivo) that "
                               "resolve to this voice with their own language")


class Defaults(BaseModel):
    voice: str
    language_code: str
    tts_engine_type: str


class VoicesResponse(BaseModel):
    message: str
    defaults: Defaults
    result: list[VoiceView]


def voice_views(catalogue: VoiceCatalogue) -> list[dict[str, Any]]:
    """The catalogue as the API shows it, aliases included."""
    return [
        {"name": v.name, "engine": v.engine.value, "language": v.language,
         "gender": v.gender, "aliases": list(catalogue.aliases(v))}
        for v in catalogue.voices
    ]


class VoiceResources:
    """``GET /api/voices?tts_engine_type=neural&language_code=en``: both filters optional."""

    def __init__(self, catalogue: VoiceCatalogue) -> None:
        self._views = voice_views(catalogue)

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("GET", "/api/voices", self.voices,
                      "Voices for announcements (voice, language_code, tts_engine_type)",
                      response_model=VoicesResponse,
                      description="The voices installed on this server. Query parameters "
                      "tts_engine_type (standard or neural) and language_code (en, or en-US) "
                      "filter the list. A cloud voice name (Joanna, Raveena, …) picks the "
                      "local voice of its gender in the request's language_code."),
        )

    async def voices(self, request: web.Request) -> web.Response:
        engine = parse_engine(request.query.get("tts_engine_type"))
        language = request.query.get("language_code", "").strip()
        views = self._views
        if engine is not None:
            views = [v for v in views if v["engine"] == engine.value]
        if language:
            wanted = canonical_language(language).lower()
            views = [v for v in views if v["language"].lower() == wanted
                     or v["language"].lower().startswith(wanted + "-")]
        return ok({
            "message": "voices found" if views else "no voice found",
            "defaults": {"voice": DEFAULT_VOICE, "language_code": DEFAULT_LANGUAGE,
                         "tts_engine_type": TtsEngine.STANDARD.value},
            "result": views,
        })
