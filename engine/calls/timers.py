"""Timers of call programs and flows: StartTimer / CancelTimer in, TimerFired out.

The call keeps its pending timers in its snapshot; after a restart the router asks for
them again, and a timer whose moment passed while the engine was away fires at once.
Waiting is one ``loop.call_later`` per timer: nothing polls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from engine.calls.executors import CommandExecutors, Feedback
from engine.domain.commands import CancelTimer, StartTimer
from engine.domain.events import TimerFired


class TimerExecutor:
    def __init__(self, feedback: Feedback,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._feedback = feedback
        self._clock = clock
        self._handles: dict[str, asyncio.TimerHandle] = {}

    def register(self, executors: CommandExecutors) -> None:
        executors.register(StartTimer, self.start)
        executors.register(CancelTimer, self.cancel)

    @property
    def pending(self) -> int:
        return len(self._handles)

    async def start(self, request_id: str, command: StartTimer) -> None:
        self._drop(command.timer_id)
        delay = max(0.0, (command.fire_at - self._clock()).total_seconds())
        self._handles[command.timer_id] = asyncio.get_running_loop().call_later(
            delay, self._fire, request_id, command.timer_id)

    async def cancel(self, request_id: str, command: CancelTimer) -> None:
        self._drop(command.timer_id)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()

    def _drop(self, timer_id: str) -> None:
        handle = self._handles.pop(timer_id, None)
        if handle is not None:
            handle.cancel()

    def _fire(self, request_id: str, timer_id: str) -> None:
        self._handles.pop(timer_id, None)
        self._feedback(request_id, TimerFired(timer_id, self._clock()))
