"""SSRF-safe HTTP for every user-given URL (answer_url, action URLs, webhooks, <Play> audio).

- Only http and https.
- Every address a host name resolves to is vetted (``AddressPolicy``) by the connector's own
  resolver, and the connection goes to those vetted addresses only: a DNS answer that
  changes between the check and the connect (rebinding) cannot slip through. IP literals,
  which aiohttp does not resolve, are vetted before the request.
- Redirects are followed here, at most ``max_redirects``, each one vetted again.
- Bodies are read up to a byte bound; the whole exchange, redirects included, has one
  deadline.
- No cookies, no proxies from the environment.

A refusal or a failure is a ``GuardError`` whose ``reason`` says what happened, fit for a
call's log and its webhooks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from multidict import CIMultiDict
from yarl import URL

from engine.webhooks.addresses import AddressPolicy

REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "cpaas-engine-webhooks/1"

# (method, url, params) -> extra headers (the Plivo signature), asked again on every hop.
Signer = Callable[[str, str, Mapping[str, str]], Mapping[str, str]]


class GuardError(Exception):
    """A URL could not be fetched safely; ``reason`` is for logs and webhooks."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UrlRefused(GuardError):
    """The URL (its scheme, its address, or where it redirects) is not allowed."""


class ResponseTooLarge(GuardError):
    """The answer is larger than the bound."""


class FetchTimedOut(GuardError):
    """The exchange did not finish within the deadline."""


class TransportFailed(GuardError):
    """Could not connect, or the connection broke."""


@dataclass(frozen=True)
class UrlPolicy:
    """What may be fetched, and the default bounds."""

    addresses: AddressPolicy = field(default_factory=AddressPolicy)
    timeout_seconds: float = 10.0
    max_bytes: int = 256 * 1024
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: Any) -> UrlPolicy:
        """From ``engine.settings.Settings`` (its webhook_* fields)."""
        return cls(AddressPolicy(settings.webhook_allow_private, settings.webhook_allow_loopback),
                   timeout_seconds=settings.webhook_timeout_seconds,
                   max_bytes=settings.webhook_max_response_bytes)


@dataclass(frozen=True)
class GuardedResponse:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes
    redirects: int = 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class VettingResolver(AbstractResolver):
    """Resolves with ``inner`` and refuses the host if any of its addresses is refused."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            why = self._policy.refusal(result["host"])
            if why is not None:
                raise UrlRefused(f"host {host} resolves to {why}")
        return results

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: URL, policy: AddressPolicy) -> None:
    """Raise UrlRefused for a scheme other than http(s), no host, or a refused IP literal."""
    if url.scheme not in ("http", "https"):
        raise UrlRefused(f"only http and https URLs are fetched, not {url.scheme or 'none'}:")
    host = url.raw_host
    if not host:
        raise UrlRefused("the URL has no host")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return  # a name: vetted when the connector resolves it
    why = policy.refusal(literal)
    if why is not None:
        raise UrlRefused(why)


def parse_url(raw: str) -> URL:
    try:
        return URL(raw)
    except (ValueError, TypeError) as exc:
        raise UrlRefused(f"not a valid URL: {exc}") from None


class GuardedHttp:
    """The one HTTP client for user-given URLs; close it with ``close()``."""

    def __init__(self, policy: UrlPolicy, *, resolver: AbstractResolver | None = None,
                 limit: int = 200, limit_per_host: int = 20) -> None:
        self.policy = policy
        self._resolver = resolver
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=VettingResolver(self.policy.addresses, self._resolver),
                limit=self._limit, limit_per_host=self._limit_per_host, ttl_dns_cache=10)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": USER_AGENT})
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, url: str, params: Mapping[str, str] | None = None,
                      *, sign: Signer | None = None, max_bytes: int | None = None,
                      timeout: float | None = None,
                      json_body: Mapping[str, Any] | None = None) -> GuardedResponse:
        """``method`` GET (``params`` in the query) or POST (``params`` as a form, or
        ``json_body`` as ``application/json``)."""
        method = method.upper()
        if method not in ("GET", "POST"):
            raise UrlRefused(f"method {method!r} is not GET or POST")
        limit = self.policy.max_bytes if max_bytes is None else max_bytes
        seconds = self.policy.timeout_seconds if timeout is None else timeout
        try:
            async with asyncio.timeout(seconds):
                return await self._follow(method, url, dict(params or {}), sign, limit,
                                          json_body=json_body)
        except TimeoutError:
            raise FetchTimedOut(f"no complete answer from {_where(url)} within "
                                f"{seconds:g} s") from None

    async def _follow(self, method: str, raw: str, params: dict[str, str],
                      sign: Signer | None, limit: int, *,
                      json_body: Mapping[str, Any] | None = None) -> GuardedResponse:
        url = parse_url(raw)
        for hop in range(self.policy.max_redirects + 1):
            check_url(url, self.policy.addresses)
            status, location, content_type, body = await self._once(
                method, url, params, sign, limit, json_body=json_body)
            if status not in REDIRECTS or location is None:
                return GuardedResponse(str(url), status, content_type, body, hop)
            try:
                url = url.join(URL(location))
            except ValueError:
                raise UrlRefused(f"{_where(str(url))} redirects to an invalid URL") from None
            if status in (301, 302, 303):  # as browsers do: the next request is a plain GET
                method, params, json_body = "GET", {}, None
            elif method == "GET":
                params = {}  # they are in the URL that was redirected
        raise UrlRefused(f"more than {self.policy.max_redirects} redirects")

    async def _once(self, method: str, url: URL, params: dict[str, str], sign: Signer | None,
                    limit: int, *, json_body: Mapping[str, Any] | None = None,
                    ) -> tuple[int, str | None, str, bytes]:
        target = url.extend_query(params) if method == "GET" and params else url
        headers: CIMultiDict[str] = CIMultiDict()
        if sign is not None:
            headers.update(sign(method, str(url), params))
        data: Any = params if method == "POST" else None
        if method == "POST" and json_body is not None:
            data = json.dumps(dict(json_body)).encode()
            headers["Content-Type"] = "application/json"
        try:
            async with self._http().request(
                    method, target, data=data,
                    headers=headers, allow_redirects=False) as response:
                location = response.headers.get("Location")
                if response.status in REDIRECTS and location:
                    return response.status, location, "", b""
                length = response.content_length
                if length is not None and length > limit:
                    raise ResponseTooLarge(f"the answer from {_where(str(url))} is {length} "
                                           f"bytes, more than {limit}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise ResponseTooLarge(
                            f"the answer from {_where(str(url))} is larger than {limit} bytes")
                return response.status, None, response.content_type, bytes(body)
        except aiohttp.InvalidURL as exc:
            raise UrlRefused(f"not a valid URL: {exc}") from None
        except aiohttp.ClientConnectorError as exc:
            raise TransportFailed(f"cannot connect to {_where(str(url))}: "
                                  f"{exc.os_error.strerror or type(exc.os_error).__name__}"
                                  ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportFailed(f"HTTP exchange with {_where(str(url))} failed: "
                                  f"{type(exc).__name__}") from None


def _where(raw: str) -> str:
    """scheme://host:port of a URL, for messages (no path: it may carry secrets)."""
    try:
        url = URL(raw)
        return f"{url.scheme}://{url.host_port_subcomponent or ''}" if url.host else raw[:60]
    except ValueError:
        return raw[:60]
