"""Transcripts: queued when a call with ``transcript: on`` ends, produced off the call path."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.domain.accounts import Account
from engine.domain.call import Call
from engine.domain.errors import NotFound
from engine.domain.ids import is_request_id
from engine.store.transcripts import PendingTranscript, TranscriptRepository

log = logging.getLogger(__name__)


class Transcriber(Protocol):
    def transcribe(self, audio: Path) -> str: ...


@dataclass(frozen=True)
class TranscriptView:
    request_id: str
    status: str
    transcript: str
    reason: str


class TranscriptService:
    """A bounded queue and one worker; a full queue fails the job instead of growing."""

    def __init__(
        self, repo: TranscriptRepository, transcriber: Transcriber | None,
        recordings_dir: Path, *, queue_size: int = 100, settle_seconds: float = 10.0,
    ) -> None:
        self._repo = repo
        self._transcriber = transcriber
        self._recordings_dir = recordings_dir
        self._queue: asyncio.Queue[PendingTranscript] = asyncio.Queue(maxsize=queue_size)
        self._settle_seconds = settle_seconds

    async def on_call_finished(self, call: Call) -> None:
        if not call.transcript or not call.recordings:
            return
        job = PendingTranscript(call.request_id, call.account_id, f"{call.recordings[0]}.wav")
        await self._repo.add_pending(job.request_id, job.account_id, job.recording)
        await self._enqueue(job)

    async def _enqueue(self, job: PendingTranscript) -> None:
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            await self._repo.finish(job.request_id, "failed", "", "transcription queue is full")

    async def run(self) -> None:
        """The worker: resume jobs a previous engine left pending, then serve the queue."""
        for job in await self._repo.pending():
            await self._enqueue(job)
        while True:
            job = await self._queue.get()
            await self._process(job)

    async def _process(self, job: PendingTranscript) -> None:
        if self._transcriber is None:
            await self._repo.finish(job.request_id, "failed", "", "transcription not installed")
            return
        audio = self._recordings_dir / job.recording
        if not await self._settled(audio):
            await self._repo.finish(job.request_id, "failed", "", "recording file not found")
            return
        try:
            text = await asyncio.to_thread(self._transcriber.transcribe, audio)
        except Exception as exc:  # the STT library's errors are not ours to enumerate
            log.exception("transcription failed", extra={"request_id": job.request_id})
            await self._repo.finish(job.request_id, "failed", "", f"transcription error: {exc}")
            return
        await self._repo.finish(job.request_id, "done", text, "")

    async def _settled(self, audio: Path) -> bool:
        """Wait until Asterisk has finished writing the file (its size stops changing)."""
        last = -1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settle_seconds
        while loop.time() < deadline:
            size = await asyncio.to_thread(_size, audio)
            if size > 44 and size == last:
                return True
            last = size
            await asyncio.sleep(0.5)
        return False

    async def get(self, account: Account, request_id: str) -> TranscriptView:
        row = None
        if is_request_id(request_id.strip()):
            row = await self._repo.get(account.account_id, request_id.strip())
        if row is None:
            raise NotFound("transcript not found", code="transcript_not_found")
        return TranscriptView(row.request_id, row.status, row.text, row.reason)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else -1
