"""Recorded announcements published where the PBX plays them from.

``publish`` copies an account's stored file to ``<audio_dir>/campaigns/<account>/<sha256 of
its content>.wav`` (``audio_dir`` is the speech directory, which the PBX sees as
``pbx_dir``), converted to 8 kHz mono 16-bit by sox, and returns the ``sound:`` URI that
plays it. The name is the content's hash, so publishing the same audio twice converts it
once, and replacing the stored file later never changes what an existing campaign plays.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from engine.domain.errors import InvalidField, NotFound
from engine.domain.files import INVALID_NAME, account_folder, is_valid_file_name
from engine.files.audio import DEFAULT_CONVERT_SECONDS, NotAudio, sox_type, to_telephony_wav
from engine.files.spool import spool
from engine.files.store import FileStore

FIELD = "recorded_filename"
NOT_FOUND = "recorded_file_not_found"
INVALID_AUDIO = "invalid_audio"
FOLDER = "campaigns"


class PbxMedia:
    def __init__(self, store: FileStore, *, audio_dir: Path, pbx_dir: Path, scratch_dir: Path,
                 convert_seconds: float = DEFAULT_CONVERT_SECONDS) -> None:
        self._store = store
        self._dir = audio_dir / FOLDER
        self._pbx_dir = pbx_dir / FOLDER
        self._scratch = scratch_dir
        self._convert_seconds = convert_seconds

    async def publish(self, account_id: str, name: str) -> str:
        """The ``sound:`` URI playing the account's stored file ``name``.

        Raises ``InvalidField("recorded_filename", …)`` with code ``invalid_file_name``,
        ``recorded_file_not_found`` (missing, or another account's) or ``invalid_audio``.
        """
        if not is_valid_file_name(name):
            raise InvalidField(FIELD, "recorded_filename is not a valid file name",
                               code=INVALID_NAME)
        folder = account_folder(account_id)
        work = await asyncio.to_thread(self._workdir)
        try:
            source = work / "source"
            try:
                _, digest = await spool(self._store.read(account_id, name), source)
            except NotFound:
                raise InvalidField(FIELD, f"no file named {name} in the account's files",
                                   code=NOT_FOUND) from None
            dest = self._dir / folder / f"{digest}.wav"
            if not await asyncio.to_thread(dest.is_file):
                await self._convert(source, name, work / "converted.wav", dest)
            return f"sound:{self._pbx_dir / folder / digest}"
        finally:
            await asyncio.shield(asyncio.to_thread(shutil.rmtree, work, True))

    async def _convert(self, source: Path, name: str, converted: Path, dest: Path) -> None:
        try:
            await to_telephony_wav(source, converted, kind=sox_type(name),
                                   timeout=self._convert_seconds)
        except NotAudio as exc:
            raise InvalidField(FIELD, f"{name} is not audio the PBX can play: {exc}",
                               code=INVALID_AUDIO) from None
        await asyncio.to_thread(_install, converted, dest)

    def _workdir(self) -> Path:
        self._scratch.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="publish-", dir=self._scratch))


def _install(converted: Path, dest: Path) -> None:
    """Move the converted file into place atomically, readable by the PBX's user."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    shutil.copyfile(converted, temp)  # scratch and audio dirs may be different file systems
    temp.chmod(0o644)
    os.replace(temp, dest)
