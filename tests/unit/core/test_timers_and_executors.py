"""The command-executor registry and the timer executor (no Asterisk involved)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from engine.calls.executors import CommandExecutors
from engine.calls.timers import TimerExecutor
from engine.domain.commands import CallFinished, CancelTimer, Hangup, StartTimer
from engine.domain.events import CallEvent, TimerFired


def test_a_command_type_has_one_executor() -> None:
    registry = CommandExecutors()

    async def run(request_id: str, command: Hangup) -> None:
        pass

    registry.register(Hangup, run)
    assert registry.handles(Hangup) and not registry.handles(StartTimer)
    with pytest.raises(ValueError, match="already"):
        registry.register(Hangup, run)


async def test_a_failing_executor_does_not_raise_to_the_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CommandExecutors()

    async def broken(request_id: str, command: Hangup) -> None:
        raise RuntimeError("bug")

    registry.register(Hangup, broken)
    await registry.execute("r", Hangup("r.1"))
    await registry.execute("r", CallFinished("r"))  # a notice nobody handles: fine
    await registry.execute("r", StartTimer("r.t1", datetime.now(UTC)))  # no executor: logged
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["command executor failed", "no executor for command"]


async def test_timers_fire_at_their_time_and_cancelled_ones_never() -> None:
    fired: list[tuple[str, CallEvent]] = []
    timers = TimerExecutor(lambda rid, event: fired.append((rid, event)))
    now = datetime.now(UTC)
    await timers.start("r", StartTimer("r.t1", now + timedelta(milliseconds=50)))
    await timers.start("r", StartTimer("r.t2", now + timedelta(milliseconds=60)))
    await timers.cancel("r", CancelTimer("r.t2"))
    await timers.start("r", StartTimer("r.t3", now - timedelta(seconds=5)))  # overdue
    await asyncio.sleep(0.01)
    assert [(rid, e.timer_id) for rid, e in fired if isinstance(e, TimerFired)] == [("r", "r.t3")]
    await asyncio.sleep(0.1)
    assert [e.timer_id for _, e in fired if isinstance(e, TimerFired)] == ["r.t3", "r.t1"]
    assert timers.pending == 0


async def test_restarting_a_timer_replaces_it() -> None:
    fired: list[CallEvent] = []
    timers = TimerExecutor(lambda rid, event: fired.append(event))
    now = datetime.now(UTC)
    await timers.start("r", StartTimer("r.t1", now + timedelta(milliseconds=20)))
    await timers.start("r", StartTimer("r.t1", now + timedelta(seconds=30)))
    await asyncio.sleep(0.06)
    assert fired == [] and timers.pending == 1
    timers.close()
    assert timers.pending == 0
