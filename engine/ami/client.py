"""AMI client for what ARI lacks (attended transfer, MixMonitor, CLI), on panoramisk 1.4.

:meth:`AmiClient.run` supervises one connection at a time: connect, log in, ping every
``ping_interval`` seconds, and reconnect with :class:`~engine.ari.backoff.Backoff` when the
link drops or a ping goes unanswered. Events land in :attr:`AmiClient.events`; with
``markers=True`` each login and each lost link is marked there too (``CONNECTED`` and
``DISCONNECTED`` from :mod:`engine.ami.messages`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from panoramisk import actions

from engine.ami.manager import SupervisedManager
from engine.ami.messages import (
    CONNECTED,
    DISCONNECTED,
    AmiEvent,
    AmiResponse,
    HeaderValue,
    check_header_values,
    command_output,
    response_error,
)
from engine.ari.backoff import Backoff
from engine.domain.errors import EngineError, Rejected, TimedOut, Unavailable

log = logging.getLogger(__name__)

_CONNECTION_FAILURES = (OSError, TimeoutError, EngineError)


class AmiClient:
    """One Asterisk's AMI, reconnecting forever; typed actions.

    Actions raise Unavailable while disconnected, TimedOut when Asterisk does not answer
    within ``action_timeout`` seconds, NotFound when the channel does not exist, and
    Rejected for any other ``Response: Error``.

    ``events`` is bounded (``max_queued_events``): nobody may be reading it, and AMI is a
    fire hose. When it is full, new events are dropped and counted in
    ``dropped_events``. ``event_names``, when given, keeps only the events so named.
    """

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        backoff: Backoff,
        ping_interval: float = 10.0,
        action_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        event_mask: str = "on",
        max_queued_events: int = 10_000,
        event_names: frozenset[str] | None = None,
        markers: bool = False,
    ) -> None:
        self._host, self._port = host, port
        self._user, self._password = user, password
        self._backoff = backoff
        self._ping_interval = ping_interval
        self._action_timeout = action_timeout
        self._connect_timeout = connect_timeout
        self._event_mask = event_mask
        self.events: asyncio.Queue[AmiEvent] = asyncio.Queue(maxsize=max_queued_events)
        self.dropped_events = 0
        self._event_names = (None if event_names is None
                             else frozenset(name.lower() for name in event_names))
        self._markers = markers
        self._manager: SupervisedManager | None = None

    @property
    def connected(self) -> bool:
        """True while logged in and the link is up."""
        return self._manager is not None and self._manager.is_open

    # ---- supervision --------------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected until cancelled."""
        while True:
            # panoramisk binds the loop at construction: build it here, inside the loop.
            manager = SupervisedManager(self._host, self._port, self._on_event)
            try:
                await self._open(manager)
                self._manager = manager
                self._backoff.reset()
                log.info("AMI connected", extra={"host": self._host, "port": self._port})
                self._mark(CONNECTED)
                await self._keep_alive(manager)
                log.warning("AMI connection lost")
            except _CONNECTION_FAILURES as exc:
                log.warning("AMI connection failed", extra={"error": _describe(exc)})
            finally:
                if self._manager is not None:
                    self._mark(DISCONNECTED)
                self._manager = None
                manager.close()
            await asyncio.sleep(self._backoff.next_delay())

    async def _open(self, manager: SupervisedManager) -> None:
        try:
            await asyncio.wait_for(manager.open(), self._connect_timeout)
        except TimeoutError as exc:
            raise TimedOut("AMI did not accept the connection in time") from exc
        await self._send(manager, "Login", {
            "Username": self._user, "Secret": self._password, "Events": self._event_mask,
        })

    async def _keep_alive(self, manager: SupervisedManager) -> None:
        """Return when the link drops or a ping goes unanswered."""
        while True:
            try:
                await asyncio.wait_for(manager.lost.wait(), self._ping_interval)
                return
            except TimeoutError:
                pass
            try:
                await self._send(manager, "Ping", {})
            except Unavailable as exc:  # TimedOut included
                log.warning("AMI ping failed", extra={"error": exc.message})
                return

    def _mark(self, name: str) -> None:
        if self._markers:
            self._enqueue(AmiEvent(name=name))

    def _enqueue(self, event: AmiEvent) -> None:
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped_events += 1
            if self.dropped_events == 1 or self.dropped_events % 1000 == 0:
                log.warning("AMI event queue full; dropping events",
                            extra={"dropped": self.dropped_events})

    def _on_event(self, message: object) -> None:
        # The one, synchronous, panoramisk callback: convert and enqueue, nothing else.
        # It must never raise: it runs inside data_received, and asyncio closes the
        # connection when data_received fails.
        try:
            if not isinstance(message, Mapping):
                return
            if self._event_names is not None:
                name = message.get("Event") or message.get("event")
                if str(name).lower() not in self._event_names:
                    return
            self._enqueue(AmiEvent.from_raw(message))
        except Exception:
            log.exception("could not queue an AMI event")

    # ---- sending ------------------------------------------------------------------------

    async def _send(
        self, manager: SupervisedManager, name: str, fields: Mapping[str, HeaderValue]
    ) -> AmiResponse:
        check_header_values(fields)
        action_class = actions.Command if name == "Command" else actions.Action
        action = action_class({"Action": name, **fields})
        if not manager.is_open:
            raise Unavailable("AMI is not connected")
        # as_list=False: one response completes the action. Otherwise panoramisk guesses
        # from the text ("successfully queued", "will follow"), waits for follow-up events
        # (an async Originate would block until the call is answered), and for an Originate
        # without an Async header its guess raises KeyError inside the protocol.
        future = manager.send_action(action, as_list=False)
        try:
            result = await asyncio.wait_for(future, self._action_timeout)
        except TimeoutError as exc:
            # Forget it, or the protocol keeps it forever (a late answer does not pop it).
            for key in {action.id, action.action_id}:
                manager.protocol.responses.pop(key, None)
            raise TimedOut(f"AMI did not answer {name} in time") from exc
        response = AmiResponse.from_raw(result, body=str(result.get("content", "")))
        error = response_error(name, response)
        if error is not None:
            raise error
        return response

    async def action(self, name: str, fields: Mapping[str, HeaderValue]) -> AmiResponse:
        """Send any action; the typed methods below are preferred."""
        manager = self._manager
        if manager is None:
            raise Unavailable("AMI is not connected")
        return await self._send(manager, name, fields)

    # ---- typed actions ------------------------------------------------------------------

    async def ping(self) -> AmiResponse:
        """``Ping``: proves the link and Asterisk's manager thread are alive."""
        return await self.action("Ping", {})

    async def atxfer(self, channel: str, exten: str, context: str) -> AmiResponse:
        """``Atxfer``: attended transfer of ``channel``'s peer to ``exten@context``.

        Needs ``atxfer`` set in features.conf; the channel must be bridged.
        """
        return await self.action("Atxfer", {"Channel": channel, "Exten": exten,
                                            "Context": context})

    async def blind_transfer(self, channel: str, exten: str, context: str) -> AmiResponse:
        """``BlindTransfer``: send ``channel``'s bridged peer to ``exten@context``."""
        return await self.action("BlindTransfer", {"Channel": channel, "Exten": exten,
                                                   "Context": context})

    async def redirect(
        self, channel: str, exten: str, context: str, priority: int = 1,
        extra_channel: str | None = None,
    ) -> AmiResponse:
        """``Redirect``: move ``channel`` (and ``extra_channel``, to the same place) in the
        dialplan. Redirecting both legs of a bridge at once keeps the other from hanging up."""
        fields: dict[str, HeaderValue] = {"Channel": channel, "Exten": exten,
                                          "Context": context, "Priority": str(priority)}
        if extra_channel is not None:
            fields |= {"ExtraChannel": extra_channel, "ExtraExten": exten,
                       "ExtraContext": context, "ExtraPriority": str(priority)}
        return await self.action("Redirect", fields)

    async def mix_monitor(self, channel: str, filename: str, options: str = "") -> AmiResponse:
        """``MixMonitor``: record both directions of ``channel`` to ``filename``.

        The response carries ``MixMonitorID``. ``options`` are MixMonitor()'s (e.g. ``b``).
        """
        fields: dict[str, HeaderValue] = {"Channel": channel, "File": filename}
        if options:
            fields["Options"] = options
        return await self.action("MixMonitor", fields)

    async def stop_mix_monitor(self, channel: str) -> AmiResponse:
        """``StopMixMonitor`` on ``channel``."""
        return await self.action("StopMixMonitor", {"Channel": channel})

    async def hangup(self, channel: str, cause: int | None = None) -> AmiResponse:
        """``Hangup`` ``channel`` (an exact name; AMI also takes ``/regex/``)."""
        fields: dict[str, HeaderValue] = {"Channel": channel}
        if cause is not None:
            fields["Cause"] = str(cause)
        return await self.action("Hangup", fields)

    async def command(self, cmd: str) -> str:
        """``Command``: run a CLI command; its output. Rejected if the CLI refuses it."""
        return command_output(await self.action("Command", {"Command": cmd}))

    async def originate(
        self, channel: str, *, exten: str | None = None, context: str | None = None,
        priority: int = 1, application: str | None = None, data: str | None = None,
        caller_id: str | None = None, timeout_ms: int | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> AmiResponse:
        """``Originate`` (always async): dial ``channel``, then run ``exten@context`` or
        ``application(data)``. The result arrives later as an ``OriginateResponse`` event in
        :attr:`events`, carrying this response's ``ActionID``."""
        if (application is None) == (exten is None or context is None):
            raise Rejected("originate needs either exten and context, or an application")
        fields: dict[str, HeaderValue] = {"Channel": channel, "Async": "true"}
        if application is not None:
            fields |= {"Application": application, "Data": data or ""}
        else:
            fields |= {"Exten": exten or "", "Context": context or "",
                       "Priority": str(priority)}
        if caller_id is not None:
            fields["CallerID"] = caller_id
        if timeout_ms is not None:
            fields["Timeout"] = str(timeout_ms)
        if variables:
            fields["Variable"] = [f"{key}={value}" for key, value in variables.items()]
        return await self.action("Originate", fields)


def _describe(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, EngineError) else str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
