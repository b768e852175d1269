"""PbxMedia.publish: a stored file becomes a sound: URI the PBX plays (real sox)."""

from __future__ import annotations

import hashlib
import io
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.domain.errors import InvalidField
from engine.files.local import LocalFileStore
from engine.files.pbx_media import PbxMedia

PBX_DIR = Path("/srv/cpaas/pbx/tts")


def wav_bytes(rate: int = 22050, channels: int = 2, frames: int = 2205) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        size = channels * frames * 2
        audio.writeframes((bytes(range(256)) * (size // 256 + 1))[:size])
    return out.getvalue()


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
def store(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files")


@pytest.fixture
def media(store: LocalFileStore, tmp_path: Path) -> PbxMedia:
    return PbxMedia(store, audio_dir=tmp_path / "tts", pbx_dir=PBX_DIR,
                    scratch_dir=tmp_path / "scratch")


async def test_publish_converts_and_names_by_content(media: PbxMedia, store: LocalFileStore,
                                                     tmp_path: Path) -> None:
    audio = wav_bytes()
    await store.put("account_1", "greeting.wav", once(audio))
    digest = hashlib.sha256(audio).hexdigest()
    uri = await media.publish("account_1", "greeting.wav")
    assert uri == f"sound:{PBX_DIR}/campaigns/account_1/{digest}"
    published = tmp_path / "tts" / "campaigns" / "account_1" / f"{digest}.wav"
    with wave.open(str(published), "rb") as out:
        assert (out.getframerate(), out.getnchannels(), out.getsampwidth()) == (8000, 1, 2)
        assert out.getnframes() == 800
    assert published.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in published.parent.iterdir()] == [published.name]
    assert list((tmp_path / "scratch").iterdir()) == []

    assert await media.publish("account_1", "greeting.wav") == uri  # same content, same file
    await store.put("account_1", "greeting.wav", once(wav_bytes(frames=4410)))
    other = await media.publish("account_1", "greeting.wav")
    assert other != uri and other.startswith(f"sound:{PBX_DIR}/campaigns/account_1/")
    assert published.exists(), "a campaign already playing the old audio keeps it"


async def test_missing_and_other_accounts_files(media: PbxMedia, store: LocalFileStore) -> None:
    await store.put("account_1", "greeting.wav", once(wav_bytes()))
    for account, name in (("account_1", "nope.wav"), ("account_2", "greeting.wav")):
        with pytest.raises(InvalidField) as caught:
            await media.publish(account, name)
        assert caught.value.field == "recorded_filename"
        assert caught.value.code == "recorded_file_not_found"


async def test_not_audio(media: PbxMedia, store: LocalFileStore, tmp_path: Path) -> None:
    await store.put("account_1", "fake.wav", once(b"RIFF but not really a wave file"))
    await store.put("account_1", "notes", once(b"plain text"))
    for name in ("fake.wav", "notes"):
        with pytest.raises(InvalidField) as caught:
            await media.publish("account_1", name)
        assert caught.value.field == "recorded_filename"
        assert caught.value.code == "invalid_audio"
    assert not (tmp_path / "tts").exists()
    assert list((tmp_path / "scratch").iterdir()) == []


async def test_bad_name(media: PbxMedia) -> None:
    with pytest.raises(InvalidField) as caught:
        await media.publish("account_1", "../../etc/passwd")
    assert (caught.value.field, caught.value.code) == ("recorded_filename", "invalid_file_name")
