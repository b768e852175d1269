"""Recording downloads, only for the account that owns the call."""

from __future__ import annotations

import re
from pathlib import Path

from engine.domain.accounts import Account
from engine.domain.errors import NotFound
from engine.store.calls import CallRepository

# Names the engine gives recordings: "<request_id>-<both|agent|customer>.wav".
RECORDING_NAME = re.compile(r"[0-9a-f]{10}-(both|agent|customer)\.wav")


class RecordingService:
    def __init__(self, repo: CallRepository, recordings_dir: Path) -> None:
        self._repo = repo
        self._dir = recordings_dir

    async def path_for(self, account: Account, name: str) -> Path:
        """The file of recording ``name``; NotFound for bad names, others' or missing files."""
        if not RECORDING_NAME.fullmatch(name):
            raise NotFound("recording not found", code="recording_not_found")
        if not await self._repo.owns_recording(account.account_id, name):
            raise NotFound("recording not found", code="recording_not_found")
        path = self._dir / name
        if not path.is_file():
            raise NotFound("recording not found", code="recording_not_found")
        return path
