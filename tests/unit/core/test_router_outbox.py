"""The router's per-call worker against a database that comes and goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest

from engine.ari.backoff import Backoff
from engine.ari.events import AriEvent, parse_event
from engine.calls.control import ARI_COMMANDS
from engine.calls.executors import CommandExecutors
from engine.calls.outbox import SnapshotOutbox
from engine.calls.router import CallRouter
from engine.domain.call import Call, CallState, Origin
from engine.domain.commands import CallFinished, Command, Dial
from engine.domain.errors import Unavailable
from engine.domain.events import CallEvent
from engine.domain.flow import FlowConfig
from engine.domain.numbers import Extension, External
from engine.store.calls import CallRepository, UnreadableCall
from engine.store.journal import CallJournal

CONFIG = FlowConfig(dial_timeout=5)
RID = "0123456789"
AGENT_CH = f"{RID}.1"


class FlakyCalls:
    """Refuses ``failures`` saves, then every save while ``fail`` is set."""

    def __init__(self, failures: int = 0) -> None:
        self.saved: dict[str, Call] = {}
        self.failures = failures
        self.fail = False
        self.attempts = 0

    async def save(self, call: Call) -> None:
        self.attempts += 1
        if self.fail or self.failures > 0:
            self.failures -= 1
            raise Unavailable("database is not available")
        self.saved[call.request_id] = call

    async def live_calls(self) -> tuple[list[Call], list[UnreadableCall]]:
        return [c for c in self.saved.values() if c.state is not CallState.ENDED], []


class Control:
    """Records commands; a Dial waits for ``dial_gate`` when one is set."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.dial_gate: asyncio.Event | None = None

    def registry(self) -> CommandExecutors:
        registry = CommandExecutors()
        for kind in (*ARI_COMMANDS, CallFinished):
            registry.register(kind, self.execute)
        return registry

    async def execute(self, request_id: str, command: Command) -> None:
        self.commands.append(command)
        if isinstance(command, Dial) and self.dial_gate is not None:
            await self.dial_gate.wait()


@dataclass
class Harness:
    router: CallRouter
    repo: FlakyCalls
    control: Control
    journal: CallJournal
    finished: list[Call]


Maker = Callable[[FlakyCalls], AbstractAsyncContextManager[Harness]]


def destroyed(channel_id: str, cause: int) -> AriEvent:
    channel = {"id": channel_id, "name": f"PJSIP/101-{channel_id}", "state": "Down",
               "caller": {"name": "", "number": ""}, "connected": {"name": "", "number": ""},
               "accountcode": "", "dialplan": {"context": "c", "exten": "s", "priority": 1},
               "creationtime": "2026-11-22T08:00:00.000+0000", "language": "en"}
    return parse_event({"type": "ChannelDestroyed", "application": "cpaas-engine",
                        "timestamp": "2026-11-22T08:00:05.000+0000", "channel": channel,
                        "cause": cause, "cause_txt": "User busy"})


def new_call() -> Call:
    call = Call(request_id=RID, account_id="account_1", origin=Origin.CLICK2CALL,
                state=CallState.DIALING_AGENT, caller_id="15168148111", agent=Extension("101"),
                customer=External("15168141000"), created_at=datetime.now(UTC))
    return call


@pytest.fixture
def make(tmp_path: Path) -> Maker:
    @asynccontextmanager
    async def build(repo: FlakyCalls) -> AsyncIterator[Harness]:
        control = Control()
        journal = CallJournal(tmp_path / "journal")
        outbox = SnapshotOutbox(cast(CallRepository, repo), journal)

        def control_factory(feedback: Callable[[str, CallEvent], None]) -> CommandExecutors:
            return control.registry()

        router = CallRouter(control_factory, cast(CallRepository, repo), outbox, CONFIG,
                            save_retry=lambda: Backoff(0.01, 0.05))
        finished: list[Call] = []

        async def hook(call: Call) -> None:
            finished.append(call)

        router.on_finished(hook)
        await router.restore()
        task = asyncio.create_task(router.run())
        try:
            yield Harness(router, repo, control, journal, finished)
        finally:
            await router.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return build


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_a_finished_call_stays_live_until_the_database_takes_it(make: Maker) -> None:
    async with make(FlakyCalls()) as h:
        await h.router.launch(new_call())
        await until(lambda: RID in h.repo.saved)
        assert h.repo.saved[RID].state is CallState.DIALING_AGENT
        h.repo.fail = True
        h.router.deliver(destroyed(AGENT_CH, 17))
        await settle()
        await asyncio.sleep(0.15)  # several retries, all refused
        attempts = h.repo.attempts
        assert attempts >= 3
        live = h.router.live_calls("account_1")
        assert [c.state for c in live] == [CallState.ENDED]
        assert h.router.live_call_count() == 1
        assert h.repo.saved[RID].state is CallState.DIALING_AGENT
        assert h.finished == []
        assert any(isinstance(c, CallFinished) for c in h.control.commands)
        spooled = h.journal.read()
        assert spooled[-1]["state"] == "ended"
        assert spooled[-1]["revision"] == live[0].revision

        h.repo.fail = False
        await until(lambda: h.router.live_call_count() == 0)
        stored = h.repo.saved[RID]
        assert stored.state is CallState.ENDED
        assert stored.revision == live[0].revision
        assert stored.legs[0].hangup_cause == 17
        assert h.router.live_calls("account_1") == []
        assert h.router.live_counts("account_1")["live_calls_c2c"] == 0
        assert [c.request_id for c in h.finished] == [RID]
        assert h.journal.read() == []  # stored after being spooled: the spool is emptied


async def test_a_database_failing_a_few_times_still_gets_the_end(make: Maker) -> None:
    async with make(FlakyCalls(failures=3)) as h:
        await h.router.launch(new_call())
        h.router.deliver(destroyed(AGENT_CH, 17))
        await until(lambda: h.router.live_call_count() == 0)
        assert h.repo.attempts >= 4  # three refusals, then the end was taken
        assert h.repo.saved[RID].state is CallState.ENDED
        assert h.repo.saved[RID].ended_at == datetime(2026, 11, 22, 8, 0, 5, tzinfo=UTC)
        assert len(h.finished) == 1
        assert h.journal.read() == []


async def test_closing_while_the_database_refuses_keeps_the_end_in_the_journal(
    make: Maker
) -> None:
    async with make(FlakyCalls()) as h:
        h.repo.fail = True
        await h.router.launch(new_call())
        h.router.deliver(destroyed(AGENT_CH, 17))
        await settle()
        await asyncio.sleep(0.05)
        final = h.router.live_calls("account_1")[0]
        assert final.state is CallState.ENDED
        await h.router.close()
        assert h.repo.saved == {}
        newest = h.journal.read()[-1]
        assert (newest["request_id"], newest["state"]) == (RID, "ended")
        assert newest["revision"] == final.revision
        assert h.finished == []  # never stored: no finished hook
        # A fresh outbox (the next engine run) replays exactly that snapshot.
        h.repo.fail = False
        replayed = await SnapshotOutbox(cast(CallRepository, h.repo), h.journal).replay(0.001)
        assert replayed == 1
        assert h.repo.saved[RID].state is CallState.ENDED


async def test_a_new_call_is_durable_before_it_dials_anyone(make: Maker) -> None:
    async with make(FlakyCalls()) as h:
        h.repo.fail = True
        h.control.dial_gate = asyncio.Event()  # the Dial never returns
        await h.router.launch(new_call())
        await until(lambda: bool(h.control.commands))
        # The database refused the first snapshot, so it was journaled before the Dial.
        assert h.repo.attempts == 1
        assert [(s["request_id"], s["state"]) for s in h.journal.read()] == [
            (RID, "dialing_agent")]
        await h.router.close()
    assert h.router.live_call_count() == 1  # not finished: it never leaves the live view
