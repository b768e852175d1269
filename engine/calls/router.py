"""The single consumer of call inputs: Asterisk events, API requests, reconciliation.

Every live call lives here and only here. One loop applies inputs to calls in order through
the pure state machine; each call's commands and snapshots are then carried out, in order,
by that call's own worker, so one slow call never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from engine.ari.backoff import Backoff
from engine.ari.events import AriEvent, StasisStart
from engine.calls.control import CallControl
from engine.calls.outbox import SnapshotOutbox
from engine.calls.reconcile import AsteriskView, ViewTaker
from engine.calls.translate import channel_of, translate
from engine.domain.call import Call
from engine.domain.commands import CallFinished, Command
from engine.domain.errors import NotFound
from engine.domain.events import CallEvent, LegNamed
from engine.domain.flow import FlowConfig, advance, live_counter_key
from engine.domain.witness import witnessed_end
from engine.logs import channel_var, request_id_var
from engine.store.calls import CallRepository

log = logging.getLogger(__name__)

LIVE_COUNTERS = ("live_calls_c2c", "live_calls_campaign", "live_calls_inbound", "live_calls_otp")


@dataclass(frozen=True)
class _Request:
    account_id: str
    channel: str
    make_event: Callable[[str], CallEvent]
    reply: asyncio.Future[Call]


@dataclass(frozen=True)
class _Feedback:
    request_id: str
    event: CallEvent


@dataclass
class _Worker:
    queue: asyncio.Queue[Call | Command | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None


Input = AriEvent | _Request | AsteriskView | _Feedback
FinishedHook = Callable[[Call], Awaitable[None]]
InboundHandler = Callable[[StasisStart], Awaitable[None]]


class CallRouter:
    def __init__(
        self, control_factory: Callable[[Callable[[str, CallEvent], None]], CallControl],
        repo: CallRepository, outbox: SnapshotOutbox, config: FlowConfig,
        save_retry: Callable[[], Backoff],
    ) -> None:
        self._control = control_factory(self._feedback)
        self._repo = repo
        self._outbox = outbox
        self._config = config
        self._save_retry = save_retry
        self._inputs: asyncio.Queue[Input] = asyncio.Queue()
        self._calls: dict[str, Call] = {}
        self._by_channel: dict[str, str] = {}
        self._workers: dict[str, _Worker] = {}
        self._finished_hooks: list[FinishedHook] = []
        self._inbound: InboundHandler | None = None
        self._take_view: ViewTaker | None = None
        self._restored = asyncio.Event()

    # ---- wiring ---------------------------------------------------------------------

    def on_finished(self, hook: FinishedHook) -> None:
        self._finished_hooks.append(hook)

    def on_inbound(self, handler: InboundHandler) -> None:
        self._inbound = handler

    def use_asterisk_view(self, take_view: ViewTaker) -> None:
        self._take_view = take_view

    # ---- inputs -----------------------------------------------------------------------

    def deliver(self, event: AriEvent) -> None:
        self._inputs.put_nowait(event)

    def _feedback(self, request_id: str, event: CallEvent) -> None:
        self._inputs.put_nowait(_Feedback(request_id, event))

    def start(self, call: Call, commands: list[Command]) -> None:
        """Adopt a new call (already persisted) and carry out its first commands.

        Adoption is immediate, so the live counts include the call as soon as the API
        answers; no event can concern it before its first command runs.
        """
        self._adopt(call)
        self._dispatch(call, commands)

    async def request(
        self, account_id: str, channel: str, make_event: Callable[[str], CallEvent]
    ) -> Call:
        """Apply an API request to the call that owns ``channel`` (a name or an id).

        ``make_event(channel_id)`` builds the event for the leg found. Another account's
        channel and an unknown one fail the same way: NotFound.
        """
        reply: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._inputs.put_nowait(_Request(account_id, channel, make_event, reply))
        return await reply

    async def reconcile(self) -> None:
        """After every ARI (re)connect: legs Asterisk no longer has ended as it recorded.

        Waits for ``restore``: the legs to look up in Asterisk's record are the restored
        calls' legs."""
        await self._restored.wait()
        if self._take_view is not None:
            self._inputs.put_nowait(await self._take_view(lambda: list(self._calls.values())))

    # ---- queries ----------------------------------------------------------------------

    def live_call_count(self) -> int:
        return len(self._calls)

    def live_counts(self, account_id: str) -> dict[str, int]:
        counts = dict.fromkeys(LIVE_COUNTERS, 0)
        for call in self._calls.values():
            if call.account_id == account_id:
                counts[live_counter_key(call)] += 1
        return counts

    def live_calls(self, account_id: str) -> list[Call]:
        return [c for c in self._calls.values() if c.account_id == account_id]

    # ---- the loop ---------------------------------------------------------------------

    async def restore(self) -> None:
        """Replay the journal, then re-adopt calls a previous engine left live;
        reconciliation settles them."""
        await self._outbox.replay()
        for call in await self._repo.live_calls():
            self._adopt(call)
        if self._calls:
            log.info("restored live calls", extra={"calls": len(self._calls)})
        self._restored.set()

    async def run(self) -> None:
        while True:
            item = await self._inputs.get()
            try:
                await self._handle(item)
            except Exception:
                log.exception("router input failed", extra={"input": type(item).__name__})

    async def close(self) -> None:
        """Stop every call worker; snapshots the database has not taken go to the journal."""
        tasks = [w.task for w in self._workers.values() if w.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, item: Input) -> None:
        if isinstance(item, _Request):
            self._handle_request(item)
        elif isinstance(item, AsteriskView):
            self._handle_reconciled(item)
        elif isinstance(item, _Feedback):
            self._apply(item.request_id, item.event)
        elif isinstance(item, StasisStart) and item.args[:1] == ["inbound"]:
            if self._inbound is not None:
                await self._inbound(item)
        else:
            self._handle_ari(item)

    def _adopt(self, call: Call) -> None:
        self._calls[call.request_id] = call
        for leg in call.legs:
            self._by_channel[leg.channel_id] = call.request_id
            if leg.channel_name:
                self._by_channel[leg.channel_name] = call.request_id

    def _handle_ari(self, event: AriEvent) -> None:
        ids = channel_of(event)
        if ids is None:
            # Playbacks are named after their call: "<request_id>.<what>".
            playback = getattr(event, "playback", None)
            request_id = playback.id.split(".")[0] if playback is not None else None
        else:
            request_id = self._by_channel.get(ids[0])
        if request_id is None or request_id not in self._calls:
            return
        for domain_event in translate(event):
            self._apply(request_id, domain_event)

    def _handle_request(self, item: _Request) -> None:
        request_id = self._by_channel.get(item.channel)
        call = self._calls.get(request_id or "")
        if call is None or call.account_id != item.account_id:
            item.reply.set_exception(NotFound("no live call has that channel",
                                              code="channel_not_found"))
            return
        leg = next((leg for leg in call.legs
                    if item.channel in (leg.channel_id, leg.channel_name) and leg.live), None)
        if leg is None:
            item.reply.set_exception(NotFound("no live call has that channel",
                                              code="channel_not_found"))
            return
        try:
            updated = self._apply(call.request_id, item.make_event(leg.channel_id))
        except Exception as exc:  # the caller must never wait forever, whatever went wrong
            item.reply.set_exception(exc)
            return
        item.reply.set_result(updated)

    def _handle_reconciled(self, view: AsteriskView) -> None:
        ends = []
        for call in list(self._calls.values()):
            for leg in call.live_legs():
                # A leg dialled after the channel list was taken is simply not in it yet.
                if leg.created_at >= view.taken_at or leg.channel_id in view.live_channel_ids:
                    continue
                restarted = view.pbx_restarted_since(leg.created_at)
                end = witnessed_end(leg, view.lifetimes.get(leg.channel_id),
                                    pbx_restarted=restarted,
                                    lost_at=view.lost_sight_at(restarted))
                log.info("leg ended while the engine was not listening",
                         extra={"channel": leg.channel_id, "request_id": call.request_id,
                                "cause": end.cause, "ended_at": end.at.isoformat()})
                ends.append((end.at, call.request_id, end))
        # In the order they happened, so each call reacts to its first lost leg first.
        for _, request_id, end in sorted(ends, key=lambda item: item[0]):
            self._apply(request_id, end)

    def _apply(self, request_id: str, event: CallEvent) -> Call:
        """Advance one call; raises the state machine's errors for API requests."""
        call = self._calls.get(request_id)
        if call is None:
            raise NotFound("no live call has that channel", code="channel_not_found")
        updated, commands = advance(call, event, self._config)
        if not commands and updated == call:  # nothing new: no save, no worker wake-up
            return call
        updated = replace(updated, revision=call.revision + 1)
        if isinstance(event, LegNamed) and event.channel_name:
            self._by_channel[event.channel_name] = request_id
        for leg in updated.legs:
            self._by_channel.setdefault(leg.channel_id, request_id)
            if leg.channel_name:
                self._by_channel.setdefault(leg.channel_name, request_id)
        self._calls[request_id] = updated
        self._dispatch(updated, commands)
        return updated

    # ---- per-call workers ---------------------------------------------------------------

    def _dispatch(self, call: Call, commands: list[Command]) -> None:
        worker = self._workers.get(call.request_id)
        if worker is None:
            worker = self._workers[call.request_id] = _Worker()
            worker.task = asyncio.create_task(self._work(call.request_id, worker),
                                              name=f"call-{call.request_id}")
        worker.queue.put_nowait(call)
        for command in commands:
            worker.queue.put_nowait(command)
        if any(isinstance(c, CallFinished) for c in commands):
            worker.queue.put_nowait(None)

    def _forget(self, call: Call) -> None:
        self._calls.pop(call.request_id, None)
        for leg in call.legs:
            self._by_channel.pop(leg.channel_id, None)
            if leg.channel_name:
                self._by_channel.pop(leg.channel_name, None)

    async def _work(self, request_id: str, worker: _Worker) -> None:
        request_id_var.set(request_id)
        last: Call | None = None
        unsaved: Call | None = None
        finished = retrying = False
        retry = self._save_retry()
        try:
            while True:
                if unsaved is not None and not retrying and worker.queue.empty():
                    # Snapshots that follow each other coalesce: the newest is saved as soon
                    # as the worker has nothing else to do.
                    if await self._outbox.save(unsaved):
                        unsaved = None
                        retry.reset()
                    else:
                        retrying = True
                if finished and unsaved is None:
                    break
                delay = retry.next_delay() if retrying else None
                if finished:  # nothing else will come: retry for as long as the DB is away
                    await asyncio.sleep(delay or 0)
                    retrying = False
                    continue
                try:
                    item = await asyncio.wait_for(worker.queue.get(), delay)
                except TimeoutError:
                    retrying = False  # time to try the database again
                    continue
                if item is None:
                    finished = True
                elif isinstance(item, Call):
                    last = unsaved = item
                    if retrying:  # the database is away: keep the newest state durable now
                        await self._outbox.spool(item)
                else:
                    # Commands go first: the call must not wait for the database to progress.
                    channel_var.set(getattr(item, "channel_id", None))
                    await self._control.execute(request_id, item)
        finally:
            if unsaved is not None:
                # Stopping before the database took it (shutdown): the journal keeps it.
                self._outbox.spool_now(unsaved)
            self._workers.pop(request_id, None)
            if last is not None and finished:
                # Only now does the call leave the live views: whoever sees it gone finds
                # its final CDRs already stored.
                self._forget(last)
        if last is not None:
            for hook in self._finished_hooks:
                try:
                    await hook(last)
                except Exception:
                    log.exception("finished hook failed")
