"""The benchmarks' own stack: PostgreSQL, the PBX, the simulated carrier and the engine,
started fresh for one run with the benchmark's environment (its own ``var`` directory and
ports, so it never meets a developer's or a test run's stack).

``bench_stack(env)`` sets the environment, takes the machine's stack lock (a test run or
another benchmark goes first; two stacks at once on a small machine would disturb each
other's figures), wipes the benchmark's ``var`` directory, starts everything, waits for the
engine's ``/readyz`` and stops everything on the way out, whatever happened.
``guarded(work, stack)`` runs a benchmark's coroutine and stops it with ``StackDied`` as
soon as a process of the stack has gone (its figures would mean nothing).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Collection, Iterator, Mapping
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import asyncpg

from engine.devstack.machine_lock import one_stack_at_a_time
from engine.devstack.processes import PidFile
from engine.devstack.stack import Stack
from engine.settings import Settings
from engine.store.migrate import apply_migrations

T = TypeVar("T")


@dataclass(frozen=True)
class BenchStack:
    """A running benchmark stack and the settings it was started with."""

    stack: Stack
    settings: Settings
    # Parts being restarted on purpose ("carrier"): ``guarded`` does not call them dead.
    restarting: set[str] = field(default_factory=set)

    @property
    def var_dir(self) -> Path:
        return Path(self.settings.var_dir)

    @property
    def base_url(self) -> str:
        """The engine's HTTP API."""
        return f"http://{self.settings.http_host}:{self.settings.http_port}"

    @property
    def dsn(self) -> str:
        return self.settings.dsn

    @property
    def heard_dir(self) -> Path:
        """The simulated carrier's evidence (``calls.log``, recordings)."""
        return self.var_dir / "asterisk" / "carrier" / "spool" / "heard"

    def pids(self) -> dict[str, int | None]:
        """The running processes of the stack by part (None: not running)."""
        stack = self.stack
        return {"engine": stack.engine_pid_file.read(), "pbx": stack.pbx.pid_file.read(),
                "carrier": stack.carrier.pid_file.read(),
                "postgres": stack.postgres.pid_file.read()}

    def restart_carrier(self) -> None:
        """Stop and start the simulated carrier (its ``heard/`` evidence stays)."""
        self.restarting.add("carrier")
        try:
            self.stack.carrier.stop()
            self.stack.carrier.start()
            self.stack.carrier.wait_ready()
        finally:
            self.restarting.discard("carrier")


@contextmanager
def bench_stack(env: Mapping[str, str], *, lock: bool = True) -> Iterator[BenchStack]:
    """A fresh stack started with ``env`` added to this process's environment (the engine
    inherits it), stopped on exit. ``lock``: hold the machine's stack lock meanwhile."""
    os.environ.update(env)
    settings = Settings()
    with ExitStack() as held:
        if lock:
            held.enter_context(one_stack_at_a_time())
        stack = Stack(settings, fast_db=True)
        stack.stop_all()
        shutil.rmtree(Path(settings.var_dir), ignore_errors=True)
        try:
            stack.start_infra()
            stack.start_engine()
            stack.wait_engine_ready()
            yield BenchStack(stack, settings)
        finally:
            stack.stop_all()


@asynccontextmanager
async def scratch_database(dsn: str, prefix: str) -> AsyncIterator[str]:
    """A database of its own on the stack's PostgreSQL, migrated, that the running engine
    never looks at (no dialer, no job runner): its DSN; dropped on exit."""
    name = f"{prefix}_{int(time.time() * 1000)}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        scratch = dsn.rsplit("/", 1)[0] + "/" + name
        conn = await asyncpg.connect(scratch)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        yield scratch
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


class StackDied(RuntimeError):
    """A process of the stack ended mid-run: the run's figures mean nothing."""


def watched(stack: Stack) -> Iterator[tuple[str, str, PidFile, Path | None]]:
    yield ("carrier", "the simulated carrier Asterisk", stack.carrier.pid_file,
           stack.carrier.log_path)
    yield "pbx", "the PBX Asterisk", stack.pbx.pid_file, stack.pbx.log_path
    yield "engine", "the engine", stack.engine_pid_file, None


async def guarded(work: Awaitable[T], stack: Stack,
                  restarting: Collection[str] = frozenset()) -> T:
    """``work``, stopped with ``StackDied`` as soon as a process of the stack is gone (but
    for the parts named in ``restarting`` at that moment)."""
    async def watch() -> str:
        while True:
            await asyncio.sleep(0.5)
            for part, name, pid_file, log in watched(stack):
                if part not in restarting and pid_file.read() is None:
                    return f"{name} died mid-run" + (f" (its log: {log})" if log else "")

    main, watchdog = asyncio.ensure_future(work), asyncio.ensure_future(watch())
    await asyncio.wait({main, watchdog}, return_when=asyncio.FIRST_COMPLETED)
    if main.done():
        watchdog.cancel()
        return main.result()
    main.cancel()
    raise StackDied(watchdog.result())
