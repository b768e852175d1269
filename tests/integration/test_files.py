"""The files API on the real stack: uploads over the JSON body limit, the local store's
layout (what the CSV import reads), .wav conversion, hostile names and other accounts."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from engine.settings import Settings
from tests.integration.stack import ACCOUNT_1, ACCOUNT_2, BASE_URL, TEST_ENV

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def unique(suffix: str) -> str:
    return f"it-{uuid.uuid4().hex[:8]}{suffix}"


def stored_path(settings: Settings, account: str, name: str) -> Path:
    return ROOT / settings.var_dir / "files" / account / name


async def put(http: aiohttp.ClientSession, name: str, data: Any,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    async with http.put(f"/api/files/{name}", data=data,
                        headers={**(headers or ACCOUNT_1),
                                 "Content-Type": "application/octet-stream"}) as response:
        return response.status, await response.json()


async def listed(http: aiohttp.ClientSession,
                 headers: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    async with http.get("/api/files", headers=headers or ACCOUNT_1) as response:
        body = await response.json()
        assert response.status == 200, body
        return {entry["name"]: entry for entry in body["response"]["result"]}


def wav_bytes(rate: int = 44100, channels: int = 2, frames: int = 4410) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x10\x20" * channels * frames)
    return out.getvalue()


async def test_csv_round_trip_over_the_json_body_limit(http: aiohttp.ClientSession,
                                                       settings: Settings) -> None:
    name = unique(".csv")
    rows = "".join(f"Contact {i},1516814{i % 10000:04d}\n" for i in range(60_000))
    body = ("contact_name,contact_number\n" + rows).encode()
    assert len(body) > settings.max_body_bytes

    async def stream() -> AsyncIterator[bytes]:  # chunked, as a large upload may arrive
        for start in range(0, len(body), 100_000):
            yield body[start:start + 100_000]

    status, answer = await put(http, name, stream())
    assert status == 200, answer
    assert answer == {"response": {"message": "file uploaded", "name": name,
                                   "size": str(len(body)), "success": "true"}}
    # The local backend's layout, which the CSV import and the docs rely on.
    assert stored_path(settings, "account_1", name).read_bytes() == body

    entry = (await listed(http))[name]
    assert entry["size"] == str(len(body)) and entry["modified"].endswith(" GMT")

    async with http.get(f"/api/files/{name}", headers=ACCOUNT_1) as response:
        assert response.status == 200
        assert await response.read() == body

    async with http.delete(f"/api/files/{name}", headers=ACCOUNT_1) as response:
        answer = await response.json()
        assert response.status == 200, answer
        assert answer["response"]["message"] == "file deleted successfully"
    assert name not in await listed(http)
    assert not stored_path(settings, "account_1", name).exists()


async def test_another_account_never_sees_the_file(http: aiohttp.ClientSession) -> None:
    name = unique(".csv")
    status, answer = await put(http, name, b"contact_number\n15168148111\n")
    assert status == 200, answer
    assert name not in await listed(http, ACCOUNT_2)
    for method in ("GET", "DELETE"):
        async with http.request(method, f"/api/files/{name}", headers=ACCOUNT_2) as response:
            answer = await response.json()
            assert response.status == 404, answer
            assert answer["response"]["error"] == "file_not_found"
    async with http.get(f"/api/files/{name}", headers=ACCOUNT_1) as response:
        assert await response.read() == b"contact_number\n15168148111\n"
    # The same name for account_2 is a file of its own.
    status, _ = await put(http, name, b"theirs", ACCOUNT_2)
    assert status == 200
    async with http.get(f"/api/files/{name}", headers=ACCOUNT_1) as response:
        assert await response.read() == b"contact_number\n15168148111\n"


async def test_missing_file_is_404(http: aiohttp.ClientSession) -> None:
    for method in ("GET", "DELETE"):
        async with http.request(method, f"/api/files/{unique('.csv')}",
                                headers=ACCOUNT_1) as response:
            answer = await response.json()
            assert response.status == 404, answer
            assert answer["response"]["error"] == "file_not_found"


@pytest.mark.parametrize("raw", ["%2E%2E", "%2e.", "..%2F..%2Fsecret.key", "a%2Fb", "a%5Cb",
                                 "a%00b", "%00", "a%0Db", ".env", "x" * 201])
async def test_hostile_names_are_422(http: aiohttp.ClientSession, settings: Settings,
                                     raw: str) -> None:
    for method in ("PUT", "GET", "DELETE"):
        url = URL(f"{BASE_URL}/api/files/{raw}", encoded=True)
        async with http.request(method, url, data=b"owned", headers=ACCOUNT_1) as response:
            answer = await response.json()
            assert response.status == 422, (method, raw, answer)
            assert answer["response"]["error"] == "invalid_file_name"
            assert answer["response"]["details"]["field"] == "name"
    assert planted(settings) == [], "a hostile upload was written somewhere"


def planted(settings: Settings) -> list[Path]:
    """Files holding the hostile uploads' body, where an escaping name would put them."""
    var = ROOT / settings.var_dir
    candidates = [*(var / "files").rglob("*"), *var.glob("*")]
    return [p for p in candidates
            if p.is_file() and p.stat().st_size == 5 and p.read_bytes() == b"owned"]


async def raw_request(head: str) -> tuple[str, dict[str, Any]]:
    """Send ``head`` as is (no client-side path normalisation); status line and JSON body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", int(TEST_ENV["ENGINE_HTTP_PORT"]))
    writer.write(head.encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status, _, rest = raw.partition(b"\r\n")
    return status.decode(), json.loads(rest.partition(b"\r\n\r\n")[2])


async def test_literal_dot_dot_is_422() -> None:
    auth = "".join(f"{k}: {v}\r\n" for k, v in ACCOUNT_1.items())
    status, body = await raw_request(
        f"GET /api/files/.. HTTP/1.1\r\nHost: test\r\n{auth}Connection: close\r\n\r\n")
    assert status.startswith("HTTP/1.1 422"), (status, body)
    assert body["response"]["error"] == "invalid_file_name"


async def test_declared_size_over_the_limit_is_413_before_the_body(settings: Settings) -> None:
    auth = "".join(f"{k}: {v}\r\n" for k, v in ACCOUNT_1.items())
    status, body = await raw_request(
        f"PUT /api/files/{unique('.csv')} HTTP/1.1\r\nHost: test\r\n{auth}"
        f"Content-Length: {settings.file_max_bytes + 1}\r\n\r\n")
    assert status.startswith("HTTP/1.1 413"), (status, body)
    assert body["response"]["error"] == "payload_too_large"
    assert body["response"]["details"] == {"max_bytes": settings.file_max_bytes}


async def test_wav_is_stored_converted(http: aiohttp.ClientSession,
                                       settings: Settings) -> None:
    name = unique(".WAV")
    status, answer = await put(http, name, wav_bytes())
    assert status == 200, answer
    path = stored_path(settings, "account_1", name)
    assert answer["response"]["size"] == str(path.stat().st_size)
    with wave.open(str(path), "rb") as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() == 800


async def test_non_audio_wav_is_422_and_nothing_is_stored(http: aiohttp.ClientSession,
                                                          settings: Settings) -> None:
    name = unique(".wav")
    status, answer = await put(http, name, b"contact_number\n15168148111\n")
    assert status == 422, answer
    assert answer["response"]["error"] == "invalid_audio"
    assert name not in await listed(http)
    assert not stored_path(settings, "account_1", name).exists()
    # A good file under that name is not replaced by a bad upload.
    assert (await put(http, name, wav_bytes()))[0] == 200
    before = stored_path(settings, "account_1", name).read_bytes()
    assert (await put(http, name, b"garbage"))[0] == 422
    assert stored_path(settings, "account_1", name).read_bytes() == before
