"""What to say and how (pure data): the request a call program hands to text-to-speech.

The seed's TTS fields (``voice``, ``volume``, ``rate``, ``pitch``, ``language_code``,
``tts_engine_type``) are validated into a ``Voice`` and a ``Prosody`` once, at the API edge;
the interpreter and the speech executor only ever see these validated values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from xml.sax.saxutils import escape

from engine.domain.errors import InvalidField


class TtsEngine(StrEnum):
    STANDARD = "standard"  # espeak-ng
    NEURAL = "neural"  # hibari-tts


@dataclass(frozen=True)
class Voice:
    """A voice present on this machine: ``name`` is the local voice's own id."""

    engine: TtsEngine
    name: str
    language: str  # BCP 47, e.g. en-US
    gender: str  # "female" | "male"


@dataclass(frozen=True)
class Prosody:
    """The seed's words, normalised (``"x- soft"`` -> ``"x-soft"``)."""

    volume: str = "medium"
    rate: str = "medium"
    pitch: str = "medium"


# Stands in for a secret's text in a stored snapshot: the secret itself is never stored.
REDACTED = "\x00redacted"


@dataclass(frozen=True)
class SpeechPart:
    """A piece of an utterance. ``spell`` says it character by character (an OTP);
    ``secret`` marks text that must never reach the shared cache, a log or a snapshot."""

    text: str
    spell: bool = False
    secret: bool = False

    @property
    def redacted(self) -> bool:
        """A secret restored from a snapshot: its text was never stored."""
        return self.secret and self.text == REDACTED


@dataclass(frozen=True)
class Utterance:
    parts: tuple[SpeechPart, ...]
    voice: Voice
    prosody: Prosody = Prosody()

    @property
    def secret(self) -> bool:
        return any(part.secret for part in self.parts)

    def masked_text(self) -> str:
        """The text as logs and CDRs may show it: secret parts become asterisks."""
        return " ".join("*" * len(p.text) if p.secret else p.text for p in self.parts)


VOLUMES = ("silent", "x-soft", "soft", "medium", "loud", "x-loud")
RATES = ("x-slow", "slow", "medium", "fast", "x-fast")
PITCHES = ("x-low", "low", "medium", "high", "x-high")

# Gains and factors for engines without SSML prosody (hibari, through its speed and sox).
# espeak-ng takes the words themselves; these numbers follow its scale by ear.
VOLUME_DB: dict[str, float | None] = {
    "silent": None, "x-soft": -12.0, "soft": -6.0, "medium": 0.0, "loud": 4.0, "x-loud": 8.0,
}
RATE_SPEED = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "fast": 1.25, "x-fast": 1.6}
PITCH_CENTS = {"x-low": -400, "low": -200, "medium": 0, "high": 200, "x-high": 400}

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def prosody_word(field: str, value: str | None, allowed: tuple[str, ...]) -> str:
    """One seed prosody word, normalised: case-insensitive, ``"x- soft"`` -> ``"x-soft"``.

    ``None`` or blank means the default, ``medium``. Anything else raises ``InvalidField``
    naming ``field``.
    """
    if value is None or not value.strip():
        return "medium"
    word = "".join(value.split()).lower()
    if word not in allowed:
        raise InvalidField(field, f"{field} must be one of {', '.join(allowed)}, not {value!r}")
    return word


def parse_prosody(volume: str | None = None, rate: str | None = None,
                  pitch: str | None = None) -> Prosody:
    """The seed's raw ``volume``, ``rate`` and ``pitch`` strings as a ``Prosody``."""
    return Prosody(
        volume=prosody_word("volume", volume, VOLUMES),
        rate=prosody_word("rate", rate, RATES),
        pitch=prosody_word("pitch", pitch, PITCHES),
    )


def spelled_characters(text: str) -> tuple[str, ...]:
    """The characters a spelled part is read as, one clip each (whitespace dropped,
    letters upper-cased so ``a`` and ``A`` share a clip)."""
    return tuple(c.upper() for c in text if not c.isspace())


def spoken_character(char: str) -> str:
    """How an engine without ``say-as`` should read one spelled character (``"1"`` -> ``"one"``)."""
    if char.isascii() and char.isdigit():
        return _DIGIT_WORDS[int(char)]
    return char


def ssml(text: str, prosody: Prosody, *, spell: bool = False) -> str:
    """One part as an SSML document for espeak-ng: prosody around the (escaped) text, and
    ``say-as characters`` when the part is spelled."""
    body = escape(text, {'"': "&quot;"})
    if spell:
        body = f'<say-as interpret-as="characters">{body}</say-as>'
    return (f'<speak><prosody rate="{prosody.rate}" pitch="{prosody.pitch}" '
            f'volume="{prosody.volume}">{body}</prosody></speak>')
