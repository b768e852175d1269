"""What every call of a campaign runs, validated once at creation (pure data + JSON).

The definition is stored as JSON in ``campaigns.definition``; the dialer reads it back with
``definition_from_json`` and builds each contact's program with
``engine.domain.campaigns.program.campaign_program``.

Announcement and survey texts hold placeholders: ``{field1}``, ``{contact_name}``, … — a
name in braces (``[A-Za-z_][A-Za-z0-9_]*``). Any other brace text is spoken as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.domain.speech import Prosody, TtsEngine, Voice

ANNOUNCEMENT = 0
SURVEY = 1
CAMPAIGN_TYPES = (ANNOUNCEMENT, SURVEY)
JSON_VERSION = 1
# Placeholders every contact has, whatever its list's fields.
CONTACT_PLACEHOLDERS = frozenset({"contact_name", "contact_number"})
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")


@dataclass(frozen=True)
class SurveyQuestion:
    text: str
    num_digits: int = 1
    valid_digits: str = "0123456789*#"
    timeout: float = 5.0


@dataclass(frozen=True)
class CampaignDefinition:
    """What each call of the campaign runs, validated."""

    campaign_type: int  # 0 announcement, 1 survey / IVR
    caller_id: str  # E.164 digits
    repeat: int
    voice: Voice
    prosody: Prosody
    announcement_text: str = ""  # with {field1}, {contact_name} … placeholders
    media_uri: str = ""  # sound: URI of recorded_filename (published)
    recorded_filename: str = ""
    questions: tuple[SurveyQuestion, ...] = ()
    answer_url: str = ""  # type 1: a Plivo-compatible XML app runs the call
    answer_method: str = "POST"

    @property
    def dynamic_announcement(self) -> bool:
        """The seed's ``dynamic_announcement``: spoken text, not a recorded file."""
        return not self.recorded_filename


def placeholders(text: str) -> frozenset[str]:
    """The placeholder names ``text`` uses (``"Dear {field1}"`` -> ``{"field1"}``)."""
    return frozenset(PLACEHOLDER.findall(text))


def definition_placeholders(d: CampaignDefinition) -> frozenset[str]:
    """Every placeholder the definition's texts use (announcement and survey questions)."""
    names = set(placeholders(d.announcement_text))
    for question in d.questions:
        names |= placeholders(question.text)
    return frozenset(names)


class DefinitionError(ValueError):
    """Stored definition JSON this engine cannot read."""


def definition_to_json(d: CampaignDefinition) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "campaign_type": d.campaign_type,
        "caller_id": d.caller_id,
        "repeat": d.repeat,
        "voice": {"engine": d.voice.engine.value, "name": d.voice.name,
                  "language": d.voice.language, "gender": d.voice.gender},
        "prosody": {"volume": d.prosody.volume, "rate": d.prosody.rate,
                    "pitch": d.prosody.pitch},
        "announcement_text": d.announcement_text,
        "media_uri": d.media_uri,
        "recorded_filename": d.recorded_filename,
        "questions": [{"text": q.text, "num_digits": q.num_digits,
                       "valid_digits": q.valid_digits, "timeout": q.timeout}
                      for q in d.questions],
        "answer_url": d.answer_url,
        "answer_method": d.answer_method,
    }


def definition_from_json(data: Mapping[str, Any]) -> CampaignDefinition:
    """The definition ``definition_to_json`` wrote; ``DefinitionError`` if it is not one."""
    try:
        if data.get("version", JSON_VERSION) != JSON_VERSION:
            raise DefinitionError(f"unknown definition version {data.get('version')!r}")
        voice = data["voice"]
        prosody = data["prosody"]
        definition = CampaignDefinition(
            campaign_type=_int(data["campaign_type"]),
            caller_id=_str(data["caller_id"]),
            repeat=_int(data["repeat"]),
            voice=Voice(TtsEngine(voice["engine"]), _str(voice["name"]),
                        _str(voice["language"]), _str(voice["gender"])),
            prosody=Prosody(_str(prosody["volume"]), _str(prosody["rate"]),
                            _str(prosody["pitch"])),
            announcement_text=_str(data.get("announcement_text", "")),
            media_uri=_str(data.get("media_uri", "")),
            recorded_filename=_str(data.get("recorded_filename", "")),
            questions=tuple(
                SurveyQuestion(_str(q["text"]), _int(q["num_digits"]), _str(q["valid_digits"]),
                               float(q["timeout"]))
                for q in data.get("questions", ())),
            answer_url=_str(data.get("answer_url", "")),
            answer_method=_str(data.get("answer_method", "POST")),
        )
    except DefinitionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DefinitionError(f"unreadable campaign definition: {exc!r}") from None
    if definition.campaign_type not in CAMPAIGN_TYPES:
        raise DefinitionError(f"unknown campaign_type {definition.campaign_type}")
    return definition


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, not {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, not {type(value).__name__}")
    return value
