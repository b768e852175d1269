"""The speech service: an utterance in, the ``sound:`` URIs the PBX plays out, in order.

- A non-secret part is one clip from the shared cache (synthesised on a miss).
- A secret spelled part (an OTP) is played from cached one-character clips, so after
  warm-up it costs no synthesis and the secret never reaches the disk.
- A secret part read as text is synthesised into the call's own directory, outside the
  cache; ``release(call_ref)`` deletes it when the call ends.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import uuid
from collections.abc import Awaitable, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Protocol

from engine.domain.errors import Rejected, Unavailable
from engine.domain.speech import Prosody, SpeechPart, TtsEngine, Utterance, Voice
from engine.domain.speech import spelled_characters as characters
from engine.domain.voices import VoiceCatalogue
from engine.speech.cache import AudioCache, cache_key
from engine.speech.errors import SpeechUnavailable

log = logging.getLogger(__name__)

_CALL_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class Synthesizer(Protocol):
    """One engine: writes ``text`` as an 8 kHz mono 16-bit WAV at ``dest``."""

    async def render(self, text: str, voice: Voice, prosody: Prosody, dest: Path,
                     *, spell: bool = False) -> None: ...


class SpeechService:
    """Synthesis with a bounded number of engine runs at a time.

    ``audio_dir`` is where the engine writes (the cache under ``cache/``, per-call files
    under ``calls/``); ``pbx_dir`` is the same directory as the PBX sees it.
    """

    def __init__(self, *, catalogue: VoiceCatalogue,
                 synthesizers: Mapping[TtsEngine, Synthesizer], audio_dir: Path,
                 pbx_dir: Path, cache_max_bytes: int, max_concurrent: int = 4,
                 executor: Executor | None = None) -> None:
        self._catalogue = catalogue
        self._synthesizers = dict(synthesizers)
        self._audio_dir = audio_dir
        self._pbx_dir = pbx_dir
        self.cache = AudioCache(audio_dir / "cache", cache_max_bytes)
        self._calls_dir = audio_dir / "calls"
        self._slots = asyncio.Semaphore(max_concurrent)
        self._executor = executor
        self._pending: dict[str, int] = {}
        self._released: set[str] = set()
        self.syntheses = 0

    async def start(self) -> None:
        """Index the cache already on disk (in a thread: it may hold many clips)."""
        await asyncio.to_thread(self.cache.load)
        self._calls_dir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        """Stop the worker threads (pending neural syntheses are dropped)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def catalogue(self) -> VoiceCatalogue:
        """The voices this machine speaks with."""
        return self._catalogue

    async def synthesize(self, utterance: Utterance, call_ref: str) -> tuple[str, ...]:
        """Media URIs (``sound:<pbx path>``) speaking ``utterance``, in order.

        ``call_ref`` names the call's private directory (secret parts read as text).
        Raises ``SpeechUnavailable`` (or a subclass) when an engine cannot run, ``Rejected``
        when ``call_ref`` is not a safe file name.
        """
        if not _CALL_REF.match(call_ref):
            raise Rejected(f"call_ref {call_ref!r} is not a safe directory name")
        self._engine(utterance.voice)
        jobs: list[Awaitable[Path]] = []
        for part in utterance.parts:
            if not part.text.strip():
                continue
            if part.secret and part.spell:
                jobs += [self._clip(utterance, c, spell=True) for c in characters(part.text)]
            elif part.secret:
                jobs.append(self._private(utterance, part, call_ref))
            else:
                jobs.append(self._clip(utterance, part.text, spell=part.spell))
        private = any(p.secret and not p.spell and p.text.strip() for p in utterance.parts)
        if private:
            self._pending[call_ref] = self._pending.get(call_ref, 0) + 1
        try:
            results = await asyncio.gather(*jobs, return_exceptions=True)
        finally:
            if private:
                self._settle(call_ref)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            log.warning("speech failed", extra={"call_ref": call_ref, "error": str(failure),
                                                "text": utterance.masked_text()})
            raise failure
        log.debug("speech ready", extra={"call_ref": call_ref, "clips": len(results),
                                         "text": utterance.masked_text()})
        return tuple(self._uri(path) for path in results if isinstance(path, Path))

    def release(self, call_ref: str) -> None:
        """Delete the call's private audio (now, or when its last synthesis finishes)."""
        if not _CALL_REF.match(call_ref):
            return
        if self._pending.get(call_ref):
            self._released.add(call_ref)
            return
        shutil.rmtree(self._calls_dir / call_ref, ignore_errors=True)

    def _engine(self, voice: Voice) -> Synthesizer:
        engine = self._synthesizers.get(voice.engine)
        if engine is None:
            raise SpeechUnavailable(f"the {voice.engine.value} speech engine is not installed")
        return engine

    async def _render(self, text: str, utterance: Utterance, dest: Path, spell: bool) -> None:
        engine = self._engine(utterance.voice)
        async with self._slots:
            self.syntheses += 1
            await engine.render(text, utterance.voice, utterance.prosody, dest, spell=spell)

    async def _clip(self, utterance: Utterance, text: str, *, spell: bool) -> Path:
        voice, prosody = utterance.voice, utterance.prosody
        key = cache_key(voice.engine.value, voice.name, prosody.volume, prosody.rate,
                        prosody.pitch, "spell" if spell else "say", text)

        async def produce(dest: Path) -> None:
            await self._render(text, utterance, dest, spell)

        return await self.cache.fetch(key, produce)

    async def _private(self, utterance: Utterance, part: SpeechPart, call_ref: str) -> Path:
        directory = self._calls_dir / call_ref
        dest = directory / f"{uuid.uuid4().hex}.wav"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            await self._render(part.text, utterance, dest, part.spell)
        except Unavailable as exc:
            dest.unlink(missing_ok=True)
            # An engine's own message (its stderr) could quote the text: drop it.
            raise type(exc)("a secret part could not be spoken "
                            f"({exc.code}, voice {utterance.voice.name})") from None
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        return dest

    def _settle(self, call_ref: str) -> None:
        """One private synthesis of the call is over; honour a release that came meanwhile."""
        self._pending[call_ref] -= 1
        if self._pending[call_ref]:
            return
        del self._pending[call_ref]
        if call_ref in self._released:
            self._released.discard(call_ref)
            shutil.rmtree(self._calls_dir / call_ref, ignore_errors=True)

    def _uri(self, path: Path) -> str:
        relative = path.relative_to(self._audio_dir).with_suffix("")
        return f"sound:{self._pbx_dir / relative}"
