"""One real stack at a time per machine for tests and benchmarks.

The integration suite and the benchmarks each start a PBX, a carrier, PostgreSQL and an
engine; on a 2-core machine two of them at once would disturb each other's timings (and
the test stacks share ports). Whoever comes second waits for the first.
"""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MACHINE_LOCK = Path("/tmp/cpaas-engine-test-stack.lock")


@contextmanager
def one_stack_at_a_time(lock_path: Path = MACHINE_LOCK) -> Iterator[None]:
    with lock_path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for {lock_path}: another test or benchmark stack runs",
                  file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
