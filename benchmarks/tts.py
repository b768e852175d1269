"""Is per-digit clip caching worth it? Text-to-speech timings for an OTP announcement.

For each engine (standard: espeak-ng; neural: hibari heart), three ways to say
"Your one time password is 1 9 8 7" with a fresh random OTP each time:

- whole text: the announcement synthesised as one piece (what an uncached engine does
  for every call, since every OTP differs);
- clips, cold: ``SpeechService`` on an empty cache (the prefix and each digit synthesised
  once: the warm-up cost);
- clips, warm: ``SpeechService`` after warm-up (every clip a cache hit).

Times are per utterance, including sox's conversion to 8 kHz.

    python -m benchmarks.tts --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import wave
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from engine.domain.speech import Prosody, SpeechPart, TtsEngine, Utterance, Voice
from engine.settings import Settings
from engine.speech.espeak import EspeakSynthesizer
from engine.speech.factory import open_speech
from engine.speech.hibari import HibariSynthesizer, bundled_heart
from engine.speech.service import SpeechService, Synthesizer

PREFIX = "Your one time password is"


def random_otp() -> str:
    return "".join(random.choice("0123456789") for _ in range(4))


def otp_utterance(voice: Voice, otp: str) -> Utterance:
    return Utterance((SpeechPart(PREFIX), SpeechPart(otp, spell=True, secret=True)), voice,
                     Prosody())


async def timed(rounds: int, run: Callable[[int], Awaitable[None]]) -> list[float]:
    samples = []
    for index in range(rounds):
        start = time.perf_counter()
        await run(index)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def seconds_of(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def raw_engine(engine: TtsEngine, executor: Executor) -> Synthesizer:
    """The engine alone, without the service's cache."""
    if engine is TtsEngine.STANDARD:
        return EspeakSynthesizer()
    model = bundled_heart()
    if model is None:
        raise SystemExit("hibari-tts with its bundled heart voice is not installed")
    return HibariSynthesizer(model, executor)


async def bench_engine(engine: TtsEngine, rounds: int, root: Path,
                       executor: Executor) -> list[tuple[str, str]]:
    service = await open_speech(Settings(tts_path=root / engine.value / "clips"))
    try:
        voice = service.catalogue().resolve_voice("Joanna", "en-US", engine)
        synth = raw_engine(engine, executor)
        whole_dir = root / engine.value / "whole"
        whole_dir.mkdir(parents=True)
        await synth.render("Warm up.", voice, Prosody(), whole_dir / "warm.wav")

        async def whole(index: int) -> None:
            text = f"{PREFIX} {' '.join(random_otp())}"
            await synth.render(text, voice, Prosody(), whole_dir / f"{index}.wav")

        whole_ms = await timed(rounds, whole)
        audio_s = seconds_of(whole_dir / "0.wav")
        cold_ms = await timed(1, lambda _i: _say(service, voice, "0123456789"))
        warm_ms = await timed(rounds, lambda _i: _say(service, voice, random_otp()))
    finally:
        service.close()
    return [
        (f"{engine.value} whole text", _summary(whole_ms, audio_s)),
        (f"{engine.value} clips, cold", f"{cold_ms[0]:8.1f} ms (all ten digits and prefix)"),
        (f"{engine.value} clips, warm", _summary(warm_ms, None)),
    ]


async def _say(service: SpeechService, voice: Voice, otp: str) -> None:
    await service.synthesize(otp_utterance(voice, otp), "bench")


def _summary(samples: list[float], audio_s: float | None) -> str:
    mean = statistics.fmean(samples)
    line = f"{mean:8.1f} ms mean, {max(samples):8.1f} ms max"
    if audio_s:
        line += f"  ({audio_s:.2f} s of audio, {audio_s * 1000 / mean:.0f}x real time)"
    return line


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tts-bench-") as tmp:
        rows = []
        with ThreadPoolExecutor(1) as executor:
            for engine in (TtsEngine.STANDARD, TtsEngine.NEURAL):
                rows += await bench_engine(engine, args.rounds, Path(tmp), executor)
    print(f'"{PREFIX} 1 9 8 7", {args.rounds} rounds, ms per utterance')
    for label, value in rows:
        print(f"  {label:<24} {value}")


if __name__ == "__main__":
    asyncio.run(main())
