"""Connection-level hardening, against a real server on a loopback port and a raw socket."""

from __future__ import annotations

import pytest

from engine.api.server import ServerLimits
from tests.unit.api.raw_http import ECHO_HEAD, get, serving

SHORT = ServerLimits(keepalive_timeout=0.3, lingering_time=0.3)


@pytest.mark.parametrize("requests_first", [0, 2])
async def test_idle_connection_is_closed_after_the_keepalive_timeout(requests_first: int) -> None:
    async with serving(SHORT) as server, server.connect() as conn:
        for _ in range(requests_first):
            await conn.send(get("/healthz"))
            response = await conn.response()
            assert response.status == 200
            assert response.headers.get("connection", "keep-alive") == "keep-alive"
        assert await conn.closed_by_server()


async def test_unfinished_request_head_is_closed_after_the_keepalive_timeout() -> None:
    async with serving(SHORT) as server, server.connect() as conn:
        await conn.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        assert await conn.closed_by_server()


def test_keepalive_default_is_short() -> None:
    assert ServerLimits().keepalive_timeout <= 60


async def test_body_over_the_limit_is_413_and_the_connection_closed() -> None:
    body = b'{"note": "' + b"x" * 4096 + b'"}'
    async with serving(SHORT, max_body_bytes=1024) as server, server.connect() as conn:
        await conn.send(f"{ECHO_HEAD}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        response = await conn.response()
        assert response.status == 413
        assert response.headers["connection"] == "close"
        inner = response.envelope()
        assert (inner["success"], inner["error"]) == ("false", "payload_too_large")
        assert inner["details"] == {"max_bytes": 1024}
        assert await conn.closed_by_server()


async def test_huge_declared_body_is_not_waited_for() -> None:
    async with serving(SHORT, max_body_bytes=1024) as server, server.connect() as conn:
        await conn.send(f"{ECHO_HEAD}Content-Length: {1 << 40}\r\n\r\n{{".encode())
        response = await conn.response()
        assert response.status == 413
        assert response.headers["connection"] == "close"
        assert await conn.closed_by_server()


async def test_chunked_body_over_the_limit_is_413_and_the_connection_closed() -> None:
    chunk = b"400\r\n" + b" " * 1024 + b"\r\n"
    async with serving(SHORT, max_body_bytes=1024) as server, server.connect() as conn:
        await conn.send(
            f"{ECHO_HEAD}Transfer-Encoding: chunked\r\n\r\n".encode() + chunk * 3 + b"0\r\n\r\n"
        )
        response = await conn.response()
        assert response.status == 413
        assert response.headers["connection"] == "close"
        assert response.envelope()["error"] == "payload_too_large"
        assert await conn.closed_by_server()


async def test_body_within_the_limit_keeps_the_connection() -> None:
    body = b'{"count": "2"}'
    async with serving(SHORT, max_body_bytes=1024) as server, server.connect() as conn:
        for _ in range(2):
            await conn.send(f"{ECHO_HEAD}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            response = await conn.response()
            assert response.status == 200
            assert response.headers.get("connection", "keep-alive") == "keep-alive"


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(get("/healthz?q=" + "a" * 2000), id="url"),
        pytest.param(get("/healthz", f"X-Big: {'b' * 2000}\r\n"), id="one-header"),
        pytest.param(get("/healthz", "".join(f"X-{n}: v\r\n" for n in range(20))), id="count"),
    ],
)
async def test_parser_limits_get_a_400_and_the_connection_closed(request_bytes: bytes) -> None:
    # Below aiohttp's defaults (8190 bytes, 128 headers): these pass unless the limits apply.
    limits = ServerLimits(max_line_size=1024, max_field_size=1024, max_headers=16)
    async with serving(limits) as server, server.connect() as conn:
        await conn.send(request_bytes)
        response = await conn.response()
        # aiohttp answers parser errors itself, in plain text (see engine.api.server).
        assert response.status == 400
        assert response.headers["content-type"].startswith("text/plain")
        assert await conn.closed_by_server()


async def test_requests_within_the_parser_limits_are_served() -> None:
    limits = ServerLimits(max_line_size=1024, max_field_size=1024, max_headers=16)
    async with serving(limits) as server, server.connect() as conn:
        await conn.send(get("/healthz?q=" + "a" * 900, f"X-Big: {'b' * 900}\r\n"))
        assert (await conn.response()).status == 200


async def test_headers_over_the_total_budget_are_431_in_the_envelope() -> None:
    lines = [f"X-Pad-{n}: {'p' * 500}\r\n" for n in range(6)]
    async with serving(SHORT, max_header_bytes=2048) as server, server.connect() as conn:
        await conn.send(get("/api/context", "".join(lines)))
        response = await conn.response()
        assert response.status == 431
        inner = response.envelope()
        assert (inner["success"], inner["error"]) == ("false", "headers_too_large")
        assert inner["details"] == {"max_bytes": 2048}
        assert inner["request_id"] == response.headers["x-request-id"]
        await conn.send(get("/api/context", "".join(lines[:2])))
        assert (await conn.response()).status == 200


@pytest.mark.parametrize("field", ["keepalive_timeout", "lingering_time", "max_headers"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ServerLimits(**{field: 0})

