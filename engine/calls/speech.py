"""Text-to-speech as a command: Synthesize in, SpeechReady or SpeechFailed out.

Synthesis runs in the speech service's bounded pool, never in the router's loop, so a slow
voice delays only the call that asked for it. Audio made for one call only (a secret the
shared cache must not keep) is released when that call ends.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

from engine.calls.executors import CommandExecutors, Feedback
from engine.domain.commands import CallFinished, Synthesize
from engine.domain.errors import EngineError
from engine.domain.events import SpeechFailed, SpeechReady
from engine.domain.speech import Utterance

log = logging.getLogger(__name__)


class SpeechAudio(Protocol):
    """Where speech audio comes from (the speech service)."""

    async def synthesize(self, utterance: Utterance, call_ref: str) -> tuple[str, ...]:
        """Media URIs the PBX plays, in order."""
        ...

    def release(self, call_ref: str) -> None:
        """Delete audio made for this call only."""
        ...


class SpeechExecutor:
    def __init__(self, audio: SpeechAudio, feedback: Feedback) -> None:
        self._audio = audio
        self._feedback = feedback

    def register(self, executors: CommandExecutors) -> None:
        executors.register(Synthesize, self.synthesize)
        executors.register(CallFinished, self.call_finished)

    async def synthesize(self, request_id: str, command: Synthesize) -> None:
        try:
            media = await self._audio.synthesize(command.utterance, request_id)
        except EngineError as exc:
            log.warning("speech synthesis failed",
                        extra={"error": exc.message, "text": command.utterance.masked_text()})
            self._feedback(request_id, SpeechFailed(command.synthesis_id, exc.message,
                                                    datetime.now(UTC)))
            return
        self._feedback(request_id, SpeechReady(command.synthesis_id, media, datetime.now(UTC)))

    async def call_finished(self, request_id: str, command: CallFinished) -> None:
        self._audio.release(request_id)
