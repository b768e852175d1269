"""What to say and how (pure data): the request a call program hands to text-to-speech.

The seed's TTS fields (``voice``, ``volume``, ``rate``, ``pitch``, ``language_code``,
``tts_engine_type``) are validated into a ``Voice`` and a ``Prosody`` once, at the API edge;
the interpreter and the speech executor only ever see these validated values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


@dataclass(frozen=True)
class SpeechPart:
    """A piece of an utterance. ``spell`` says it character by character (an OTP);
    ``secret`` marks text that must never reach the shared cache or a log."""

    text: str
    spell: bool = False
    secret: bool = False


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
