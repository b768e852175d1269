"""Voices: what this machine can speak, the cloud names clients send, and how a request
resolves to one local voice (pure; the edge discovers what is installed).

Resolution rules, in order:
- ``tts_engine_type`` is ``standard`` (espeak-ng) or ``neural`` (hibari); it is never
  swapped silently. Omitted, it is ``standard``, or the engine of a local voice named in
  ``voice``.
- ``voice`` is a cloud name (Amazon Polly / Plivo: ``Joanna``, ``Polly.Raveena``,
  ``Céline``, ``WOMAN``), or a local voice's own name (``en-us+f3``, ``heart``). Omitted, it
  is ``Joanna``. A cloud name contributes a gender, and a language when ``language_code``
  is omitted.
- ``language_code`` decides what is spoken, because it describes the text. A cloud voice
  from another region or language is accepted and lends only its gender: ``Raveena``
  (en-IN) with ``en-US`` speaks en-US with a female voice. Omitted, it is the cloud voice's
  own language (``Céline`` speaks fr-FR), else ``en-US``.
- The language picks the engine's voices for that exact language, else the nearest region
  (en-IN -> en-GB, es-MX -> es-419), else any region of the same language. None: the
  request is rejected on ``language_code`` (on ``voice`` when the voice chose the language).
- Among those, the requested gender wins when the engine has it; otherwise the first one
  (the neural engine has one voice, ``heart``, en-US female, and speaks every en-* request).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from engine.domain.errors import InvalidField
from engine.domain.speech import Prosody, TtsEngine, Voice, parse_prosody

DEFAULT_VOICE = "Joanna"
DEFAULT_LANGUAGE = "en-US"
HEART = Voice(TtsEngine.NEURAL, "heart", "en-US", "female")
ESPEAK_FEMALE_VARIANT = "f3"

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")

# Cloud voices by language: (female names, male names).
_CLOUD_TABLE: dict[str, tuple[str, str]] = {
    "en-US": ("Joanna Salli Kimberly Kendra Ivy Ruth Danielle",
              "Matthew Justin Joey Kevin Stephen Gregory Patrick"),
    "en-GB": ("Amy Emma", "Brian Arthur"),
    "en-IN": ("Raveena Aditi Kajal", ""),
    "en-AU": ("Nicole Olivia", "Russell"),
    "en-NZ": ("Aria", ""),
    "en-ZA": ("Ayanda", ""),
    "en-IE": ("Niamh", ""),
    "en-GB-WLS": ("", "Geraint"),
    "cy-GB": ("Gwyneth", ""),
    "fr-FR": ("Celine Lea", "Mathieu Remi"),
    "fr-CA": ("Chantal Gabrielle", "Liam"),
    "de-DE": ("Marlene Vicki", "Hans Daniel"),
    "de-AT": ("Hannelore", ""),
    "es-ES": ("Conchita Lucia", "Enrique Sergio"),
    "es-US": ("Penelope Lupe", "Miguel Pedro"),
    "es-MX": ("Mia", "Andres"),
    "it-IT": ("Carla Bianca", "Giorgio Adriano"),
    "pt-BR": ("Camila Vitoria", "Ricardo Thiago"),
    "pt-PT": ("Ines", "Cristiano"),
    "ja-JP": ("Mizuki Kazuha Tomoko", "Takumi"),
    "ko-KR": ("Seoyeon", ""),
    "cmn-CN": ("Zhiyu", ""),
    "yue-CN": ("Hiujin", ""),
    "ru-RU": ("Tatyana", "Maxim"),
    "nl-NL": ("Lotte Laura", "Ruben"),
    "da-DK": ("Naja Sofie", "Mads"),
    "nb-NO": ("Liv Ida", ""),
    "sv-SE": ("Astrid Elin", ""),
    "pl-PL": ("Ewa Maja Ola", "Jacek Jan"),
    "tr-TR": ("Filiz Burcu", ""),
    "ro-RO": ("Carmen", ""),
    "is-IS": ("Dora", "Karl"),
    "fi-FI": ("Suvi", ""),
    "ca-ES": ("Arlet", ""),
    "arb": ("Zeina", ""),
    "ar-AE": ("Hala", "Zayd"),
}

# espeak-ng language voices we offer, in preference order within a language, as BCP 47.
ESPEAK_LANGUAGES: dict[str, str] = {
    "en-us": "en-US", "en-gb": "en-GB", "fr-fr": "fr-FR", "de": "de-DE", "es": "es-ES",
    "es-419": "es-419", "it": "it-IT", "pt-br": "pt-BR", "pt": "pt-PT", "nl": "nl-NL",
    "da": "da-DK", "nb": "nb-NO", "sv": "sv-SE", "fi": "fi-FI", "is": "is-IS", "pl": "pl-PL",
    "cs": "cs-CZ", "sk": "sk-SK", "hu": "hu-HU", "ro": "ro-RO", "bg": "bg-BG", "hr": "hr-HR",
    "sr": "sr-RS", "el": "el-GR", "ru": "ru-RU", "uk": "uk-UA", "tr": "tr-TR", "ar": "ar",
    "he": "he-IL", "fa": "fa-IR", "hi": "hi-IN", "bn": "bn-IN", "ta": "ta-IN", "te": "te-IN",
    "mr": "mr-IN", "gu": "gu-IN", "kn": "kn-IN", "ml": "ml-IN", "pa": "pa-IN", "ur": "ur-PK",
    "ne": "ne-NP", "si": "si-LK", "id": "id-ID", "ms": "ms-MY", "vi": "vi-VN", "th": "th-TH",
    "ja": "ja-JP", "ko": "ko-KR", "cmn": "cmn-CN", "yue": "yue-CN", "ca": "ca-ES",
    "cy": "cy-GB", "ga": "ga-IE", "sw": "sw-KE", "af": "af-ZA",
}

# Regions (and macro-language spellings) that no engine has, to the nearest one that exists.
_NEAREST: dict[str, str] = {
    "en-in": "en-GB", "en-au": "en-GB", "en-nz": "en-GB", "en-za": "en-GB", "en-ie": "en-GB",
    "en-gb-wls": "en-GB", "es-us": "es-419", "es-mx": "es-419", "fr-ca": "fr-FR",
    "zh": "cmn-CN", "zh-cn": "cmn-CN", "cmn": "cmn-CN", "zh-hk": "yue-CN", "yue-hk": "yue-CN",
    "arb": "ar",
}


@dataclass(frozen=True)
class CloudVoice:
    """A voice name another platform uses; ``language`` None speaks ``language_code``."""

    name: str
    language: str | None
    gender: str


def _cloud_voices() -> dict[str, CloudVoice]:
    voices = {"woman": CloudVoice("WOMAN", None, "female"),
              "man": CloudVoice("MAN", None, "male")}
    for language, (female, male) in _CLOUD_TABLE.items():
        for gender, names in (("female", female), ("male", male)):
            for name in names.split():
                voices[name.lower()] = CloudVoice(name, language, gender)
    return voices


CLOUD_VOICES: dict[str, CloudVoice] = _cloud_voices()


def fold_voice_name(name: str) -> str:
    """``" Polly.Céline-Neural "`` -> ``"celine"``: how a cloud name is looked up."""
    plain = unicodedata.normalize("NFKD", name.strip())
    folded = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    folded = folded.removeprefix("polly.")
    for suffix in ("-neural", "-standard", "-generative"):
        folded = folded.removesuffix(suffix)
    return folded


def canonical_language(code: str) -> str:
    """``"EN-us"`` -> ``"en-US"`` (BCP 47 case); raises ``InvalidField`` on malformed codes."""
    code = code.strip()
    if not _LANGUAGE.match(code):
        raise InvalidField("language_code", f"{code!r} is not a language code such as en-US")
    head, *rest = code.split("-")
    tail = [p.upper() if len(p) == 2 else p.capitalize() if len(p) == 4 else p.upper()
            for p in rest]
    return "-".join([head.lower(), *tail])


def espeak_voices(installed: Iterable[str]) -> tuple[Voice, ...]:
    """The standard voices for the espeak-ng languages ``installed`` (espeak's own language
    ids, as ``espeak-ng --voices`` lists them): a male and a female voice per language."""
    present = {name.lower() for name in installed}
    voices: list[Voice] = []
    for espeak_id, language in ESPEAK_LANGUAGES.items():
        if espeak_id in present:
            voices.append(Voice(TtsEngine.STANDARD, f"{espeak_id}+{ESPEAK_FEMALE_VARIANT}",
                                language, "female"))
            voices.append(Voice(TtsEngine.STANDARD, espeak_id, language, "male"))
    return tuple(voices)


def _primary(language: str) -> str:
    return language.split("-", maxsplit=1)[0].lower()


class VoiceCatalogue:
    """The voices present on this machine, and the resolver from request fields to one."""

    def __init__(self, voices: Iterable[Voice]) -> None:
        self.voices = tuple(voices)
        self._by_name = {v.name.lower(): v for v in self.voices}

    def engines(self) -> frozenset[TtsEngine]:
        """The engines with at least one voice."""
        return frozenset(v.engine for v in self.voices)

    def aliases(self, voice: Voice) -> tuple[str, ...]:
        """The cloud names that resolve to ``voice`` when sent with their own language."""
        names = []
        for cloud in CLOUD_VOICES.values():
            if cloud.language is None:
                continue
            try:
                if self.resolve_voice(cloud.name, None, voice.engine) == voice:
                    names.append(cloud.name)
            except InvalidField:
                continue
        return tuple(names)

    def resolve_voice(self, voice_name: str | None, language_code: str | None,
                      engine: TtsEngine | None) -> Voice:
        """The local voice for the seed's ``voice``, ``language_code`` and engine (None:
        omitted). Raises ``InvalidField`` naming the field at fault; see the module doc."""
        name = (voice_name or "").strip() or DEFAULT_VOICE
        language = canonical_language(language_code) if language_code else None
        local = self._by_name.get(name.lower())
        if local is not None:
            return self._check_local(local, language, engine)
        cloud = CLOUD_VOICES.get(fold_voice_name(name))
        if cloud is None:
            raise InvalidField("voice", f"unknown voice {name!r}; GET /api/voices lists them")
        engine = engine or TtsEngine.STANDARD
        field = "language_code" if language or cloud.language is None else "voice"
        language = language or cloud.language or DEFAULT_LANGUAGE
        candidates = self._speaking(language, self._of_engine(engine))
        if not candidates:
            spoken = sorted({v.language for v in self._of_engine(engine)})
            raise InvalidField(field, f"no {engine.value} voice speaks {language} (asked "
                               f"with voice {cloud.name}); {engine.value} voices speak: "
                               f"{', '.join(spoken)}")
        return next((v for v in candidates if v.gender == cloud.gender), candidates[0])

    def _of_engine(self, engine: TtsEngine) -> tuple[Voice, ...]:
        voices = tuple(v for v in self.voices if v.engine == engine)
        if not voices:
            raise InvalidField("tts_engine_type",
                               f"the {engine.value} engine is not installed on this server")
        return voices

    @staticmethod
    def _speaking(language: str, voices: tuple[Voice, ...]) -> tuple[Voice, ...]:
        wanted = language.lower()
        exact = tuple(v for v in voices if v.language.lower() == wanted)
        if exact:
            return exact
        nearest = _NEAREST.get(wanted, "").lower()
        near = tuple(v for v in voices if v.language.lower() == nearest)
        if near:
            return near
        primary = _primary(_NEAREST.get(wanted, wanted))
        return tuple(v for v in voices if _primary(v.language) == primary)

    @staticmethod
    def _check_local(voice: Voice, language: str | None, engine: TtsEngine | None) -> Voice:
        if engine is not None and engine != voice.engine:
            raise InvalidField("tts_engine_type", f"voice {voice.name} is a "
                               f"{voice.engine.value} voice, not {engine.value}")
        if language is not None and _primary(language) != _primary(voice.language):
            raise InvalidField("language_code",
                               f"voice {voice.name} speaks {voice.language}, not {language}")
        return voice


def parse_engine(value: str | None) -> TtsEngine | None:
    """The seed's ``tts_engine_type`` (case-insensitive); None or blank means omitted."""
    if value is None or not value.strip():
        return None
    try:
        return TtsEngine(value.strip().lower())
    except ValueError:
        allowed = ", ".join(e.value for e in TtsEngine)
        raise InvalidField("tts_engine_type",
                           f"tts_engine_type must be one of {allowed}, not {value!r}") from None


def validate_tts(*, voice: str | None = None, volume: str | None = None,
                 rate: str | None = None, pitch: str | None = None,
                 language_code: str | None = None, tts_engine_type: str | None = None,
                 catalogue: VoiceCatalogue) -> tuple[Voice, Prosody]:
    """The seed's raw TTS fields (each optional, keyword-only) as the voice and prosody to
    speak with: ``validate_tts(voice=body.voice, ..., catalogue=speech.catalogue())``.

    Raises ``InvalidField`` naming the first field at fault.
    """
    prosody = parse_prosody(volume, rate, pitch)
    engine = parse_engine(tts_engine_type)
    return catalogue.resolve_voice(voice, language_code, engine), prosody
