"""Plivo's <Play> of an http(s) URL as a command: ``FetchMedia`` in, ``SpeechReady`` (the
``sound:`` URI the PBX plays) or ``SpeechFailed`` out.

The audio is downloaded through the SSRF guard (at most ``max_bytes``), converted by sox to
8 kHz mono 16-bit WAV under ``<audio_dir>/play/`` (the directory the PBX sees as
``<pbx_dir>/play/``), and kept for the process by URL: a URL fetched once plays again
without a download. Concurrent requests for one URL download it once. sox reads WAV, MP3
(with libsox-fmt-mp3), Ogg/Vorbis, FLAC, AU, AIFF, GSM, μ-law and A-law.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path

from yarl import URL

from engine.calls.executors import CommandExecutors, Feedback
from engine.domain.commands import FetchMedia
from engine.domain.errors import EngineError
from engine.domain.events import SpeechFailed, SpeechReady
from engine.speech.sox import TELEPHONY_FORMAT, run
from engine.webhooks.guard import GuardedHttp, GuardError

log = logging.getLogger(__name__)

# sox input types by the answer's content type (else by the URL's extension, else sniffed).
CONTENT_TYPES = {
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mpeg3": "mp3", "audio/x-mpeg-3": "mp3",
    "audio/ogg": "ogg", "application/ogg": "ogg", "audio/flac": "flac",
    "audio/x-flac": "flac", "audio/basic": "au", "audio/aiff": "aiff", "audio/x-aiff": "aiff",
}
EXTENSIONS = {"wav", "mp3", "ogg", "flac", "au", "aiff", "aif", "gsm", "ul", "al"}


class MediaError(EngineError):
    """Why the audio cannot be played (the text reaches logs and webhooks)."""

    code = "media_failed"


class MediaFetchExecutor:
    def __init__(self, http: GuardedHttp, feedback: Feedback, *, audio_dir: Path,
                 pbx_dir: Path, max_bytes: int, timeout_seconds: float = 30.0,
                 convert_seconds: float = 30.0, max_entries: int = 512) -> None:
        self._http = http
        self._feedback = feedback
        self._dir = audio_dir / "play"
        self._pbx_dir = pbx_dir / "play"
        self._max_bytes = max_bytes
        self._timeout = timeout_seconds
        self._convert_seconds = convert_seconds
        self._max_entries = max_entries
        self._ready: OrderedDict[str, Path] = OrderedDict()
        self._inflight: dict[str, asyncio.Task[Path]] = {}

    def register(self, executors: CommandExecutors) -> None:
        executors.register(FetchMedia, self.fetch_media)

    async def fetch_media(self, request_id: str, command: FetchMedia) -> None:
        try:
            path = await self.media(command.url)
        except MediaError as exc:
            log.warning("media fetch failed", extra={"url": command.url, "error": str(exc)})
            self._feedback(request_id, SpeechFailed(command.media_id, str(exc), _now()))
            return
        self._feedback(request_id, SpeechReady(command.media_id, (self._uri(path),), _now()))

    async def prepare(self, url: str) -> str:
        """The ``sound:`` URI playing ``url`` (a conference's wait sound); MediaError (an
        EngineError) if it cannot be had."""
        return self._uri(await self.media(url))

    def _uri(self, path: Path) -> str:
        return f"sound:{self._pbx_dir / path.stem}"

    async def media(self, url: str) -> Path:
        """The converted file for ``url`` (downloaded once per process)."""
        path = self._ready.get(url)
        if path is not None and path.exists():
            self._ready.move_to_end(url)
            return path
        task = self._inflight.get(url)
        if task is None:
            task = asyncio.create_task(self._produce(url))
            self._inflight[url] = task
            task.add_done_callback(lambda _t: self._inflight.pop(url, None))
        return await asyncio.shield(task)  # a caller's cancellation spares the others

    async def _produce(self, url: str) -> Path:
        try:
            answer = await self._http.request("GET", url, max_bytes=self._max_bytes,
                                              timeout=self._timeout)
        except GuardError as exc:
            raise MediaError(exc.reason) from None
        if not answer.ok:
            raise MediaError(f"HTTP {answer.status} for the audio")
        if not answer.body:
            raise MediaError("the audio file is empty")
        key = hashlib.sha256(url.encode()).hexdigest()
        dest = self._dir / f"{key}.wav"
        await self._convert(answer.body, _input_type(answer.content_type, url), dest)
        self._ready[url] = dest
        while len(self._ready) > self._max_entries:
            _, old = self._ready.popitem(last=False)
            old.unlink(missing_ok=True)
        return dest

    async def _convert(self, audio: bytes, kind: str | None, dest: Path) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        tag = uuid.uuid4().hex
        source = self._dir / f".in-{tag}.{kind or 'bin'}"
        temp = self._dir / f".tmp-{tag}.wav"
        try:
            await asyncio.to_thread(source.write_bytes, audio)
            argv = ["sox", "-V1", "-D"]
            if kind is not None:
                argv += ["-t", kind]
            argv += [str(source), *TELEPHONY_FORMAT, "-t", "wav", str(temp)]
            try:
                await run(argv, b"", self._convert_seconds)
            except EngineError as exc:
                raise MediaError(f"the audio cannot be played: {exc}") from None
            temp.chmod(0o644)
            os.replace(temp, dest)
        finally:
            source.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)


def _input_type(content_type: str, url: str) -> str | None:
    kind = CONTENT_TYPES.get(content_type.lower())
    if kind is not None:
        return kind
    suffix = URL(url).path.rsplit(".", 1)[-1].lower() if "." in URL(url).path else ""
    return suffix if suffix in EXTENSIONS else None  # None: sox reads the header


def _now() -> datetime:
    return datetime.now(UTC)
