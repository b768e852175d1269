"""Audio files to what the PBX plays without transcoding: 8 kHz mono 16-bit WAV (sox).

A file that sox cannot read as audio, or that holds no sample, is ``NotAudio``; a missing
or hung sox is the speech layer's ``Unavailable`` (503: the host is at fault, not the file).
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

from engine.speech.errors import SynthesisFailed
from engine.speech.sox import TELEPHONY_FORMAT, run

DEFAULT_CONVERT_SECONDS = 120.0
TELEPHONY_RATE = 8000
# Input types sox is told by the name's extension; anything else is read as WAV.
SOX_TYPES = frozenset({"wav", "mp3", "ogg", "flac", "au", "aiff", "aif", "gsm", "ul", "al"})


class NotAudio(Exception):
    """The file is not audio sox can read (the message says why, without the content)."""


def sox_type(name: str) -> str:
    """The sox input type for a file called ``name``: its extension if sox knows it, else wav."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix if suffix in SOX_TYPES else "wav"


async def to_telephony_wav(source: Path, dest: Path, *, kind: str = "wav",
                           timeout: float = DEFAULT_CONVERT_SECONDS) -> None:
    """Convert ``source`` (read as sox type ``kind``) to an 8 kHz mono 16-bit WAV at ``dest``.

    Raises ``NotAudio`` when sox cannot read it or it has no sample (``dest`` may then hold
    a partial file: the caller owns it). ``-D``: no dither noise; ``-G``: no clipping.
    """
    argv = ["sox", "-V1", "-D", "-G", "-t", kind, str(source), *TELEPHONY_FORMAT,
            "-t", "wav", str(dest)]
    try:
        await run(argv, b"", timeout)
    except SynthesisFailed as exc:
        raise NotAudio(f"the file is not {kind} audio sox can read") from exc
    await asyncio.to_thread(check_telephony_wav, dest)


def check_telephony_wav(path: Path) -> None:
    """``NotAudio`` unless ``path`` is an 8 kHz mono 16-bit PCM WAV with at least one sample."""
    try:
        with wave.open(str(path), "rb") as audio:
            shape = (audio.getframerate(), audio.getnchannels(), audio.getsampwidth())
            frames = audio.getnframes()
    except (wave.Error, EOFError) as exc:
        raise NotAudio(f"the converted audio is not a valid WAV: {exc}") from None
    if shape != (TELEPHONY_RATE, 1, 2):
        raise NotAudio("the converted audio is not 8 kHz mono 16-bit")
    if frames == 0:
        raise NotAudio("the audio holds no sound (zero samples)")
