"""The single consumer of call inputs: Asterisk events, API requests, reconciliation.

Every live call lives here and only here. One loop applies inputs to calls in order through
the pure state machine; each call's commands and snapshots are then carried out, in order,
by that call's own worker, so one slow call never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from engine.ari.backoff import Backoff
from engine.ari.events import AriEvent, RecordingFailed, RecordingFinished, StasisStart
from engine.calls.executors import CommandExecutors, Feedback
from engine.calls.outbox import SnapshotOutbox
from engine.calls.reconcile import AsteriskView, ViewTaker
from engine.calls.translate import channel_of, translate
from engine.calls.worker import CallWorker, PersistFirst
from engine.domain.call import Call, Origin
from engine.domain.commands import CallFinished, Command, Hangup, StartTimer
from engine.domain.errors import NotFound
from engine.domain.events import CallEvent, CallRestored, LegNamed
from engine.domain.flow import FlowConfig, advance, begin, live_counter_key
from engine.domain.ids import leading_request_id
from engine.domain.witness import witnessed_end
from engine.store.calls import CallRepository, UnreadableCall

log = logging.getLogger(__name__)

LIVE_COUNTERS = ("live_calls_c2c", "live_calls_campaign", "live_calls_inbound", "live_calls_otp",
                 "live_calls_multiparty")


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


@dataclass(frozen=True)
class _Launch:
    call: Call
    adopted: asyncio.Future[Call]


Input = AriEvent | _Request | AsteriskView | _Feedback | _Launch
FinishedHook = Callable[[Call], Awaitable[None]]
InboundHandler = Callable[[StasisStart], Coroutine[Any, Any, None]]


class CallRouter:
    def __init__(
        self, executors_factory: Callable[[Feedback], CommandExecutors],
        repo: CallRepository, outbox: SnapshotOutbox, config: FlowConfig,
        save_retry: Callable[[], Backoff],
    ) -> None:
        self._executors = executors_factory(self._feedback)
        self._repo = repo
        self._outbox = outbox
        self._config = config
        self._save_retry = save_retry
        self._inputs: asyncio.Queue[Input] = asyncio.Queue()
        self._calls: dict[str, Call] = {}
        self._by_channel: dict[str, str] = {}
        self._workers: dict[str, CallWorker] = {}
        self._finished_hooks: list[FinishedHook] = []
        self._inbound: InboundHandler | None = None
        # Inbound channels whose call is being looked up: their events wait here.
        self._pending_inbound: dict[str, list[AriEvent]] = {}
        self._side_tasks: set[asyncio.Task[None]] = set()
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

    async def launch(self, call: Call) -> Call:
        """The one way a new call starts, whatever its origin: the router runs its first
        step, adopts it, and makes its first snapshot durable before any command runs.

        Returns once the call is adopted, so the live counts include it as soon as the API
        answers. Raises what the first step raises (a call its flow cannot begin)."""
        adopted: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._inputs.put_nowait(_Launch(call, adopted))
        return await adopted

    async def request(
        self, account_id: str, channel: str, make_event: Callable[[str], CallEvent]
    ) -> Call:
        """Apply an API request to the call that owns ``channel`` (a name or an id, or the
        call's own request_id: then its first live leg).

        ``make_event(channel_id)`` builds the event for the leg found. Another account's
        channel and an unknown one fail the same way: NotFound.
        """
        reply: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._inputs.put_nowait(_Request(account_id, channel, make_event, reply))
        return await reply

    async def restored(self) -> None:
        """Returns once ``restore`` is done (the journal replayed, live calls adopted)."""
        await self._restored.wait()

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

    def live_calls_of(self, origin: Origin) -> list[Call]:
        """Every account's live calls of one origin (the dialer's engine-wide cap)."""
        return [c for c in self._calls.values() if c.origin is origin]

    # ---- the loop ---------------------------------------------------------------------

    async def restore(self) -> None:
        """Replay the journal, then re-adopt calls a previous engine left live;
        reconciliation settles them."""
        await self._outbox.replay()
        calls, unreadable = await self._repo.live_calls()
        for call in calls:
            self._adopt(call)
            if call.timers:  # re-armed; one whose moment passed fires at once
                self._dispatch(call, [StartTimer(t.timer_id, t.fire_at) for t in call.timers])
        for lost in unreadable:
            await self._close_unreadable(lost)
        restored_at = datetime.now(UTC)
        for call in calls:  # each flow decides whether its call can go on
            self._apply(call.request_id, CallRestored(restored_at))
        if self._calls:
            log.info("restored live calls", extra={"calls": len(self._calls)})
        self._restored.set()

    async def _close_unreadable(self, lost: UnreadableCall) -> None:
        # Better a clean end than a crash loop while other calls are live: its channels
        # are hung up and the call is closed with the CDRs it had.
        log.error("call snapshot unreadable; closing the call",
                  extra={"request_id": lost.request_id, "error": lost.reason})
        for channel_id in lost.channel_ids:
            await self._executors.execute(lost.request_id, Hangup(channel_id))
        await self._repo.close_unreadable(lost.request_id, datetime.now(UTC))

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
        tasks.extend(self._side_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, item: Input) -> None:
        if isinstance(item, _Launch):
            self._handle_launch(item)
        elif isinstance(item, _Request):
            self._handle_request(item)
        elif isinstance(item, AsteriskView):
            self._handle_reconciled(item)
        elif isinstance(item, _Feedback):
            self._apply(item.request_id, item.event)
        elif isinstance(item, StasisStart) and item.args[:1] == ["inbound"]:
            self._hand_over_inbound(item)
        else:
            self._handle_ari(item)

    def _hand_over_inbound(self, event: StasisStart) -> None:
        """The inbound service looks the DID up (database, ARI) off this loop; meanwhile
        the caller's events are held, then replayed once its call is launched."""
        if self._inbound is None:
            return
        channel_id = event.channel.id
        self._pending_inbound[channel_id] = []
        task = asyncio.create_task(self._inbound(event), name=f"inbound-{channel_id}")
        self._side_tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._side_tasks.discard(task)
            self._pending_inbound.pop(channel_id, None)  # declined: nothing to replay
            if not task.cancelled() and task.exception() is not None:
                log.error("inbound hand-over failed", exc_info=task.exception())

        task.add_done_callback(done)

    def _handle_launch(self, item: _Launch) -> None:
        try:
            call, commands = begin(item.call, self._config)
        except Exception as exc:
            item.adopted.set_exception(exc)
            return
        self._adopt(call)
        self._dispatch(call, commands, persist_first=True)
        item.adopted.set_result(call)
        for leg in call.legs:
            for event in self._pending_inbound.pop(leg.channel_id, []):
                self._handle_ari(event)

    def _adopt(self, call: Call) -> None:
        self._calls[call.request_id] = call
        for leg in call.legs:
            self._by_channel[leg.channel_id] = call.request_id
            if leg.channel_name:
                self._by_channel[leg.channel_name] = call.request_id

    def _handle_ari(self, event: AriEvent) -> None:
        ids = channel_of(event)
        if isinstance(event, RecordingFinished | RecordingFailed):
            # Recordings are named "<request_id>-<what>" (a request_id may be a UUID).
            request_id: str | None = leading_request_id(event.recording.name)
        elif ids is None:
            # Playbacks are named after their call: "<request_id>.<what>".
            playback = getattr(event, "playback", None)
            request_id = playback.id.split(".")[0] if playback is not None else None
        else:
            request_id = self._by_channel.get(ids[0])
            if request_id is None and ids[0] in self._pending_inbound:
                self._pending_inbound[ids[0]].append(event)
                return
        if request_id is None or request_id not in self._calls:
            return
        for domain_event in translate(event):
            self._apply(request_id, domain_event)

    def _handle_request(self, item: _Request) -> None:
        request_id = self._by_channel.get(item.channel)
        if request_id is None and item.channel in self._calls:
            request_id = item.channel  # a call's own id (Plivo's call_uuid): its first leg
        call = self._calls.get(request_id or "")
        if call is None or call.account_id != item.account_id:
            item.reply.set_exception(NotFound("no live call has that channel",
                                              code="channel_not_found"))
            return
        leg = next((leg for leg in call.legs
                    if item.channel in (leg.channel_id, leg.channel_name, call.request_id)
                    and leg.live), None)
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

    def _dispatch(self, call: Call, commands: list[Command], *,
                  persist_first: bool = False) -> None:
        worker = self._workers.get(call.request_id)
        if worker is None:
            worker = self._workers[call.request_id] = CallWorker(
                call.request_id, self._outbox, self._executors, self._save_retry(),
                done=self._worker_done, settled=self._run_finished_hooks)
        worker.put(PersistFirst(call) if persist_first else call)
        for command in commands:
            worker.put(command)
        if any(isinstance(c, CallFinished) for c in commands):
            worker.put(None)

    def _forget(self, call: Call) -> None:
        self._calls.pop(call.request_id, None)
        for leg in call.legs:
            self._by_channel.pop(leg.channel_id, None)
            if leg.channel_name:
                self._by_channel.pop(leg.channel_name, None)

    def _worker_done(self, worker: CallWorker) -> None:
        self._workers.pop(worker.request_id, None)
        last = worker.last
        if last is not None and worker.finished:
            # Only now does the call leave the live views: whoever sees it gone finds its
            # final CDRs already stored.
            self._forget(last)

    async def _run_finished_hooks(self, call: Call) -> None:
        for hook in self._finished_hooks:
            try:
                await hook(call)
            except Exception:
                log.exception("finished hook failed")
