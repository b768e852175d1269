"""The voice catalogue and how the seed's TTS fields resolve to a local voice."""

from __future__ import annotations

import pytest

from engine.domain.errors import InvalidField
from engine.domain.speech import Prosody, TtsEngine, Voice
from engine.domain.voices import (
    CLOUD_VOICES,
    HEART,
    VoiceCatalogue,
    canonical_language,
    espeak_voices,
    fold_voice_name,
    validate_tts,
)

ESPEAK = ("en-us", "en-gb", "fr-fr", "es-419", "es", "hi", "de")
STANDARD = TtsEngine.STANDARD
NEURAL = TtsEngine.NEURAL


@pytest.fixture
def catalogue() -> VoiceCatalogue:
    return VoiceCatalogue((*espeak_voices(ESPEAK), HEART))


def std(name: str, language: str, gender: str) -> Voice:
    return Voice(STANDARD, name, language, gender)


def test_espeak_voices_are_listed_per_installed_language_and_gender() -> None:
    voices = espeak_voices(["en-us", "xx-unknown", "FR-FR"])
    assert voices == (std("en-us+f3", "en-US", "female"), std("en-us", "en-US", "male"),
                      std("fr-fr+f3", "fr-FR", "female"), std("fr-fr", "fr-FR", "male"))


def test_seed_defaults_are_joanna_en_us_standard(catalogue: VoiceCatalogue) -> None:
    voice, prosody = validate_tts(catalogue=catalogue)
    assert voice == std("en-us+f3", "en-US", "female")
    assert prosody == Prosody()


def test_joanna_and_matthew(catalogue: VoiceCatalogue) -> None:
    assert catalogue.resolve_voice("Joanna", "en-US", STANDARD).gender == "female"
    assert catalogue.resolve_voice("Matthew", "en-US", STANDARD) == std("en-us", "en-US", "male")


def test_raveena_with_en_us_speaks_en_us_female(catalogue: VoiceCatalogue) -> None:
    """The seed's own OTP example."""
    voice, prosody = validate_tts(voice="Raveena", volume="soft", rate="slow", pitch="medium",
                                  language_code="en-US", tts_engine_type="standard",
                                  catalogue=catalogue)
    assert voice == std("en-us+f3", "en-US", "female")
    assert prosody == Prosody("soft", "slow", "medium")


def test_cloud_voice_alone_speaks_its_own_language(catalogue: VoiceCatalogue) -> None:
    assert catalogue.resolve_voice("Raveena", None, None) == std("en-gb+f3", "en-GB", "female")
    assert catalogue.resolve_voice("Céline", None, None) == std("fr-fr+f3", "fr-FR", "female")
    assert catalogue.resolve_voice("Miguel", None, None) == std("es-419", "es-419", "male")


def test_names_fold_accents_case_and_polly_spelling(catalogue: VoiceCatalogue) -> None:
    assert fold_voice_name(" Polly.Céline-Neural ") == "celine"
    assert catalogue.resolve_voice("polly.joanna", None, None).gender == "female"
    assert catalogue.resolve_voice("MAN", "hi-IN", None) == std("hi", "hi-IN", "male")


def test_nearest_region_then_same_language(catalogue: VoiceCatalogue) -> None:
    assert catalogue.resolve_voice("Joanna", "en-AU", None).language == "en-GB"
    assert catalogue.resolve_voice("Joanna", "es-MX", None).language == "es-419"
    assert catalogue.resolve_voice("Joanna", "de-CH", None).language == "de-DE"
    assert catalogue.resolve_voice("Joanna", "en-us", None).language == "en-US"


def test_unknown_voice_is_rejected_on_voice(catalogue: VoiceCatalogue) -> None:
    with pytest.raises(InvalidField) as caught:
        catalogue.resolve_voice("Bob", "en-US", STANDARD)
    assert caught.value.field == "voice"


@pytest.mark.parametrize("language", ["xx-YY", "sw-KE", "en_US", "e", "english"])
def test_unknown_or_malformed_language_is_rejected_on_language_code(
        catalogue: VoiceCatalogue, language: str) -> None:
    with pytest.raises(InvalidField) as caught:
        catalogue.resolve_voice("Joanna", language, STANDARD)
    assert caught.value.field == "language_code"


def test_neural_is_heart_for_every_english_request(catalogue: VoiceCatalogue) -> None:
    assert catalogue.resolve_voice("Matthew", "en-US", NEURAL) == HEART
    assert catalogue.resolve_voice("Brian", "en-GB", NEURAL) == HEART
    assert catalogue.resolve_voice("Raveena", None, NEURAL) == HEART


def test_neural_never_falls_back_to_another_engine(catalogue: VoiceCatalogue) -> None:
    with pytest.raises(InvalidField) as caught:
        catalogue.resolve_voice("Joanna", "fr-FR", NEURAL)
    assert caught.value.field == "language_code"
    with pytest.raises(InvalidField) as caught:
        catalogue.resolve_voice("Hans", None, NEURAL)
    assert caught.value.field == "voice"


def test_an_engine_that_is_not_installed_is_rejected() -> None:
    only_espeak = VoiceCatalogue(espeak_voices(ESPEAK))
    with pytest.raises(InvalidField) as caught:
        only_espeak.resolve_voice("Joanna", "en-US", NEURAL)
    assert caught.value.field == "tts_engine_type"


def test_unknown_engine_type(catalogue: VoiceCatalogue) -> None:
    with pytest.raises(InvalidField) as caught:
        validate_tts(tts_engine_type="generative", catalogue=catalogue)
    assert caught.value.field == "tts_engine_type"
    voice, _ = validate_tts(tts_engine_type=" Neural ", catalogue=catalogue)
    assert voice == HEART


def test_local_voice_names_are_accepted(catalogue: VoiceCatalogue) -> None:
    assert catalogue.resolve_voice("heart", None, None) == HEART
    assert catalogue.resolve_voice("fr-fr", "fr-CA", None) == std("fr-fr", "fr-FR", "male")
    with pytest.raises(InvalidField) as caught:
        catalogue.resolve_voice("heart", None, STANDARD)
    assert caught.value.field == "tts_engine_type"
    with pytest.raises(InvalidField) as caught:
        catalogue.resolve_voice("en-us+f3", "de-DE", None)
    assert caught.value.field == "language_code"


def test_prosody_errors_come_from_validate_tts(catalogue: VoiceCatalogue) -> None:
    with pytest.raises(InvalidField) as caught:
        validate_tts(voice="Joanna", pitch="x-loud", catalogue=catalogue)
    assert caught.value.field == "pitch"


def test_language_codes_take_bcp47_case() -> None:
    assert canonical_language("EN-us") == "en-US"
    assert canonical_language("es-419") == "es-419"
    assert canonical_language("en-gb-wls") == "en-GB-WLS"


def test_aliases_list_the_cloud_names_of_a_voice(catalogue: VoiceCatalogue) -> None:
    joanna = catalogue.resolve_voice("Joanna", None, None)
    assert {"Joanna", "Salli", "Kimberly"} <= set(catalogue.aliases(joanna))
    assert "Matthew" not in catalogue.aliases(joanna)
    assert {"Joanna", "Matthew", "Raveena", "Amy"} <= set(catalogue.aliases(HEART))
    assert "Celine" not in catalogue.aliases(HEART)


def test_every_cloud_voice_has_a_language_and_gender() -> None:
    assert len(CLOUD_VOICES) > 80
    for cloud in CLOUD_VOICES.values():
        assert cloud.gender in {"female", "male"}
        assert cloud.language is None or canonical_language(cloud.language)
