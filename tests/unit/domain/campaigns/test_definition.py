"""Campaign definitions: JSON round trip, strict reading, placeholders, statuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.domain.campaigns.definition import (
    CampaignDefinition,
    DefinitionError,
    SurveyQuestion,
    definition_from_json,
    definition_placeholders,
    definition_to_json,
    placeholders,
)
from engine.domain.campaigns.status import PAUSABLE, RESUMABLE, STOPPABLE, CampaignStatus
from engine.domain.speech import Prosody, TtsEngine, Voice

VOICE = Voice(TtsEngine.STANDARD, "en-us", "en-US", "male")


def survey() -> CampaignDefinition:
    return CampaignDefinition(
        campaign_type=1, caller_id="15168148111", repeat=2, voice=VOICE,
        prosody=Prosody("soft", "slow", "high"), announcement_text="Hello {contact_name}",
        questions=(SurveyQuestion("Press {field1}"),
                   SurveyQuestion("Rate us", num_digits=2, valid_digits="123", timeout=7.5)),
    )


@pytest.mark.parametrize("definition", [
    survey(),
    CampaignDefinition(campaign_type=0, caller_id="15168148111", repeat=3, voice=VOICE,
                       prosody=Prosody(), media_uri="sound:/srv/x/pbx/tts/campaigns/AC/ab",
                       recorded_filename="quality_training-8khz.wav"),
    CampaignDefinition(campaign_type=1, caller_id="15168148111", repeat=1, voice=VOICE,
                       prosody=Prosody(), answer_url="https://example.com/ivr",
                       answer_method="GET"),
])
def test_json_round_trip_through_text(definition: CampaignDefinition) -> None:
    stored = json.loads(json.dumps(definition_to_json(definition)))
    assert definition_from_json(stored) == definition


def test_json_is_plain_and_versioned() -> None:
    data = definition_to_json(survey())
    assert data["version"] == 1
    assert data["voice"] == {"engine": "standard", "name": "en-us", "language": "en-US",
                             "gender": "male"}
    assert data["questions"][1] == {"text": "Rate us", "num_digits": 2, "valid_digits": "123",
                                    "timeout": 7.5}


@pytest.mark.parametrize("change", [
    {"version": 2},
    {"campaign_type": 7},
    {"campaign_type": "0"},
    {"repeat": True},
    {"caller_id": 15168148111},
    {"voice": {"engine": "cloud", "name": "x", "language": "en-US", "gender": "male"}},
    {"prosody": None},
    {"questions": [{"text": "q"}]},
])
def test_unreadable_json_is_a_definition_error(change: dict[str, Any]) -> None:
    data = {**definition_to_json(survey()), **change}
    with pytest.raises(DefinitionError):
        definition_from_json(data)


def test_missing_key_is_a_definition_error() -> None:
    data = definition_to_json(survey())
    del data["caller_id"]
    with pytest.raises(DefinitionError):
        definition_from_json(data)


def test_placeholders_are_names_in_braces_only() -> None:
    text = "Dear, {field1} , {field2}, due {field3},, {} { x } {9a} {contact_name}"
    assert placeholders(text) == {"field1", "field2", "field3", "contact_name"}
    assert definition_placeholders(survey()) == {"contact_name", "field1"}


def test_dynamic_announcement_is_the_absence_of_a_recorded_file() -> None:
    assert survey().dynamic_announcement
    recorded = CampaignDefinition(0, "1", 1, VOICE, Prosody(), recorded_filename="a.wav")
    assert not recorded.dynamic_announcement


def test_status_codes_and_transitions() -> None:
    assert [int(s) for s in CampaignStatus] == [0, 1, 2, 3, 4, 5]
    assert CampaignStatus.COMPLETED.ended and CampaignStatus.STOPPED.ended
    assert not CampaignStatus.SUSPENDED.ended
    assert sorted(STOPPABLE) == [0, 1, 2, 5]
    assert sorted(PAUSABLE) == [0, 1]
    assert sorted(RESUMABLE) == [2, 5]
