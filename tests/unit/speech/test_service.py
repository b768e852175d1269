"""SpeechService: URIs in order, cached clips, OTP digits, secrets and per-call files."""

from __future__ import annotations

import asyncio
import itertools
import logging
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.domain.errors import Rejected
from engine.domain.speech import PITCHES, VOLUMES, Prosody, SpeechPart, TtsEngine, Utterance, Voice
from engine.domain.voices import HEART, VoiceCatalogue, validate_tts
from engine.settings import Settings
from engine.speech.errors import SpeechUnavailable
from engine.speech.factory import open_speech
from engine.speech.service import SpeechService
from engine.speech.sox import prosody_effects, to_telephony

PBX = Path("/srv/test/pbx/tts")
OTP = "1987"


@pytest.fixture
async def speech(tmp_path: Path) -> AsyncIterator[SpeechService]:
    settings = Settings(tts_path=tmp_path / "tts", tts_pbx_path=PBX)
    service = await open_speech(settings)
    yield service
    service.close()


def otp(voice: Voice, secret_text: str | None = None) -> Utterance:
    parts = [SpeechPart("Your one time password is"), SpeechPart(OTP, spell=True, secret=True)]
    if secret_text:
        parts.append(SpeechPart(secret_text, secret=True))
    return Utterance(tuple(parts), voice, Prosody(volume="soft", rate="slow"))


def local_path(uri: str, audio_dir: Path) -> Path:
    assert uri.startswith(f"sound:{PBX}/")
    return audio_dir / f"{uri.removeprefix(f'sound:{PBX}/')}.wav"


def test_the_catalogue_lists_both_engines(speech: SpeechService) -> None:
    catalogue = speech.catalogue()
    assert catalogue.engines() == {TtsEngine.STANDARD, TtsEngine.NEURAL}
    assert HEART in catalogue.voices
    assert catalogue.resolve_voice("Joanna", "en-US", None).name == "en-us+f3"


@pytest.mark.parametrize("engine", ["standard", "neural"])
async def test_an_otp_is_spoken_from_cached_character_clips(
        speech: SpeechService, tmp_path: Path, engine: str) -> None:
    voice, _ = validate_tts(voice="Raveena", language_code="en-US", tts_engine_type=engine,
                            catalogue=speech.catalogue())
    uris = await speech.synthesize(otp(voice), "call-1")
    assert len(uris) == 1 + len(OTP)
    for uri in uris:
        with wave.open(str(local_path(uri, tmp_path / "tts"))) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
    warm = speech.syntheses
    again = await speech.synthesize(otp(voice), "call-2")
    assert again == uris and speech.syntheses == warm  # no synthesis after warm-up
    # Another OTP reuses the digit clips: only the new digit is synthesised.
    other = Utterance((SpeechPart("1988", spell=True, secret=True),), voice, otp(voice).prosody)
    assert (await speech.synthesize(other, "call-3"))[:3] == uris[1:4]
    assert speech.syntheses == warm


async def test_secrets_never_reach_the_cache_and_release_deletes_call_files(
        speech: SpeechService, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="engine.speech")
    voice = speech.catalogue().resolve_voice(None, None, None)
    uris = await speech.synthesize(otp(voice, "your pin is hunter"), "call-9")
    audio = tmp_path / "tts"
    private = local_path(uris[-1], audio)
    assert private.parent == audio / "calls" / "call-9" and private.exists()
    cached = sorted(p.stem for p in (audio / "cache").rglob("*.wav"))
    expected = sorted(local_path(u, audio).stem for u in uris[:-1])
    assert cached == sorted(set(expected))  # the prefix and one clip per digit, nothing else
    assert len(set(uris[1:5])) == len(set(OTP))
    for record in caplog.records:
        assert OTP not in str(record.__dict__) and "hunter" not in str(record.__dict__)
    speech.release("call-9")
    assert not (audio / "calls" / "call-9").exists()
    assert all(local_path(u, audio).exists() for u in uris[:-1])


async def test_concurrent_identical_requests_synthesise_once(speech: SpeechService) -> None:
    voice = speech.catalogue().resolve_voice("Matthew", None, None)
    utterance = Utterance((SpeechPart("Your balance is due"), SpeechPart("A12", spell=True)),
                          voice)
    results = await asyncio.gather(*(speech.synthesize(utterance, f"c{i}") for i in range(12)))
    assert len(set(results)) == 1 and len(results[0]) == 2
    assert speech.syntheses == 2


async def test_release_during_synthesis_deletes_when_it_finishes(
        speech: SpeechService, tmp_path: Path) -> None:
    voice = speech.catalogue().resolve_voice(None, None, None)
    secret = Utterance((SpeechPart("a private message for you", secret=True),), voice)
    job = asyncio.create_task(speech.synthesize(secret, "call-r"))
    await asyncio.sleep(0)
    speech.release("call-r")
    await job
    assert not (tmp_path / "tts" / "calls" / "call-r").exists()


async def test_failures_are_unavailable_and_call_refs_are_checked(
        speech: SpeechService) -> None:
    ghost = Voice(TtsEngine.STANDARD, "zz-ghost", "en-US", "male")
    with pytest.raises(SpeechUnavailable):
        await speech.synthesize(Utterance((SpeechPart("hello"),), ghost), "call-x")
    private = Utterance((SpeechPart("hunter2", secret=True),), ghost)
    with pytest.raises(SpeechUnavailable) as caught:
        await speech.synthesize(private, "call-x")
    assert "hunter2" not in str(caught.value) and caught.value.__cause__ is None
    with pytest.raises(Rejected, match="call_ref"):
        await speech.synthesize(Utterance((SpeechPart("hello"),), HEART), "../etc")
    only_espeak = SpeechService(catalogue=VoiceCatalogue(()), synthesizers={},
                                audio_dir=Path("/nonexistent"), pbx_dir=PBX,
                                cache_max_bytes=1 << 20)
    with pytest.raises(SpeechUnavailable, match="neural"):
        await only_espeak.synthesize(Utterance((SpeechPart("hello"),), HEART), "call-y")
    assert await speech.synthesize(Utterance((SpeechPart("  "),), HEART), "call-z") == ()


async def test_every_volume_and_pitch_runs_through_sox(tmp_path: Path) -> None:
    source = tmp_path / "tone.wav"
    with wave.open(str(source), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24000)
        wav.writeframes(b"\x00\x40\x00\xc0" * 2400)
    for volume, pitch in itertools.product(VOLUMES, PITCHES):
        dest = tmp_path / f"{volume}-{pitch}.wav"
        effects = prosody_effects(Prosody(volume=volume, pitch=pitch))
        await to_telephony(source.read_bytes(), dest, 10.0, effects)
        with wave.open(str(dest)) as wav:
            assert wav.getframerate() == 8000
