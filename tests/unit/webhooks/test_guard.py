"""The SSRF guard against real loopback HTTP servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from engine.webhooks.addresses import AddressPolicy, IPAddress
from engine.webhooks.guard import (
    FetchTimedOut,
    GuardedHttp,
    ResponseTooLarge,
    TransportFailed,
    UrlPolicy,
    UrlRefused,
)

hits: list[str] = []


class FixedResolver(AbstractResolver):
    """Names to fixed addresses (what a hostile DNS would answer)."""

    def __init__(self, names: Mapping[str, list[str]]) -> None:
        self._names = names

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host not in self._names:
            raise OSError(f"unknown host {host}")
        return [{"hostname": host, "host": a, "port": port,
                 "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST} for a in self._names[host]]

    async def close(self) -> None:
        return None


NAMES = {
    "public.test": ["127.0.0.1"],  # loopback in disguise
    "loop2.test": ["127.0.0.2"],
    "private.test": ["10.1.2.3"],
    "mixed.test": ["93.184.216.34", "192.168.1.10"],
    "meta.test": ["169.254.169.254"],
    "meta6.test": ["fd00:ec2::254"],
    "cgnat.test": ["100.64.0.1"],
    "ula.test": ["fc00::1"],
}


async def ok(request: web.Request) -> web.Response:
    hits.append(request.path)
    form = await request.post() if request.method == "POST" else request.query
    return web.Response(text=";".join(f"{k}={v!s}" for k, v in sorted(form.items())),
                        content_type="text/plain")


async def redirect_to(request: web.Request) -> web.Response:
    hits.append(request.path)
    raise web.HTTPFound(request.query["to"])


async def loop(request: web.Request) -> web.Response:
    raise web.HTTPTemporaryRedirect("/loop")


async def huge(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * 5000)


async def chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for _ in range(10):
        await response.write(b"y" * 1000)
    await response.write_eof()
    return response


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response(text="late")


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_route("*", "/ok", ok)
    app.router.add_route("*", "/redirect", redirect_to)
    app.router.add_get("/loop", loop)
    app.router.add_get("/huge", huge)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/slow", slow)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield test_server
    finally:
        await test_server.close()


def guard(*, loopback: bool, private: bool = False, max_bytes: int = 4096,
          timeout: float = 5.0) -> GuardedHttp:
    return GuardedHttp(UrlPolicy(AddressPolicy(private, loopback), timeout_seconds=timeout,
                                 max_bytes=max_bytes), resolver=FixedResolver(NAMES))


async def refused(http: GuardedHttp, url: str, method: str = "GET") -> str:
    try:
        with pytest.raises(UrlRefused) as caught:
            await http.request(method, url)
    finally:
        await http.close()
    return caught.value.reason


async def test_loopback_is_refused_unless_allowed(server: TestServer) -> None:
    url = str(server.make_url("/ok"))
    hits.clear()
    assert "loopback" in await refused(guard(loopback=False), url)
    assert hits == []
    http = guard(loopback=True)
    try:
        answer = await http.request("POST", url, {"b": "2", "a": "1"})
        assert (answer.status, answer.body) == (200, b"a=1;b=2")
        answer = await http.request("GET", url + "?x=0", {"y": "1 2"})
        assert answer.body == b"x=0;y=1 2" and answer.content_type == "text/plain"
    finally:
        await http.close()
    assert hits == ["/ok", "/ok"]


class ServerIsPublic(AddressPolicy):
    """The real rules, except that 127.0.0.1 stands in for a public application server."""

    def refusal(self, address: str | IPAddress) -> str | None:
        if str(address) == "127.0.0.1":
            return None
        return super().refusal(address)


async def test_a_redirect_to_loopback_is_refused(server: TestServer) -> None:
    port = server.port
    hits.clear()
    http = guard(loopback=True)
    try:
        answer = await http.request("GET", str(server.make_url("/redirect")),
                                    {"to": f"http://127.0.0.1:{port}/ok"})
        assert answer.status == 200 and answer.redirects == 1
        assert answer.url.endswith("/ok")
    finally:
        await http.close()
    assert hits == ["/redirect", "/ok"]
    hits.clear()
    for target in (f"http://127.0.0.2:{port}/ok", f"http://[::1]:{port}/ok",
                   f"http://loop2.test:{port}/ok"):
        strict = GuardedHttp(UrlPolicy(ServerIsPublic()), resolver=FixedResolver(NAMES))
        reason = await refused(strict, str(server.make_url("/redirect").with_query(to=target)))
        assert "loopback" in reason, reason
    assert hits == ["/redirect"] * 3
    assert "loopback" in await refused(guard(loopback=False), f"http://public.test:{port}/ok")
    assert hits == ["/redirect"] * 3


async def test_redirects_are_bounded(server: TestServer) -> None:
    reason = await refused(guard(loopback=True), str(server.make_url("/loop")))
    assert "more than 5 redirects" in reason


async def test_redirect_to_metadata_or_file_is_refused(server: TestServer) -> None:
    hits.clear()
    for target, why in [("http://169.254.169.254/latest/meta-data/", "metadata"),
                        ("file:///etc/passwd", "only http and https"),
                        ("http://private.test/x", "private")]:
        http = guard(loopback=True)
        reason = await refused(http, str(server.make_url("/redirect").with_query(to=target)))
        assert why in reason, reason
    assert hits == ["/redirect"] * 3


@pytest.mark.parametrize(("url", "why"), [
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://100.100.100.200/", "metadata"),
    ("http://169.254.10.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://255.255.255.255/", "reserved"),
    ("http://240.0.0.1/", "reserved"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("http://[::1]/", "loopback"),
    ("http://127.0.0.1/", "loopback"),
    ("file:///etc/passwd", "only http and https"),
    ("ftp://example.com/x", "only http and https"),
    ("gopher://127.0.0.1:6379/", "only http and https"),
    ("http:///nohost", "no host"),
    ("http://meta.test/", "metadata"),
    ("http://meta6.test/", "metadata"),
    ("http://private.test/", "private"),
    ("http://mixed.test/", "private"),
    ("http://cgnat.test/", "private"),
    ("http://ula.test/", "private"),
    ("http://public.test/", "loopback"),
])
async def test_unsafe_urls_are_refused(url: str, why: str) -> None:
    http = guard(loopback=False)
    try:
        with pytest.raises((UrlRefused, TransportFailed)) as caught:
            await http.request("GET", url)
    finally:
        await http.close()
    assert why in caught.value.reason, caught.value.reason


async def test_metadata_and_link_local_stay_refused_when_private_and_loopback_are_allowed(
) -> None:
    for url in ("http://169.254.169.254/", "http://meta.test/", "http://[fe80::1]/"):
        reason = await refused(guard(loopback=True, private=True), url)
        assert "metadata" in reason or "link-local" in reason


async def test_methods_other_than_get_and_post_are_refused() -> None:
    assert "PUT" in await refused(guard(loopback=True), "http://127.0.0.1/", "PUT")


async def test_bodies_are_bounded(server: TestServer) -> None:
    http = guard(loopback=True, max_bytes=4096)
    try:
        with pytest.raises(ResponseTooLarge, match="5000 bytes, more than 4096"):
            await http.request("GET", str(server.make_url("/huge")))
        with pytest.raises(ResponseTooLarge, match="larger than 4096"):
            await http.request("GET", str(server.make_url("/chunked")))
        answer = await http.request("GET", str(server.make_url("/chunked")), max_bytes=20000)
        assert len(answer.body) == 10000
    finally:
        await http.close()


async def test_a_slow_server_times_out(server: TestServer) -> None:
    http = guard(loopback=True, timeout=0.3)
    try:
        with pytest.raises(FetchTimedOut, match=r"within 0\.3 s"):
            await http.request("GET", str(server.make_url("/slow")))
    finally:
        await http.close()


async def test_connection_refused_is_a_transport_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = guard(loopback=True)
    try:
        with pytest.raises(TransportFailed, match="cannot connect"):
            await http.request("POST", f"http://127.0.0.1:{port}/x", {"a": "b"})
    finally:
        await http.close()


async def test_the_signer_is_asked_for_every_hop(server: TestServer) -> None:
    signed: list[tuple[str, str, dict[str, str]]] = []

    def sign(method: str, url: str, params: Mapping[str, str]) -> Mapping[str, str]:
        signed.append((method, url, dict(params)))
        return {"X-Test": "1"}

    http = guard(loopback=True)
    target = str(server.make_url("/ok"))
    try:
        await http.request("POST", str(server.make_url("/redirect").with_query(to=target)),
                           {"a": "1"}, sign=sign)
    finally:
        await http.close()
    assert [(m, p) for m, _u, p in signed] == [("POST", {"a": "1"}), ("GET", {})]
    assert signed[1][1] == target
