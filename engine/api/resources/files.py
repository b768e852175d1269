"""The account's files (CSV contact lists, recorded announcements): upload, list, download,
delete. Uploads are raw bodies of any content type, streamed to the store a chunk at a time:
the JSON body limit does not apply, ``file_max_bytes`` does (413).
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import current_account
from engine.api.envelope import ok
from engine.api.errors import PayloadTooLarge
from engine.api.resources.schemas import MessageResponse
from engine.api.routes import RouteSpec
from engine.domain.cdr import http_date
from engine.domain.files import MAX_NAME_CHARS, validate_file_name
from engine.files.spool import CHUNK_BYTES
from engine.files.store import StoredFile
from engine.services.files import FileService

NAME_RULES = (f"1-{MAX_NAME_CHARS} characters; no '/', '\\', control characters or NUL; "
              "no leading '.'")


class FileUploadedResponse(BaseModel):
    message: str
    name: str
    size: str = Field(description="bytes stored (of the converted audio for a .wav)")


class FileView(BaseModel):
    name: str
    size: str = Field(description="bytes")
    modified: str = Field(description="last upload, like the CDRs' dates")


def file_view(stored: StoredFile) -> dict[str, Any]:
    return FileView(name=stored.name, size=str(stored.size),
                    modified=http_date(stored.modified)).model_dump()


class FileResources:
    def __init__(self, files: FileService, *, max_bytes: int) -> None:
        self._files = files
        self._max_bytes = max_bytes

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("PUT", "/api/files/{name}", self.upload,
                      "Upload (or replace) one of the account's files; the body is the file",
                      response_model=FileUploadedResponse,
                      description="Send the file's bytes as the raw request body (any "
                      "Content-Type, e.g. curl --upload-file). File names: " + NAME_RULES
                      + f". At most {self._max_bytes} bytes (413 above). A name ending in "
                      ".wav is checked as audio and stored converted to 8 kHz mono 16-bit "
                      "(422 invalid_audio if it is not audio, and nothing is stored)."),
            RouteSpec("GET", "/api/files", self.list_files,
                      "The account's files, by name"),
            RouteSpec("GET", "/api/files/{name}", self.download,
                      "Download one of the account's files"),
            RouteSpec("DELETE", "/api/files/{name}", self.delete,
                      "Delete one of the account's files", response_model=MessageResponse),
        )

    async def upload(self, request: web.Request) -> web.Response:
        account = current_account(request)
        name = validate_file_name(request.match_info["name"])
        if request.content_length is not None and request.content_length > self._max_bytes:
            raise self._too_large()
        stored = await self._files.upload(account, name, self._body(request))
        return ok({"message": "file uploaded", "name": stored.name,
                   "size": str(stored.size)})

    async def list_files(self, request: web.Request) -> web.Response:
        files = await self._files.of_account(current_account(request))
        return ok({"message": "files found" if files else "no files",
                   "result": [file_view(f) for f in files]})

    async def download(self, request: web.Request) -> web.StreamResponse:
        name = validate_file_name(request.match_info["name"])
        chunks = await self._files.open(current_account(request), name)
        response = web.StreamResponse(headers={
            "Content-Type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        })
        response.enable_chunked_encoding()
        await response.prepare(request)
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
        return response

    async def delete(self, request: web.Request) -> web.Response:
        await self._files.delete(current_account(request), request.match_info["name"])
        return ok({"message": "file deleted successfully"})

    async def _body(self, request: web.Request) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in request.content.iter_chunked(CHUNK_BYTES):
            received += len(chunk)
            if received > self._max_bytes:
                raise self._too_large()
            yield chunk

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the file is over the limit of {self._max_bytes} bytes",
                               details={"max_bytes": self._max_bytes})
