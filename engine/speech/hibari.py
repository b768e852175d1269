"""hibari-tts, the neural engine: only the ``heart`` voice bundled in the package.

hibari downloads its other voices from the internet on first use. This module never asks
for them: it locates heart with ``download_missing=False``, checks that the registry marks
it as bundled and that the file is on disk, and hands that file to ``Hibari`` as its model,
so hibari's own lookup (which could download) is never reached.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import threading
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from engine.domain.speech import RATE_SPEED, Prosody, Voice, spelled_characters, spoken_character
from engine.domain.voices import HEART
from engine.speech.errors import SpeechUnavailable, SynthesisTimedOut
from engine.speech.sox import prosody_effects, to_telephony


def bundled_heart() -> Path | None:
    """The heart model inside the installed hibari package, or None (never downloads)."""
    if importlib.util.find_spec("hibari") is None:
        return None
    from hibari import voices  # noqa: PLC0415 - optional at run time

    entry = voices.VOICES.get(HEART.name, {})
    if not entry.get("bundled"):
        return None
    try:
        path = Path(voices.voice_path(HEART.name, download_missing=False))
    except (FileNotFoundError, ValueError):
        return None
    return path if path.is_file() else None


def speakable(text: str, *, spell: bool) -> str:
    """hibari has no ``say-as``: a spelled part becomes words between commas (1 -> one)."""
    if not spell:
        return text
    return ", ".join(spoken_character(c) for c in spelled_characters(text))


class HibariSynthesizer:
    """Renders with hibari in ``executor`` (CPU work off the event loop), one model per
    worker thread, then sox for 8 kHz, pitch and volume; the rate is hibari's speed."""

    def __init__(self, model: Path, executor: Executor, timeout: float = 30.0) -> None:
        self._model = model
        self._executor = executor
        self._timeout = timeout
        self._local = threading.local()

    def _engine(self) -> Any:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            from hibari import Hibari  # noqa: PLC0415 - optional at run time

            engine = Hibari(voice=HEART.name, model=str(self._model), threads=1)
            self._local.engine = engine
        return engine

    def _wav(self, text: str, speed: float) -> bytes:
        from hibari import write_wav  # noqa: PLC0415 - optional at run time

        audio = self._engine()(text, speed=speed, seed=0)
        buffer = io.BytesIO()
        write_wav(buffer, audio)
        return buffer.getvalue()

    async def warm_up(self) -> None:
        """Load the model and the pronunciation data in one worker, so the first call does
        not pay for it; raises if hibari cannot run here."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._wav, "Ready.", 1.0)

    async def render(self, text: str, voice: Voice, prosody: Prosody, dest: Path,
                     *, spell: bool = False) -> None:
        """Write ``text`` spoken by heart to ``dest`` (8 kHz mono 16-bit WAV)."""
        if voice.name != HEART.name:
            raise SpeechUnavailable(f"the neural engine has no voice {voice.name!r}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        job = loop.run_in_executor(self._executor, self._wav, speakable(text, spell=spell),
                                   RATE_SPEED[prosody.rate])
        try:
            wav = await asyncio.wait_for(job, self._timeout)
        except TimeoutError:
            raise SynthesisTimedOut(f"hibari took more than {self._timeout:g} s") from None
        await to_telephony(wav, dest, max(1.0, deadline - loop.time()),
                           prosody_effects(prosody))
