"""The call router with a recording fake of call control and an in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.ari.backoff import Backoff
from engine.ari.events import parse_event
from engine.calls.control import ARI_COMMANDS
from engine.calls.executors import CommandExecutors
from engine.calls.outbox import SnapshotOutbox
from engine.calls.reconcile import AsteriskView
from engine.calls.router import CallRouter
from engine.domain.call import Call, CallState, Origin
from engine.domain.commands import Command, Dial
from engine.domain.errors import NotFound
from engine.domain.events import CallEvent, HangupRequested
from engine.domain.flow import FlowConfig
from engine.domain.inbound import caller_leg
from engine.domain.numbers import Extension, External
from engine.store.calls import UnreadableCall
from engine.store.journal import CallJournal

CONFIG = FlowConfig(dial_timeout=5)


class RecordingControl:
    def __init__(self) -> None:
        self.commands: list[Command] = []

    def registry(self) -> CommandExecutors:
        registry = CommandExecutors()
        for kind in ARI_COMMANDS:
            registry.register(kind, self.execute)
        return registry

    async def execute(self, request_id: str, command: Command) -> None:
        self.commands.append(command)


class MemoryCalls:
    def __init__(self) -> None:
        self.saved: dict[str, Call] = {}

    async def save(self, call: Call) -> None:
        self.saved[call.request_id] = call

    async def live_calls(self) -> tuple[list[Call], list[UnreadableCall]]:
        return [c for c in self.saved.values() if c.state is not CallState.ENDED], []


def event(kind: str, channel_id: str, **extra: Any) -> Any:
    channel = {"id": channel_id, "name": f"PJSIP/x-{channel_id}", "state": extra.pop("state", "Up"),
               "caller": {"name": "", "number": ""}, "connected": {"name": "", "number": ""},
               "accountcode": "", "dialplan": {"context": "c", "exten": "s", "priority": 1},
               "creationtime": "2026-11-22T08:00:00.000+0000", "language": "en"}
    return parse_event({"type": kind, "application": "cpaas-engine",
                        "timestamp": "2026-11-22T08:00:00.000+0000", "channel": channel, **extra})


@pytest.fixture
async def router(tmp_path: Path) -> Any:
    control = RecordingControl()
    repo = MemoryCalls()
    outbox = SnapshotOutbox(repo, CallJournal(tmp_path / "journal"))  # type: ignore[arg-type]
    router = CallRouter(lambda feedback: control.registry(), repo,  # type: ignore[arg-type]
                        outbox, CONFIG, save_retry=lambda: Backoff(0.01, 0.05))
    await router.restore()
    task = asyncio.create_task(router.run())
    yield router, control, repo
    task.cancel()


def new_call(account: str = "account_1", request_id: str = "0123456789") -> Call:
    call = Call(request_id=request_id, account_id=account, origin=Origin.CLICK2CALL,
                state=CallState.DIALING_AGENT, caller_id="15168148111", agent=Extension("101"),
                customer=External("15168141000"), created_at=datetime.now(UTC))
    return call


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_started_call_counts_at_once_and_dials(router: Any) -> None:
    r, control, _ = router
    await r.launch(new_call())
    assert r.live_counts("account_1")["live_calls_c2c"] == 1
    assert r.live_counts("account_2")["live_calls_c2c"] == 0
    await settle()
    assert isinstance(control.commands[0], Dial)


async def test_events_drive_the_call_and_the_end_is_stored(router: Any) -> None:
    r, _control, repo = router
    finished: list[Call] = []

    async def hook(call: Call) -> None:
        finished.append(call)

    r.on_finished(hook)
    await r.launch(new_call())
    r.deliver(event("ChannelStateChange", "0123456789.1"))
    await settle()
    assert r.live_calls("account_1")[0].state is CallState.DIALING_CUSTOMER
    r.deliver(event("ChannelDestroyed", "0123456789.1", cause=16, cause_txt="Normal"))
    r.deliver(event("ChannelDestroyed", "0123456789.2", cause=16, cause_txt="Normal",
                    state="Down"))
    await settle()
    assert r.live_call_count() == 0
    assert repo.saved["0123456789"].state is CallState.ENDED
    assert [c.request_id for c in finished] == ["0123456789"]


async def test_requests_for_another_accounts_channel_are_not_found(router: Any) -> None:
    r, _, _ = router
    await r.launch(new_call())
    def make(channel_id: str) -> CallEvent:
        return HangupRequested(datetime.now(UTC))
    with pytest.raises(NotFound):
        await r.request("account_2", "0123456789.1", make)
    with pytest.raises(NotFound):
        await r.request("account_1", "PJSIP/none-1", make)
    updated = await r.request("account_1", "0123456789.1", make)
    assert updated.state is CallState.ENDING


async def test_reconcile_closes_vanished_legs_but_not_new_ones(router: Any) -> None:
    r, _, _ = router
    old = new_call(request_id="aaaaaaaaaa")
    earlier = old.created_at - timedelta(seconds=5)
    await r.launch(replace(old, created_at=earlier))  # its agent leg was dialled earlier
    r.use_asterisk_view(_no_channels)
    await r.reconcile()  # the snapshot is taken now...
    await r.launch(new_call(request_id="bbbbbbbbbb"))  # ...and this call dials after it
    await settle()
    assert [c.request_id for c in r.live_calls("account_1")] == ["bbbbbbbbbb"]


async def _no_channels(calls: Callable[[], Iterable[Call]]) -> AsteriskView:
    return AsteriskView(frozenset(), datetime.now(UTC))


async def test_an_inbound_lookup_runs_beside_the_loop_and_the_callers_events_wait(
    router: Any,
) -> None:
    r, control, _ = router
    gate = asyncio.Event()
    caller = "carrier-0001"

    async def slow_lookup(start: Any) -> None:
        await gate.wait()  # the database is slow: the router keeps serving meanwhile
        call = Call(request_id="cccccccccc", account_id="account_1", origin=Origin.INBOUND,
                    state=CallState.DIALING_AGENT, caller_id="15551230001",
                    created_at=datetime.now(UTC), agent=Extension("101"),
                    customer=External("15551230001"))
        await r.launch(caller_leg(call, start.channel.id, start.channel.name))

    r.on_inbound(slow_lookup)
    r.deliver(event("StasisStart", caller, args=["inbound", "15551230001"], state="Ring"))
    await r.launch(new_call())  # another call is placed while the lookup waits
    await settle()
    assert r.live_call_count() == 1 and isinstance(control.commands[0], Dial)
    # The caller hangs up before its call exists: the event waits for it.
    r.deliver(event("ChannelDestroyed", caller, cause=16, cause_txt="Normal", state="Ring"))
    await settle()
    gate.set()
    await settle()
    inbound = [c for c in r.live_calls("account_1") if c.request_id == "cccccccccc"]
    assert inbound and inbound[0].state is CallState.ENDING  # it saw the caller leave
    caller_leg_now = inbound[0].leg(caller)
    assert caller_leg_now is not None and not caller_leg_now.live
