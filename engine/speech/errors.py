"""Text-to-speech failures, in the engine's exception tree (retry later, or fix the host)."""

from __future__ import annotations

from engine.domain.errors import TimedOut, Unavailable


class SpeechUnavailable(Unavailable):
    """A speech engine or sox is missing or refused to run."""

    code = "tts_unavailable"


class SynthesisFailed(SpeechUnavailable):
    """An engine ran but produced no usable audio."""

    code = "tts_failed"


class SynthesisTimedOut(TimedOut):
    """An engine did not finish in time; its process was killed."""

    code = "tts_timed_out"
