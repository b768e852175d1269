"""The fsync'd call journal and the snapshot outbox, with an in-memory repository."""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from engine.calls.outbox import SnapshotOutbox
from engine.domain.call import Call, CallState, Origin
from engine.domain.errors import Unavailable
from engine.domain.flow import FlowConfig, begin
from engine.domain.numbers import Extension, External
from engine.store.call_codec import call_to_json
from engine.store.calls import CallRepository
from engine.store.journal import CallJournal

CONFIG = FlowConfig(dial_timeout=5)


class MemoryCalls:
    """A repository that refuses every save while ``fail`` is set."""

    def __init__(self) -> None:
        self.saved: dict[str, Call] = {}
        self.fail = False
        self.attempts = 0

    async def save(self, call: Call) -> None:
        self.attempts += 1
        if self.fail:
            raise Unavailable("database is not available")
        self.saved[call.request_id] = call

    async def live_calls(self) -> list[Call]:
        return [c for c in self.saved.values() if c.state is not CallState.ENDED]


def new_call(request_id: str = "0123456789", revision: int = 0) -> Call:
    call = Call(request_id=request_id, account_id="account_1", origin=Origin.CLICK2CALL,
                state=CallState.DIALING_AGENT, caller_id="15168148111", agent=Extension("101"),
                customer=External("15168141000"), created_at=datetime.now(UTC))
    return replace(begin(call, CONFIG)[0], revision=revision)


def outbox(tmp_path: Path) -> tuple[SnapshotOutbox, MemoryCalls, CallJournal]:
    repo = MemoryCalls()
    journal = CallJournal(tmp_path / "spool" / "calls.journal")
    return SnapshotOutbox(cast(CallRepository, repo), journal), repo, journal


def revisions(journal: CallJournal) -> list[tuple[str, int]]:
    return [(s["request_id"], s["revision"]) for s in journal.read()]


# ---- the journal ------------------------------------------------------------------------


def test_append_makes_each_line_durable_before_returning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = CallJournal(tmp_path / "deep" / "dir" / "journal")
    seen_at_fsync: list[bytes] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        seen_at_fsync.append(journal.path.read_bytes())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    journal.append({"request_id": "a", "revision": 1})
    journal.append({"request_id": "b", "revision": 2})
    assert len(seen_at_fsync) == 2
    assert seen_at_fsync[0].count(b"\n") == 1  # the line was written before the fsync
    assert seen_at_fsync[1].count(b"\n") == 2
    assert journal.read() == [{"request_id": "a", "revision": 1},
                              {"request_id": "b", "revision": 2}]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600


def test_read_skips_a_torn_line_and_a_non_object(tmp_path: Path) -> None:
    journal = CallJournal(tmp_path / "journal")
    journal.append({"n": 1})
    with journal.path.open("ab") as handle:
        handle.write(b"[1, 2]\n")
    with journal.path.open("ab") as handle:
        handle.write(b'{"n": 9, "le\n')  # garbage in the middle does not end the reading
    journal.append({"n": 2})
    with journal.path.open("ab") as handle:
        handle.write(b'{"n": 3, "legs": [{"ro')  # the process died mid-write
    assert journal.read() == [{"n": 1}, {"n": 2}]


def test_clear_empties_and_a_missing_journal_reads_empty(tmp_path: Path) -> None:
    journal = CallJournal(tmp_path / "journal")
    assert journal.read() == []
    journal.clear()  # nothing to clear: no error, no file
    assert not journal.path.exists()
    journal.append({"n": 1})
    journal.clear()
    assert journal.read() == []
    assert journal.path.stat().st_size == 0
    journal.append({"n": 2})
    assert journal.read() == [{"n": 2}]


# ---- the outbox -------------------------------------------------------------------------


async def test_a_refused_save_returns_false_and_journals_the_snapshot(tmp_path: Path) -> None:
    box, repo, journal = outbox(tmp_path)
    repo.fail = True
    assert await box.save(new_call(revision=3)) is False
    assert revisions(journal) == [("0123456789", 3)]
    assert repo.saved == {}


async def test_any_exception_from_the_driver_is_journaled(tmp_path: Path) -> None:
    class Exploding(MemoryCalls):
        async def save(self, call: Call) -> None:
            raise ConnectionResetError("driver gave up")

    journal = CallJournal(tmp_path / "journal")
    box = SnapshotOutbox(cast(CallRepository, Exploding()), journal)
    assert await box.save(new_call(revision=1)) is False
    assert revisions(journal) == [("0123456789", 1)]


async def test_a_stored_save_returns_true_and_journals_nothing(tmp_path: Path) -> None:
    box, repo, journal = outbox(tmp_path)
    assert await box.save(new_call(revision=1)) is True
    assert repo.saved["0123456789"].revision == 1
    assert journal.read() == []


async def test_spool_dedupes_by_revision(tmp_path: Path) -> None:
    box, _, journal = outbox(tmp_path)
    await box.spool(new_call(revision=2))
    await box.spool(new_call(revision=2))
    await box.spool(new_call(revision=1))  # older than what is spooled: nothing new
    box.spool_now(new_call(revision=2))
    await box.spool(new_call(revision=3))
    box.spool_now(new_call(revision=4))
    assert revisions(journal) == [("0123456789", 2), ("0123456789", 3), ("0123456789", 4)]


async def test_the_journal_empties_once_every_spooled_call_is_stored(tmp_path: Path) -> None:
    box, repo, journal = outbox(tmp_path)
    repo.fail = True
    assert not await box.save(new_call("aaaaaaaaaa", revision=1))
    assert not await box.save(new_call("bbbbbbbbbb", revision=1))
    repo.fail = False
    # An older revision than the one spooled does not count as stored.
    await box.save(new_call("aaaaaaaaaa", revision=0))
    assert len(journal.read()) == 2
    await box.save(new_call("aaaaaaaaaa", revision=2))
    assert len(journal.read()) == 2  # bbbbbbbbbb is still only in the journal
    await box.save(new_call("bbbbbbbbbb", revision=1))
    assert journal.read() == []
    assert {k: c.revision for k, c in repo.saved.items()} == {"aaaaaaaaaa": 2, "bbbbbbbbbb": 1}


async def test_a_snapshot_spooled_while_the_journal_was_being_emptied_is_kept(
    tmp_path: Path
) -> None:
    box, repo, journal = outbox(tmp_path)
    repo.fail = True
    assert not await box.save(new_call("aaaaaaaaaa", revision=1))
    repo.fail = False
    # bbbbbbbbbb's append holds the journal while aaaaaaaaaa is stored: the journal must not
    # be emptied under it.
    await asyncio.gather(box.spool(new_call("bbbbbbbbbb", revision=1)),
                         box.save(new_call("aaaaaaaaaa", revision=1)))
    assert ("bbbbbbbbbb", 1) in revisions(journal)


async def test_replay_stores_the_newest_revision_per_call_then_clears(tmp_path: Path) -> None:
    box, repo, journal = outbox(tmp_path)
    # Out of order, as two engine runs may have left them.
    for rid, rev in [("aaaaaaaaaa", 1), ("bbbbbbbbbb", 4), ("aaaaaaaaaa", 3),
                     ("aaaaaaaaaa", 2)]:
        journal.append(call_to_json(new_call(rid, revision=rev)))
    assert await box.replay(retry_delay=0.001) == 2
    assert repo.attempts == 2  # one save per call, not per snapshot
    assert {k: c.revision for k, c in repo.saved.items()} == {"aaaaaaaaaa": 3, "bbbbbbbbbb": 4}
    assert repo.saved["aaaaaaaaaa"].legs[0].channel_id == "aaaaaaaaaa.1"
    assert journal.read() == []


async def test_replay_skips_unreadable_entries(tmp_path: Path) -> None:
    box, repo, journal = outbox(tmp_path)
    journal.append({"request_id": "broken"})
    await box.spool(new_call(revision=5))
    assert await box.replay(retry_delay=0.001) == 1
    assert repo.saved["0123456789"].revision == 5
    assert journal.read() == []


async def test_replay_waits_while_the_database_refuses(tmp_path: Path) -> None:
    box, repo, journal = outbox(tmp_path)
    await box.spool(new_call(revision=7))
    repo.fail = True
    replay: asyncio.Task[Any] = asyncio.create_task(box.replay(retry_delay=0.001))
    while repo.attempts < 3:
        await asyncio.sleep(0.001)
    assert not replay.done()
    assert revisions(journal) == [("0123456789", 7)]  # kept until it is stored
    repo.fail = False
    assert await asyncio.wait_for(replay, 1) == 1
    assert repo.saved["0123456789"].revision == 7
    assert journal.read() == []


async def test_replay_of_an_empty_journal_stores_nothing(tmp_path: Path) -> None:
    box, repo, _ = outbox(tmp_path)
    assert await box.replay(retry_delay=0.001) == 0
    assert repo.attempts == 0


async def test_replay_keeps_what_calls_journaled_while_it_waited(tmp_path: Path) -> None:
    box, repo, journal = outbox(tmp_path)
    await box.spool(new_call("aaaaaaaaaa", revision=3))
    repo.fail = True
    replay: asyncio.Task[Any] = asyncio.create_task(box.replay(retry_delay=0.001))
    while repo.attempts < 2:
        await asyncio.sleep(0.001)
    assert not await box.save(new_call("bbbbbbbbbb", revision=1))  # journaled meanwhile
    repo.fail = False
    assert await asyncio.wait_for(replay, 1) == 1
    assert revisions(journal) == [("bbbbbbbbbb", 1)]  # not erased with the replayed one


def test_an_append_after_a_torn_line_stays_readable(tmp_path: Path) -> None:
    journal = CallJournal(tmp_path / "journal.jsonl")
    journal.append({"n": 1})
    with journal.path.open("ab") as handle:
        handle.write(b'{"n": 2, "torn')  # the process died mid-write
    journal.append({"n": 3})
    assert journal.read() == [{"n": 1}, {"n": 3}]
