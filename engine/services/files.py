"""The account's files: upload (``.wav`` checked and converted for the PBX), list, read,
delete. Another account's file looks exactly like a missing one (each account has its own
folder or key prefix in the store).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from engine.domain.accounts import Account
from engine.domain.errors import InvalidField, NotFound
from engine.domain.files import FILE_NOT_FOUND, is_wav_name, validate_file_name
from engine.files.audio import DEFAULT_CONVERT_SECONDS, NotAudio, to_telephony_wav
from engine.files.spool import file_chunks, spool
from engine.files.store import FileStore, StoredFile

INVALID_AUDIO = "invalid_audio"


def file_not_found() -> NotFound:
    return NotFound("file not found", code=FILE_NOT_FOUND)


class FileService:
    def __init__(self, store: FileStore, *, scratch_dir: Path,
                 convert_seconds: float = DEFAULT_CONVERT_SECONDS) -> None:
        self._store = store
        self._scratch = scratch_dir
        self._convert_seconds = convert_seconds

    async def upload(self, account: Account, name: str,
                     chunks: AsyncIterator[bytes]) -> StoredFile:
        """Store ``chunks`` as the account's file ``name`` (replacing it).

        A ``.wav`` name (any case) is converted to 8 kHz mono 16-bit and the converted audio
        is what is stored; a file that is not audio is ``InvalidField("file",
        code="invalid_audio")`` and nothing is stored. Whatever ``chunks`` raises (a size
        limit, a client gone) leaves the previous file, if any, untouched.
        """
        name = validate_file_name(name)
        if not is_wav_name(name):
            return await self._store.put(account.account_id, name, chunks)
        work = await asyncio.to_thread(self._workdir)
        try:
            source, converted = work / "upload.wav", work / "converted.wav"
            await spool(chunks, source)
            try:
                await to_telephony_wav(source, converted, timeout=self._convert_seconds)
            except NotAudio as exc:
                raise InvalidField("file", f"{name} is not a WAV file the PBX can play: {exc}",
                                   code=INVALID_AUDIO) from None
            await asyncio.to_thread(source.unlink)
            return await self._store.put(account.account_id, name, file_chunks(converted))
        finally:
            await asyncio.shield(asyncio.to_thread(shutil.rmtree, work, True))

    async def of_account(self, account: Account) -> list[StoredFile]:
        return await self._store.list(account.account_id)

    async def open(self, account: Account, name: str) -> AsyncIterator[bytes]:
        """The file's chunks, the first one already read (so a missing file is a 404 before
        anything is sent)."""
        name = validate_file_name(name)
        chunks = aiter(self._store.read(account.account_id, name))
        try:
            first = await anext(chunks)
        except StopAsyncIteration:
            first = b""
        return _prepend(first, chunks)

    async def stat(self, account: Account, name: str) -> StoredFile:
        stored = await self._store.stat(account.account_id, validate_file_name(name))
        if stored is None:
            raise file_not_found()
        return stored

    async def delete(self, account: Account, name: str) -> None:
        if not await self._store.delete(account.account_id, validate_file_name(name)):
            raise file_not_found()

    def _workdir(self) -> Path:
        self._scratch.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="upload-", dir=self._scratch))


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        if first:
            yield first
        async for chunk in rest:
            yield chunk
    finally:
        with contextlib.suppress(Exception):
            close = getattr(rest, "aclose", None)
            if close is not None:
                await close()
