"""Real synthesis with espeak-ng and hibari (local programs, installed by ``make setup``)."""

from __future__ import annotations

import array
import urllib.request
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import hibari
import pytest

from engine.domain.speech import Prosody, TtsEngine, Voice
from engine.domain.voices import HEART
from engine.speech.errors import SynthesisFailed
from engine.speech.espeak import EspeakSynthesizer, installed_languages
from engine.speech.hibari import HibariSynthesizer, bundled_heart, speakable

EN_US_FEMALE = Voice(TtsEngine.STANDARD, "en-us+f3", "en-US", "female")


def telephony(path: Path) -> tuple[float, int]:
    """Seconds and peak amplitude of an 8 kHz mono 16-bit WAV (asserts the format)."""
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getcomptype() == "NONE"
        frames = wav.readframes(wav.getnframes())
        samples = array.array("h", frames)
        return wav.getnframes() / 8000, max((abs(s) for s in samples), default=0)


@pytest.fixture(scope="module")
def executor() -> Any:
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    yield pool
    pool.shutdown()


@pytest.fixture(scope="module")
def neural(executor: Any) -> HibariSynthesizer:
    model = bundled_heart()
    assert model is not None, "hibari-tts with its bundled heart voice must be installed"
    return HibariSynthesizer(model, executor)


@pytest.fixture
async def no_network(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    opened: list[str] = []

    def refuse(url: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(url))
        raise AssertionError(f"speech tried to download {url}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    yield opened


async def test_espeak_languages_are_discovered() -> None:
    languages = await installed_languages()
    assert {"en-us", "en-gb", "fr-fr"} <= set(languages)


async def test_espeak_writes_telephony_wav(tmp_path: Path) -> None:
    dest = tmp_path / "otp.wav"
    await EspeakSynthesizer().render("Your one time password is", EN_US_FEMALE,
                                     Prosody("soft", "slow", "high"), dest)
    seconds, peak = telephony(dest)
    assert seconds > 1.0 and peak > 1000


async def test_espeak_spells_characters(tmp_path: Path) -> None:
    said, spelled = tmp_path / "said.wav", tmp_path / "spelled.wav"
    engine = EspeakSynthesizer()
    await engine.render("1987", EN_US_FEMALE, Prosody(), said)
    await engine.render("1987", EN_US_FEMALE, Prosody(), spelled, spell=True)
    # "one thousand nine hundred…" against "one nine eight seven": different audio.
    assert said.read_bytes() != spelled.read_bytes()
    assert telephony(spelled)[0] > 1.0


async def test_espeak_volume_words_change_loudness(tmp_path: Path) -> None:
    peaks = {}
    for volume in ("silent", "x-soft", "x-loud"):
        dest = tmp_path / f"{volume}.wav"
        await EspeakSynthesizer().render("Hello there", EN_US_FEMALE, Prosody(volume=volume),
                                         dest)
        peaks[volume] = telephony(dest)[1]
    assert peaks["silent"] == 0 < peaks["x-soft"] < peaks["x-loud"]


async def test_xml_in_the_text_is_spoken_not_parsed(tmp_path: Path) -> None:
    dest = tmp_path / "xml.wav"
    await EspeakSynthesizer().render('</prosody></speak> Tom & "Jerry"', EN_US_FEMALE,
                                     Prosody(), dest)
    assert telephony(dest)[0] > 1.0


async def test_an_espeak_failure_is_a_synthesis_failure(tmp_path: Path) -> None:
    nobody = Voice(TtsEngine.STANDARD, "zz-nobody", "en-US", "male")
    with pytest.raises(SynthesisFailed):
        await EspeakSynthesizer().render("hello", nobody, Prosody(), tmp_path / "x.wav")


def test_heart_is_the_bundled_model_inside_the_package() -> None:
    model = bundled_heart()
    package = Path(hibari.__file__).parent
    assert model is not None and model.is_relative_to(package)


async def test_hibari_writes_telephony_wav_without_downloading(
        tmp_path: Path, neural: HibariSynthesizer, no_network: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "hibari-home"))
    dest = tmp_path / "heart.wav"
    await neural.render("Your one time password is", HEART, Prosody("loud", "fast", "low"),
                        dest)
    seconds, peak = telephony(dest)
    assert seconds > 0.5 and peak > 1000
    assert no_network == [] and not (tmp_path / "hibari-home").exists()


async def test_hibari_spells_digits_as_words(tmp_path: Path, neural: HibariSynthesizer) -> None:
    assert speakable("19a", spell=True) == "one, nine, A"
    dest = tmp_path / "digit.wav"
    await neural.render("7", HEART, Prosody(), dest, spell=True)
    assert 0.2 < telephony(dest)[0] < 3.0


async def test_hibari_silent_is_silence(tmp_path: Path, neural: HibariSynthesizer) -> None:
    dest = tmp_path / "silent.wav"
    await neural.render("Hello", HEART, Prosody(volume="silent"), dest)
    seconds, peak = telephony(dest)
    assert seconds > 0.2 and peak == 0
