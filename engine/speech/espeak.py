"""espeak-ng, the standard engine: SSML in on stdin, WAV out on stdout, never a text file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.domain.speech import Prosody, Voice, ssml
from engine.speech.errors import SpeechUnavailable
from engine.speech.sox import run, to_telephony

ESPEAK = "espeak-ng"


async def installed_languages(timeout: float = 10.0) -> tuple[str, ...]:
    """espeak-ng's language voice ids (``en-us``, ``fr-fr``, …); empty if it is missing."""
    try:
        listing = await run([ESPEAK, "--voices"], b"", timeout)
    except SpeechUnavailable:
        return ()
    ids = []
    for line in listing.decode(errors="replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            ids.append(fields[1].lower())
    return tuple(ids)


class EspeakSynthesizer:
    """Renders one part with espeak-ng, then sox to telephony format."""

    def __init__(self, timeout: float = 30.0) -> None:
        self._timeout = timeout

    async def render(self, text: str, voice: Voice, prosody: Prosody, dest: Path,
                     *, spell: bool = False) -> None:
        """Write ``text`` spoken by ``voice`` to ``dest`` (8 kHz mono 16-bit WAV)."""
        document = ssml(text, prosody, spell=spell).encode()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        wav = await run([ESPEAK, "-m", "-v", voice.name, "--stdout", "--stdin"], document,
                        self._timeout)
        # espeak-ng applies the volume word itself; sox only resamples.
        await to_telephony(wav, dest, max(1.0, deadline - loop.time()))
