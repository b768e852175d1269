"""Prosody words from the seed, spelled characters and SSML for espeak-ng."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from engine.domain.errors import InvalidField
from engine.domain.speech import (
    PITCHES,
    RATES,
    VOLUMES,
    Prosody,
    parse_prosody,
    spelled_characters,
    spoken_character,
    ssml,
)


@pytest.mark.parametrize("word", VOLUMES)
def test_every_volume_word(word: str) -> None:
    assert parse_prosody(volume=word).volume == word


@pytest.mark.parametrize("word", RATES)
def test_every_rate_word(word: str) -> None:
    assert parse_prosody(rate=word).rate == word


@pytest.mark.parametrize("word", PITCHES)
def test_every_pitch_word(word: str) -> None:
    assert parse_prosody(pitch=word).pitch == word


def test_the_seeds_stray_space_forms_are_normalised() -> None:
    assert parse_prosody("x- soft", "x- fast", "x- low") == Prosody("x-soft", "x-fast", "x-low")
    assert parse_prosody("x- loud", None, "x- high") == Prosody("x-loud", "medium", "x-high")


def test_words_are_case_insensitive_and_trimmed() -> None:
    assert parse_prosody(" X-Soft ", "SLOW", "High") == Prosody("x-soft", "slow", "high")


def test_defaults_are_medium() -> None:
    assert parse_prosody() == Prosody("medium", "medium", "medium")
    assert parse_prosody("", "  ", None) == Prosody()


@pytest.mark.parametrize(("field", "kwargs"), [
    ("volume", {"volume": "loudest"}),
    ("volume", {"volume": "x-slow"}),
    ("rate", {"rate": "x-soft"}),
    ("rate", {"rate": "1.5"}),
    ("pitch", {"pitch": "x_high"}),
    ("pitch", {"pitch": "xx-low"}),
])
def test_unknown_words_name_their_field(field: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_prosody(**kwargs)
    assert caught.value.field == field
    assert caught.value.details == {"field": field}


def test_spelled_characters_drop_spaces_and_fold_case() -> None:
    assert spelled_characters("19 8a\t7") == ("1", "9", "8", "A", "7")
    assert spoken_character("1") == "one"
    assert spoken_character("0") == "zero"
    assert spoken_character("B") == "B"


def test_ssml_escapes_text_and_carries_prosody() -> None:
    document = ssml('Tom & "Jerry" <b>', Prosody("soft", "slow", "x-high"))
    root = ET.fromstring(document)
    prosody = root.find("prosody")
    assert root.tag == "speak" and prosody is not None
    assert prosody.attrib == {"rate": "slow", "pitch": "x-high", "volume": "soft"}
    assert prosody.text == 'Tom & "Jerry" <b>'


def test_spelled_ssml_says_characters() -> None:
    root = ET.fromstring(ssml("1987", Prosody(), spell=True))
    say_as = root.find("prosody/say-as")
    assert say_as is not None
    assert say_as.attrib == {"interpret-as": "characters"}
    assert say_as.text == "1987"
