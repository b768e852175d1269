"""<Play> of an http(s) URL: guarded download, sox conversion to telephony WAV, cached."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from engine.calls.media_fetch import MediaError, MediaFetchExecutor
from engine.domain.commands import FetchMedia
from engine.domain.events import CallEvent, SpeechFailed, SpeechReady
from engine.webhooks.addresses import AddressPolicy
from engine.webhooks.guard import GuardedHttp, UrlPolicy


def tone_wav(rate: int = 44100, channels: int = 2, seconds: float = 0.5) -> bytes:
    frames = bytearray()
    for n in range(int(rate * seconds)):
        sample = int(8000 * math.sin(2 * math.pi * 440 * n / rate))
        frames += struct.pack("<h", sample) * channels
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


class Media:
    def __init__(self) -> None:
        self.downloads = 0


@pytest.fixture
async def server(tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[tuple[TestServer, Media]]:
    media = Media()
    wav = tone_wav()
    mp3_dir = tmp_path_factory.mktemp("mp3")

    async def clip(request: web.Request) -> web.Response:
        media.downloads += 1
        await asyncio.sleep(0.05)
        return web.Response(body=wav, content_type="audio/wav")

    async def noise(request: web.Request) -> web.Response:
        return web.Response(body=b"this is not audio at all" * 10, content_type="audio/wav")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"\0" * 300_000, content_type="audio/wav")

    async def mp3(request: web.Request) -> web.Response:
        # An MP3 made by sox itself (libsox-fmt-mp3, installed by scripts/setup-system.sh).
        made = mp3_dir / "tone.mp3"
        proc = await asyncio.create_subprocess_exec(
            "sox", "-n", "-r", "22050", "-c", "1", str(made), "synth", "0.5", "sine", "440")
        assert await proc.wait() == 0
        return web.Response(body=made.read_bytes(), content_type="audio/mpeg")

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/clip.wav", clip)
    app.router.add_get("/noise.wav", noise)
    app.router.add_get("/big.wav", big)
    app.router.add_get("/gone.mp3", gone)
    app.router.add_get("/tone", mp3)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield test_server, media
    finally:
        await test_server.close()


async def play(tmp_path: Path, *urls: str, loopback: bool = True) -> list[CallEvent]:
    fed: list[CallEvent] = []
    http = GuardedHttp(UrlPolicy(AddressPolicy(allow_loopback=loopback)))
    try:
        executor = MediaFetchExecutor(http, lambda rid, e: fed.append(e),
                                      audio_dir=tmp_path / "tts", pbx_dir=Path("/srv/x/tts"),
                                      max_bytes=200_000)
        await asyncio.gather(*(executor.fetch_media("r", FetchMedia(f"m{i}", url))
                               for i, url in enumerate(urls)))
    finally:
        await http.close()
    return fed


async def test_a_clip_is_converted_once_and_played_from_the_pbx_dir(
        tmp_path: Path, server: tuple[TestServer, Media]) -> None:
    test_server, media = server
    url = str(test_server.make_url("/clip.wav"))
    events = await play(tmp_path, url, url, url)
    assert media.downloads == 1
    assert all(isinstance(e, SpeechReady) for e in events)
    uris = {e.media for e in events if isinstance(e, SpeechReady)}
    (uri,) = uris
    assert len(uri) == 1 and uri[0].startswith("sound:/srv/x/tts/play/")
    name = uri[0].rsplit("/", 1)[1]
    with wave.open(str(tmp_path / "tts" / "play" / f"{name}.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert 3900 <= w.getnframes() <= 4100
    assert [p.name for p in (tmp_path / "tts" / "play").iterdir()] == [f"{name}.wav"]


async def test_mp3_is_converted(tmp_path: Path, server: tuple[TestServer, Media]) -> None:
    test_server, _ = server
    (event,) = await play(tmp_path, str(test_server.make_url("/tone")))
    assert isinstance(event, SpeechReady), event
    name = event.media[0].rsplit("/", 1)[1]
    with wave.open(str(tmp_path / "tts" / "play" / f"{name}.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() > 3000


async def test_failures_are_speech_failed(tmp_path: Path,
                                          server: tuple[TestServer, Media]) -> None:
    test_server, _ = server
    events = await play(tmp_path, str(test_server.make_url("/noise.wav")),
                        str(test_server.make_url("/big.wav")),
                        str(test_server.make_url("/gone.mp3")),
                        "http://169.254.169.254/a.wav", "file:///etc/passwd")
    reasons = {e.synthesis_id: e.reason for e in events if isinstance(e, SpeechFailed)}
    assert len(reasons) == 5
    assert "cannot be played" in reasons["m0"]
    assert "more than 200000" in reasons["m1"]
    assert "HTTP 404" in reasons["m2"]
    assert "metadata" in reasons["m3"]
    assert "only http and https" in reasons["m4"]
    assert [p.name for p in (tmp_path / "tts" / "play").iterdir()] == []


async def test_prepare_gives_the_uri_or_raises(tmp_path: Path,
                                               server: tuple[TestServer, Media]) -> None:
    test_server, media = server
    http = GuardedHttp(UrlPolicy(AddressPolicy(allow_loopback=True)))
    try:
        executor = MediaFetchExecutor(http, lambda rid, e: None, audio_dir=tmp_path,
                                      pbx_dir=Path("/srv/p"), max_bytes=200_000)
        uri = await executor.prepare(str(test_server.make_url("/clip.wav")))
        assert uri.startswith("sound:/srv/p/play/") and media.downloads == 1
        with pytest.raises(MediaError, match="HTTP 404"):
            await executor.prepare(str(test_server.make_url("/gone.mp3")))
    finally:
        await http.close()


async def test_loopback_audio_is_refused_unless_allowed(
        tmp_path: Path, server: tuple[TestServer, Media]) -> None:
    test_server, media = server
    (event,) = await play(tmp_path, str(test_server.make_url("/clip.wav")), loopback=False)
    assert isinstance(event, SpeechFailed) and "loopback" in event.reason
    assert media.downloads == 0
