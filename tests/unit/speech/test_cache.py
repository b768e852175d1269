"""The clip cache: hits, LRU eviction under a byte bound, atomic writes, single flight."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from engine.speech.cache import AudioCache, cache_key


class Producer:
    """Writes ``size`` bytes per clip and counts its runs; ``gate`` holds it mid-write."""

    def __init__(self, size: int = 100) -> None:
        self.size = size
        self.runs = 0
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def __call__(self, dest: Path) -> None:
        self.runs += 1
        await asyncio.to_thread(append, dest, self.size // 2)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("engine broke")
        await asyncio.to_thread(append, dest, self.size - self.size // 2)


def append(path: Path, count: int) -> None:
    with path.open("ab") as out:
        out.write(b"x" * count)


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_keys_are_length_prefixed() -> None:
    assert cache_key("ab", "c") != cache_key("a", "bc")
    assert len(cache_key("x")) == 64


async def test_a_hit_does_not_produce_again(tmp_path: Path) -> None:
    cache, produce = AudioCache(tmp_path, 10_000), Producer()
    first = await cache.fetch("k1", produce)
    second = await cache.fetch("k1", produce)
    assert first == second == cache.path("k1")
    assert produce.runs == 1
    assert first.read_bytes() == b"x" * 100
    assert cache.size == 100


async def test_eviction_keeps_the_bound_and_drops_the_least_recent(tmp_path: Path) -> None:
    cache, produce = AudioCache(tmp_path, 350), Producer()
    for key in ("a", "b", "c"):
        await cache.fetch(key, produce)
    await cache.fetch("a", produce)  # a is now the most recent
    await cache.fetch("d", produce)
    assert cache.size <= 350
    assert sum(p.stat().st_size for p in files(tmp_path)) == cache.size
    assert not cache.path("b").exists()
    assert all(cache.path(k).exists() for k in ("a", "c", "d"))
    assert produce.runs == 4


async def test_a_clip_larger_than_the_bound_is_still_served(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path, 50)
    path = await cache.fetch("big", Producer(size=80))
    assert path.exists() and cache.size == 80


async def test_concurrent_requests_for_one_key_produce_once(tmp_path: Path) -> None:
    cache, produce = AudioCache(tmp_path, 10_000), Producer()
    produce.gate = asyncio.Event()
    waiters = [asyncio.create_task(cache.fetch("same", produce)) for _ in range(20)]
    await asyncio.sleep(0.01)
    assert not cache.path("same").exists()  # half-written clips are never visible
    produce.gate.set()
    paths = await asyncio.gather(*waiters)
    assert produce.runs == 1 and set(paths) == {cache.path("same")}


async def test_a_cancelled_caller_does_not_cancel_the_production(tmp_path: Path) -> None:
    cache, produce = AudioCache(tmp_path, 10_000), Producer()
    produce.gate = asyncio.Event()
    first = asyncio.create_task(cache.fetch("k", produce))
    second = asyncio.create_task(cache.fetch("k", produce))
    await asyncio.sleep(0.01)
    first.cancel()
    produce.gate.set()
    assert await second == cache.path("k")
    assert produce.runs == 1


async def test_a_failed_production_leaves_nothing_and_can_be_retried(tmp_path: Path) -> None:
    cache, produce = AudioCache(tmp_path, 10_000), Producer()
    produce.fail = True
    with pytest.raises(RuntimeError):
        await cache.fetch("k", produce)
    assert files(tmp_path) == [] and cache.size == 0
    produce.fail = False
    assert (await cache.fetch("k", produce)).exists()


async def test_load_indexes_by_mtime_and_drops_temporary_files(tmp_path: Path) -> None:
    cache, produce = AudioCache(tmp_path, 10_000), Producer()
    for key in ("old", "new"):
        await cache.fetch(key, produce)
    os.utime(cache.path("old"), (1, 1))
    leftover = cache.path("new").with_name(".tmp-dead.wav")
    leftover.write_bytes(b"partial")
    reopened = AudioCache(tmp_path, 150)
    reopened.load()
    assert not leftover.exists()
    assert not cache.path("old").exists() and cache.path("new").exists()
    assert reopened.size == 100 and len(reopened) == 1


async def test_a_clip_deleted_behind_the_cache_is_produced_again(tmp_path: Path) -> None:
    cache, produce = AudioCache(tmp_path, 10_000), Producer()
    (await cache.fetch("k", produce)).unlink()
    assert (await cache.fetch("k", produce)).exists()
    assert produce.runs == 2 and cache.size == 100
