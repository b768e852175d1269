"""The command-executor registry: each kind of command has one executor at the edge.

Call control (ARI), timers, text-to-speech and document fetching each register the
commands they carry out; the router's call workers hand every command to ``execute``.
Executors report what happened as domain events through the router's feedback, and never
raise for the call that asked: a failure is an event too (SpeechFailed, a LegGone, …).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from engine.domain.commands import CallFinished, Command
from engine.domain.events import CallEvent

log = logging.getLogger(__name__)

C = TypeVar("C")
# What executors report back: (request_id, event) into the router's inputs.
Feedback = Callable[[str, CallEvent], None]
Executor = Callable[[str, C], Awaitable[None]]


class CommandExecutors:
    def __init__(self) -> None:
        self._by_type: dict[type, Callable[[str, Any], Awaitable[None]]] = {}

    def register(self, command_type: type[C], execute: Executor[C]) -> None:
        if command_type in self._by_type:
            raise ValueError(f"{command_type.__name__} already has an executor")
        self._by_type[command_type] = execute

    def handles(self, command_type: type) -> bool:
        return command_type in self._by_type

    async def execute(self, request_id: str, command: Command) -> None:
        run = self._by_type.get(type(command))
        if run is None:
            if isinstance(command, CallFinished):  # a notice; nobody has to act on it
                return
            log.error("no executor for command", extra={"command": type(command).__name__})
            return
        try:
            await run(request_id, command)
        except Exception:  # one command's bug must not take the call's worker down with it
            log.exception("command executor failed",
                          extra={"command": type(command).__name__})
