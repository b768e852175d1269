"""The files API in-process (real aiohttp server, local store in a temporary directory)."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from engine.api.app import ApiDeps, build_app
from engine.api.resources.files import FileResources
from engine.files.local import LocalFileStore
from engine.lifecycle import Lifecycle
from engine.services.files import FileService
from tests.unit.api.support import TOKENS, FakeAuthenticator, FakeReadiness

ACCOUNT_1 = {"account": "account_1", "auth": TOKENS["account_1"]}
ACCOUNT_2 = {"account": "account_2", "auth": TOKENS["account_2"]}
MAX_BYTES = 64 * 1024


@dataclass
class FilesApi:
    client: TestClient[web.Request, web.Application]
    root: Path

    def url(self, raw_path: str) -> URL:
        """An absolute URL whose path is sent exactly as written (no normalisation)."""
        return self.client.make_url("/").join(URL(raw_path, encoded=True))


@pytest.fixture
async def files_api(tmp_path: Path) -> AsyncIterator[FilesApi]:
    store = LocalFileStore(tmp_path / "files")
    service = FileService(store, scratch_dir=tmp_path / "scratch")
    deps = ApiDeps(authenticator=FakeAuthenticator(TOKENS),
                   readiness=FakeReadiness(ari=True, ami=True, db=True),
                   lifecycle=Lifecycle(), max_body_bytes=4096)
    app = build_app(deps, [FileResources(service, max_bytes=MAX_BYTES)])
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    yield FilesApi(client, tmp_path)
    await client.close()


def wav_bytes(rate: int = 16000, channels: int = 2, frames: int = 1600) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x01\x02" * channels * frames)
    return out.getvalue()


async def test_upload_list_download_delete(files_api: FilesApi) -> None:
    client = files_api.client
    body = b"contact_name,contact_number\nAda,15168148111\n" * 200  # over the JSON limit
    response = await client.put("/api/files/list.csv", data=body,
                                headers={**ACCOUNT_1, "Content-Type": "text/csv"})
    answer = await response.json()
    assert response.status == 200, answer
    assert answer == {"response": {"message": "file uploaded", "name": "list.csv",
                                   "size": str(len(body)), "success": "true"}}
    assert (files_api.root / "files" / "account_1" / "list.csv").read_bytes() == body

    response = await client.get("/api/files", headers=ACCOUNT_1)
    listed = (await response.json())["response"]
    assert listed["message"] == "files found"
    [entry] = listed["result"]
    assert entry["name"] == "list.csv" and entry["size"] == str(len(body))
    assert entry["modified"].endswith(" GMT")

    response = await client.get("/api/files/list.csv", headers=ACCOUNT_1)
    assert response.status == 200
    assert await response.read() == body
    assert "list.csv" in response.headers["Content-Disposition"]

    response = await client.delete("/api/files/list.csv", headers=ACCOUNT_1)
    assert response.status == 200
    assert (await response.json())["response"]["message"] == "file deleted successfully"
    response = await client.get("/api/files", headers=ACCOUNT_1)
    assert (await response.json())["response"] == {"message": "no files", "result": [],
                                                   "success": "true"}


async def test_other_accounts_files_look_missing(files_api: FilesApi) -> None:
    client = files_api.client
    response = await client.put("/api/files/secret.txt", data=b"mine", headers=ACCOUNT_1)
    assert response.status == 200
    for method in ("GET", "DELETE"):
        response = await client.request(method, "/api/files/secret.txt", headers=ACCOUNT_2)
        answer = await response.json()
        assert response.status == 404, answer
        assert answer["response"]["error"] == "file_not_found"
    response = await client.get("/api/files", headers=ACCOUNT_2)
    assert (await response.json())["response"]["result"] == []
    response = await client.get("/api/files/secret.txt", headers=ACCOUNT_1)
    assert await response.read() == b"mine"


@pytest.mark.parametrize("raw", ["%2E%2E", "%2e.", ".hidden", "a%2Fb", "a%5Cb", "a%00b",
                                 "%00", "a%0Ab", "a%7Fb", "x" * 201])
async def test_hostile_names_are_refused(files_api: FilesApi, raw: str) -> None:
    async with ClientSession() as http:
        for method in ("PUT", "GET", "DELETE"):
            async with http.request(method, files_api.url(f"/api/files/{raw}"), data=b"x",
                                    headers=ACCOUNT_1) as response:
                answer = await response.json()
                assert response.status == 422, (method, raw, answer)
                assert answer["response"]["error"] == "invalid_file_name"
                assert answer["response"]["details"]["field"] == "name"
    escaped = [p for p in files_api.root.rglob("*") if p.is_file()]
    assert escaped == []


@pytest.mark.parametrize("path", ["/api/files/..", "/api/files/%2F..", "/api/files/%2F..%2F..%2Fx"])
async def test_literal_dot_dot_reaches_no_file(files_api: FilesApi, path: str) -> None:
    """HTTP clients resolve ``..`` themselves; sent raw, the server must refuse it too."""
    server = files_api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    head = (f"GET {path} HTTP/1.1\r\nHost: test\r\naccount: account_1\r\n"
            f"auth: {TOKENS['account_1']}\r\nConnection: close\r\n\r\n")
    writer.write(head.encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 422 Unprocessable Entity", raw
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["response"]["error"] == \
        "invalid_file_name"


async def test_too_large_is_413_and_stores_nothing(files_api: FilesApi) -> None:
    client = files_api.client

    async def stream() -> AsyncIterator[bytes]:  # chunked: no Content-Length to judge by
        for _ in range(MAX_BYTES // 1024 + 1):
            yield b"x" * 1024

    response = await client.put("/api/files/big.csv", data=stream(), headers=ACCOUNT_1)
    answer = await response.json()
    assert response.status == 413, answer
    assert answer["response"]["error"] == "payload_too_large"
    response = await client.put("/api/files/big.csv", data=b"x" * (MAX_BYTES + 1),
                                headers=ACCOUNT_1)
    assert response.status == 413
    assert [p for p in files_api.root.rglob("*") if p.is_file()] == []
    response = await client.put("/api/files/big.csv", data=b"x" * MAX_BYTES, headers=ACCOUNT_1)
    assert response.status == 200


async def test_wav_is_converted_and_non_audio_refused(files_api: FilesApi) -> None:
    client = files_api.client
    response = await client.put("/api/files/Hello.WAV", data=wav_bytes(), headers=ACCOUNT_1)
    answer = await response.json()
    assert response.status == 200, answer
    stored = files_api.root / "files" / "account_1" / "Hello.WAV"
    with wave.open(str(stored), "rb") as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() == 800
    assert answer["response"]["size"] == str(stored.stat().st_size)

    response = await client.put("/api/files/fake.wav", data=b"not audio at all",
                                headers=ACCOUNT_1)
    answer = await response.json()
    assert response.status == 422, answer
    assert answer["response"]["error"] == "invalid_audio"
    assert not (files_api.root / "files" / "account_1" / "fake.wav").exists()
    assert list((files_api.root / "scratch").iterdir()) == []
