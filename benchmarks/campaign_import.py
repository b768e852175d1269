"""CSV import benchmark: ``rows`` contacts (``name,number,field1,field2,field3`` with a
header, valid US numbers on the carrier's answer line) imported into one contact list by
the streaming importer called directly (``engine.services.csv_import.import_csv``: the
account's file store, read as a stream, validated in 2 worker processes, written in one
transaction), into a scratch database of the stack's PostgreSQL.

The import runs in a child process of its own (``python -m benchmarks.campaign_import
--child …``), so its memory is the importer's alone: it reports its wall time (from the
call to ``import_csv`` to its return, worker start included) and its peak RSS
(``getrusage``), while this process samples the RSS of the child and of its workers every
20 ms (``/proc/<pid>/status`` VmRSS): the largest worker, and all of them together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.campaign_data import hex_id, write_contacts_csv
from benchmarks.campaign_pacing import CpuSample, MachineSample, process_cpu_seconds
from benchmarks.stack import BenchStack, scratch_database
from engine.ari.backoff import Backoff
from engine.files.local import LocalFileStore
from engine.services.csv_import import import_csv
from engine.store.db import Database

ACCOUNT = "bench_import"
FILE_NAME = "bench-contacts.csv"
ENTRY_POINT = "engine.services.csv_import.import_csv"
TARGET_SECONDS, TARGET_RSS_MB = 15.0, 300.0


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_rss_kb(pid: int) -> dict[int, int]:
    """RSS of each direct child of ``pid`` (the importer's pool workers), by pid."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == str(pid):
            found[int(entry.name)] = rss_kb(int(entry.name))
    return found


@dataclass
class RssPeaks:
    """Highest RSS seen, in kB: the process, its largest worker, both together."""

    process: int = 0
    worker: int = 0
    together: int = 0
    cpu_s: dict[int, float] = field(default_factory=dict)  # last seen, by pid
    busy_cores: float = 0.0  # the machine's, while the child ran
    wall_s: float = 0.0  # the child's run, start to exit

    def sample(self, pid: int) -> None:
        own, workers = rss_kb(pid), children_rss_kb(pid)
        self.process = max(self.process, own)
        self.worker = max(self.worker, *workers.values(), 0)
        self.together = max(self.together, own + sum(workers.values()))
        for each in (pid, *workers):
            seconds = process_cpu_seconds(each)
            if seconds is not None:
                self.cpu_s[each] = seconds


async def child_import(dsn: str, root: Path, list_id: str) -> dict[str, Any]:
    """In the child: the import itself, timed, with this process's peak RSS."""
    db = Database(dsn, min_size=1, max_size=2, backoff=Backoff(0.5, 5.0))
    await db.connect_once()
    try:
        started = time.perf_counter()
        report = await import_csv(db, LocalFileStore(root), ACCOUNT, list_id, FILE_NAME,
                                  workers=2)
        seconds = time.perf_counter() - started
    finally:
        await db.close()
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": seconds, "peak_rss_kb": own.ru_maxrss,
            "cpu_s": own.ru_utime + own.ru_stime,
            "report": {"rows": report.rows, "imported": report.imported,
                       "duplicates": report.duplicates, "rejected": report.rejected,
                       "errors": [str(e) for e in report.errors[:3]]}}


async def run_child(dsn: str, root: Path, list_id: str) -> tuple[dict[str, Any], RssPeaks]:
    """The child's answer, and the RSS peaks of it and its workers, sampled."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.campaign_import", "--child", "--dsn", dsn,
        "--root", str(root), "--list-id", list_id,
        stdout=asyncio.subprocess.PIPE)
    peaks = RssPeaks()
    machine, started = MachineSample.now(), time.perf_counter()
    output = asyncio.ensure_future(proc.communicate())
    while not output.done():
        peaks.sample(proc.pid)
        await asyncio.wait({output}, timeout=0.02)
    stdout, _ = output.result()
    peaks.busy_cores = machine.busy_cores(MachineSample.now())
    peaks.wall_s = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"the import child failed ({proc.returncode}): {stdout!r}")
    answer: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return answer, peaks


async def import_benchmark(bench: BenchStack, *, rows: int) -> dict[str, Any]:
    root = bench.var_dir / "bench-files"
    store = LocalFileStore(root)
    size = write_contacts_csv(store.path_of(ACCOUNT, FILE_NAME), rows)
    async with scratch_database(bench.dsn, "bench_import") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            list_id = hex_id("LS")
            await conn.execute("INSERT INTO accounts (account_id, token_salt, token_hash) "
                               "VALUES ($1, 'x', 'y')", ACCOUNT)
            await conn.execute("INSERT INTO contact_lists (list_id, account_id, name) "
                               "VALUES ($1, $2, 'bench')", list_id, ACCOUNT)
            postgres = bench.pids()["postgres"]
            before = CpuSample.of(postgres, tree=True)
            answer, peaks = await run_child(dsn, root, list_id)
            postgres_cpu = before.until(CpuSample.of(postgres, tree=True)) or 0.0
            stored = int(await conn.fetchval(
                "SELECT count(*) FROM contacts WHERE list_id = $1", list_id))
        finally:
            await conn.close()
    seconds, peak_mb = answer["seconds"], answer["peak_rss_kb"] / 1024
    return {
        "rows": rows, "file_bytes": size, "entry_point": ENTRY_POINT, "workers": 2,
        "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(peak_mb, 1),
        "sampled_peak_rss_mb": round(peaks.process / 1024, 1),
        "worker_peak_rss_mb": round(peaks.worker / 1024, 1),
        "tree_peak_rss_mb": round(peaks.together / 1024, 1),
        "importer_cpu_s": round(answer["cpu_s"], 2),
        "importer_and_workers_cpu_s": round(sum(peaks.cpu_s.values()), 2),
        "postgres_cpu_s": round(postgres_cpu, 2),
        "machine_busy_cores": round(peaks.busy_cores, 2),
        "others_busy_cores": round(max(0.0, peaks.busy_cores - (sum(peaks.cpu_s.values())
                                                                + postgres_cpu)
                                       / max(peaks.wall_s, 0.001)), 2),
        "result": answer["report"] | {"contacts_in_list": stored},
        "target_seconds": TARGET_SECONDS, "target_rss_mb": TARGET_RSS_MB,
        "target_rss_applies_to": "the importing process (peak_rss_mb); tree_peak_rss_mb "
                                 "adds its 2 worker processes",
        "target_met": (seconds <= TARGET_SECONDS and peak_mb <= TARGET_RSS_MB
                       and stored == rows == answer["report"]["imported"]),
    }


def child_main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--list-id", required=True)
    args = parser.parse_args()
    answer = asyncio.run(child_import(args.dsn, args.root, args.list_id))
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main())
