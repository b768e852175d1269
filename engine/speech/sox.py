"""Child processes for speech: run a program with bytes on stdin, and sox to telephony WAV."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

from engine.domain.speech import PITCH_CENTS, VOLUME_DB, Prosody
from engine.speech.errors import SpeechUnavailable, SynthesisFailed, SynthesisTimedOut

# What the PBX plays without transcoding: 8 kHz, mono, 16-bit signed linear.
TELEPHONY_FORMAT = ("-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer")


async def run(argv: Sequence[str], stdin: bytes, timeout: float) -> bytes:
    """Run ``argv`` with ``stdin``; its stdout. Kills it after ``timeout`` seconds.

    stderr is kept out of error messages beyond its first line: for speech it can echo the
    text, and a secret must not reach a log.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise SpeechUnavailable(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise SynthesisTimedOut(f"{argv[0]} took more than {timeout:g} s") from None
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        reason = err.decode(errors="replace").strip().splitlines()[:1]
        raise SynthesisFailed(f"{argv[0]} exited with {proc.returncode}"
                              + (f": {reason[0][:120]}" if reason else ""))
    return out


def prosody_effects(prosody: Prosody) -> list[str]:
    """sox effects for pitch and volume (engines without SSML prosody)."""
    effects: list[str] = []
    gain = VOLUME_DB[prosody.volume]
    if gain is None:
        effects += ["vol", "0"]
    elif gain:
        effects += ["vol", f"{gain:g}dB"]
    # Volume first: after ``pitch``, sox -G cannot reclaim its headroom and fails.
    cents = PITCH_CENTS[prosody.pitch]
    if cents:
        effects += ["pitch", str(cents)]
    return effects


async def to_telephony(wav: bytes, dest: Path, timeout: float,
                       effects: Sequence[str] = ()) -> None:
    """Convert a WAV (any rate, from memory) to an 8 kHz mono 16-bit WAV at ``dest``.

    ``-G`` guards against clipping when effects add gain; ``-D``: no dither noise.
    """
    if not wav:
        raise SynthesisFailed("the speech engine produced no audio")
    await run(["sox", "-V1", "-G", "-D", "-t", "wav", "-", *TELEPHONY_FORMAT, "-t", "wav",
               str(dest), *effects], wav, timeout)
