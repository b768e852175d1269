"""Builds the speech service from the settings: finds the installed engines and voices."""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import ThreadPoolExecutor

from engine.domain.speech import TtsEngine, Voice
from engine.domain.voices import HEART, VoiceCatalogue, espeak_voices
from engine.settings import Settings
from engine.speech.espeak import EspeakSynthesizer, installed_languages
from engine.speech.hibari import HibariSynthesizer, bundled_heart
from engine.speech.service import SpeechService, Synthesizer

log = logging.getLogger(__name__)


async def open_speech(settings: Settings) -> SpeechService:
    """A started ``SpeechService`` with every engine found on this machine (call ``close``
    on shutdown). A missing engine leaves its voices out of the catalogue."""
    timeout = settings.tts_timeout_seconds
    voices: list[Voice] = list(espeak_voices(await installed_languages()))
    synthesizers: dict[TtsEngine, Synthesizer] = {}
    if voices:
        synthesizers[TtsEngine.STANDARD] = EspeakSynthesizer(timeout)
    executor = None
    heart = bundled_heart()
    if heart is not None:
        executor = ThreadPoolExecutor(settings.tts_workers, thread_name_prefix="tts")
        neural = HibariSynthesizer(heart, executor, timeout)
        try:
            await neural.warm_up()
        except Exception as exc:  # any failure leaves the engine out, not the daemon
            log.warning("neural speech engine unusable", extra={"error": repr(exc)})
            executor.shutdown(wait=False)
            executor = None
        else:
            synthesizers[TtsEngine.NEURAL] = neural
            voices.append(HEART)
    if shutil.which("sox") is None:
        log.warning("sox is missing: speech synthesis will fail")
    log.info("speech engines", extra={"engines": sorted(e.value for e in synthesizers),
                                      "voices": len(voices)})
    service = SpeechService(
        catalogue=VoiceCatalogue(voices), synthesizers=synthesizers,
        audio_dir=settings.tts_dir.resolve(), pbx_dir=settings.tts_pbx_dir,
        cache_max_bytes=settings.tts_cache_max_bytes,
        max_concurrent=settings.tts_max_concurrent, executor=executor,
    )
    await service.start()
    return service
