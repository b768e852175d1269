"""Recording downloads, only for the account that owns the call."""

from __future__ import annotations

import re
from pathlib import Path

from engine.domain.accounts import Account
from engine.domain.errors import NotFound
from engine.store.calls import CallRepository

# Names the engine gives recordings: "<request_id>-<both|agent|customer>.wav" (click2call),
# "<request_id>-rec<n>.wav" (a program's Record) and "<request_id>-api-rec<n>.wav" (the live
# Record API); a Plivo API call's request_id is a UUID.
RECORDING_NAME = re.compile(
    r"(?P<request_id>[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"-(?P<kind>both|agent|customer|rec[0-9]{1,4}|api-rec[0-9]{1,4})\.wav")


class RecordingService:
    def __init__(self, repo: CallRepository, recordings_dir: Path) -> None:
        self._repo = repo
        self._dir = recordings_dir

    async def path_for(self, account: Account, name: str) -> Path:
        """The file of recording ``name``; NotFound for bad names, others' or missing files."""
        match = RECORDING_NAME.fullmatch(name)
        if match is None:
            raise NotFound("recording not found", code="recording_not_found")
        owned = (await self._repo.owns_recording(account.account_id, name)
                 or await self._repo.owns_call(account.account_id, match["request_id"]))
        if not owned:
            raise NotFound("recording not found", code="recording_not_found")
        path = self._dir / name
        if not path.is_file():
            raise NotFound("recording not found", code="recording_not_found")
        return path
