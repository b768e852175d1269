"""The ARI events WebSocket: connect, reconcile, read, reconnect with backoff, forever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from engine.ari.backoff import Backoff
from engine.ari.events import AriEvent, AriEventParseError, UnknownEvent, decode_event
from engine.ari.query import basic_auth_header
from engine.domain.errors import EngineError

log = logging.getLogger(__name__)

# What a lost or refused connection looks like; anything else is a bug and propagates.
_CONNECTION_FAILURES = (aiohttp.ClientError, OSError, TimeoutError, EngineError)


def events_url(base_url: str, app: str, *, subscribe_all: bool = False) -> str:
    """``http://host:8088`` -> ``ws://host:8088/ari/events?app=<app>&subscribeAll=false``.

    ``subscribeAll=false`` keeps the subscription narrow: only channels and bridges this
    app touches, not every event on the PBX.
    """
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    query = urlencode({"app": app, "subscribeAll": "true" if subscribe_all else "false"})
    return urlunsplit((scheme, parts.netloc, parts.path + "/ari/events", query, ""))


class AriEventStream:
    """Owns the events WebSocket of one ARI app and hands every event to ``deliver``.

    On every (re)connect, ``on_connected()`` runs before any event is read; the engine
    reconciles its calls there (``GET /channels``), so it never believes in a call that
    ended while it was not listening. Events that arrive meanwhile wait in the socket,
    so they are delivered after the reconciliation, in order. If ``on_connected`` fails,
    the connection is dropped and retried: events without a reconciled view are not
    trustworthy.

    ``deliver`` must be quick and synchronous (typically ``queue.put_nowait``).
    ``on_disconnected()`` runs once each time an established connection is lost.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        user: str,
        password: str,
        app: str,
        *,
        backoff: Backoff,
        deliver: Callable[[AriEvent], None],
        on_connected: Callable[[], Awaitable[None]] | None = None,
        on_disconnected: Callable[[], Awaitable[None]] | None = None,
        heartbeat: float = 20.0,
        event_types: frozenset[str] | None = None,
        connect_timeout: float = 10.0,
        subscribe_all: bool = False,
    ) -> None:
        self._session = session
        self._url = events_url(base_url, app, subscribe_all=subscribe_all)
        self._headers = basic_auth_header(user, password)
        self._backoff = backoff
        self._deliver = deliver
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._heartbeat = heartbeat
        self._event_types = event_types
        self._connect_timeout = connect_timeout
        self._connected = False

    @property
    def connected(self) -> bool:
        """True while the socket is open and the last reconciliation succeeded."""
        return self._connected

    async def run(self) -> None:
        """Connect, read and reconnect until cancelled; closes the socket on cancellation."""
        try:
            while True:
                try:
                    await self._connect_and_read()
                    log.warning("ARI event stream closed by Asterisk")
                except _CONNECTION_FAILURES as exc:
                    log.warning("ARI event stream failed", extra={"error": _describe(exc)})
                await self._lost()
                delay = self._backoff.next_delay()
                log.info("ARI event stream reconnecting", extra={"delay_s": round(delay, 3)})
                await asyncio.sleep(delay)
        finally:
            self._connected = False

    async def _connect_and_read(self) -> None:
        # heartbeat: aiohttp pings every `heartbeat` seconds and drops the socket when no
        # pong comes back, so a silently dead Asterisk (or a NAT that forgot us) is
        # noticed instead of leaving the engine deaf but "connected".
        async with asyncio.timeout(self._connect_timeout):
            ws = await self._session.ws_connect(
                self._url, headers=self._headers, heartbeat=self._heartbeat, autoping=True
            )
        async with ws:
            if self._on_connected is not None:
                await self._on_connected()
            self._connected = True
            self._backoff.reset()
            log.info("ARI event stream connected")
            async for message in ws:
                if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    self._handle(message.data)
            # A missed heartbeat or a protocol error ends the loop too; say which it was.
            if (error := ws.exception()) is not None:
                raise ConnectionError(f"websocket failed: {_describe(error)}") from error

    def _handle(self, data: str | bytes) -> None:
        try:
            event = decode_event(data, self._event_types)
        except AriEventParseError as exc:
            log.warning("skipped an ARI message", extra={"error": str(exc)})
            return
        if event is None:  # a type nobody asked for: not worth validating
            return
        if isinstance(event, UnknownEvent):
            log.debug("unmodelled ARI event", extra={"event_type": event.type})
        elif event.type == "ApplicationReplaced":
            # Another client registered our app name: Asterisk now sends it our events.
            log.error("another ARI client took over the app; no more events will come")
        try:
            self._deliver(event)
        except Exception:
            log.exception("delivering an ARI event failed", extra={"event_type": event.type})

    async def _lost(self) -> None:
        was_connected, self._connected = self._connected, False
        if was_connected and self._on_disconnected is not None:
            try:
                await self._on_disconnected()
            except Exception:
                log.exception("on_disconnected failed")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
