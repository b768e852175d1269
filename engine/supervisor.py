"""Named, supervised background tasks: the first unexpected failure stops the daemon."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskFailed(RuntimeError):
    """A supervised task ended with an exception, or ended when it should run forever."""


class Supervisor:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self.failed: asyncio.Future[TaskFailed] = asyncio.get_running_loop().create_future()

    def start(self, name: str, coro: Coroutine[Any, Any, Any], *, forever: bool = True) -> None:
        """Run ``coro`` as task ``name``. A ``forever`` task that returns is a failure too."""
        if name in self._tasks:
            raise ValueError(f"task {name!r} already running")
        task = asyncio.create_task(coro, name=name)
        self._tasks[name] = task
        task.add_done_callback(lambda t: self._on_done(name, t, forever))

    def _on_done(self, name: str, task: asyncio.Task[Any], forever: bool) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None and not forever:
            self._tasks.pop(name, None)
            return
        reason = TaskFailed(f"task {name!r} " + (f"failed: {exc!r}" if exc else "stopped"))
        log.error("supervised task ended", extra={"task": name}, exc_info=exc)
        if not self.failed.done():
            self.failed.set_result(reason)

    @property
    def names(self) -> list[str]:
        return sorted(self._tasks)

    async def stop(self, timeout: float = 10.0) -> None:
        """Cancel every task (newest first) and wait for them to finish."""
        tasks = list(self._tasks.values())[::-1]
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                log.warning("task did not stop in time", extra={"task": task.get_name()})
        self._tasks.clear()
