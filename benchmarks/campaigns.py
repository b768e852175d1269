"""Campaign benchmarks on a stack of their own: CSV import, DND scrub, dialer pacing against
raw ARI, and the engine's CPU per placed call.

1. CSV import (``campaign_import``): ``--rows`` contacts (name, number, field1..3) through
   the contact importer called directly, in a child process that reports its own wall time
   and peak RSS (its pool workers' too). Targets: ≤ 15 s, ≤ 300 MB.
2. DND scrub (``campaign_scrub``): ``--contacts`` campaign contacts against ``--dnd`` DND
   numbers (``--hits`` of them the campaign's), COPYed into a scratch database, timed
   through ``CampaignDialerRepository.scrub``. Target: ≤ 3 s.
3. Dialer (``campaign_rates``): the highest calls_per_minute sustained with pacing error
   ≤ 1 % against answer-at-once numbers, engine (through its API) next to raw ARI, from the
   carrier's own log; achieved-rate ratio, pacing error, INVITE lateness percentiles.
4. Engine CPU per placed call: the engine process's utime+stime over each dialer run.

The stack (``var/campaign-bench``, ports 47xxx) raises the account's and the dialer's caps
so they never bind. The report is printed and written to ``var/bench/campaigns.json``.

    python -m benchmarks.campaigns                      # everything
    python -m benchmarks.campaigns --only scrub,dialer --rates 300,600 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.campaign_import import import_benchmark
from benchmarks.campaign_rates import dialer_benchmark
from benchmarks.campaign_report import print_report
from benchmarks.campaign_scrub import scrub_benchmark
from benchmarks.click2call import BENCH_ENV
from benchmarks.stack import BenchStack, StackDied, bench_stack, guarded

UNBOUND = "100000"  # caps the benchmark must never meet
CAMPAIGN_ENV = {
    **BENCH_ENV,
    "ENGINE_VAR_DIR": "var/campaign-bench",
    "ENGINE_STACK_NAME": "cpaas-campaignbench",
    "ENGINE_HTTP_PORT": "47080",
    "ENGINE_DB_PORT": "47433",
    "ENGINE_ARI_URL": "http://127.0.0.1:47088",
    "ENGINE_AMI_PORT": "47038",
    "ENGINE_SIP_PORT": "47060",
    "ENGINE_TRUNK_PORT": "47070",
    "ENGINE_CARRIER_AMI_PORT": "47039",
    "ENGINE_SIMULATED_AGENTS": "",
    "ENGINE_DEFAULT_CALLS_PER_SECOND": "1000",  # the highest an account may have
    "ENGINE_DEFAULT_MAX_CONCURRENT_CALLS": UNBOUND,
    "ENGINE_DIALER_MAX_CONCURRENT_CALLS": UNBOUND,
    "ENGINE_DIALER_MAX_CALLS_PER_SECOND": UNBOUND,
    "ENGINE_DIALER_MAX_CALLS_PER_MINUTE": UNBOUND,
}
PARTS = ("import", "scrub", "dialer")
REPORT = Path("var/bench/campaigns.json")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run (default: {','.join(PARTS)})")
    parser.add_argument("--rows", type=int, default=1_000_000, help="CSV import rows")
    parser.add_argument("--contacts", type=int, default=1_000_000, help="scrub: contacts")
    parser.add_argument("--dnd", type=int, default=100_000, help="scrub: DND numbers")
    parser.add_argument("--hits", type=int, default=50_000,
                        help="scrub: DND numbers that are the campaign's")
    parser.add_argument("--rates", default=os.environ.get("CAMPAIGN_BENCH_RATES",
                                                          "300,600,1200,2400"),
                        help="dialer: calls_per_minute to try, in order")
    parser.add_argument("--extend-to", type=float, default=9600,
                        help="dialer: then double the last rate while the engine keeps up, "
                             "up to this (0: no)")
    parser.add_argument("--refine", type=int, default=3,
                        help="dialer: bisections between the highest sustained rate and "
                             "the next (default 3)")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="dialer: seconds of calls at each rate (default 20)")
    args = parser.parse_args()
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    return args


async def run(args: argparse.Namespace, bench: BenchStack) -> dict[str, Any]:
    report: dict[str, Any] = {}
    if "import" in args.parts:
        print(f"CSV import of {args.rows} rows …", flush=True)
        report["csv_import"] = await import_benchmark(bench, rows=args.rows)
    if "scrub" in args.parts:
        print(f"DND scrub of {args.contacts} contacts against {args.dnd} numbers …",
              flush=True)
        report["dnd_scrub"] = await scrub_benchmark(bench.dsn, contacts=args.contacts,
                                                    dnd=args.dnd, hits=args.hits)
    if "dialer" in args.parts:
        print("dialer pacing, engine against raw ARI …", flush=True)
        report["dialer"] = await dialer_benchmark(
            bench, rates=args.rate_list, extend_to=args.extend_to, duration=args.duration,
            refine=args.refine)
    return report


def main() -> int:
    args = parse_args()
    try:
        with bench_stack(CAMPAIGN_ENV) as bench:
            report = asyncio.run(guarded(run(args, bench), bench.stack, bench.restarting))
    except StackDied as exc:
        print(f"campaigns benchmark stopped: {exc}; no figures", flush=True)
        return 2
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"written to {REPORT}")
    sys.stdout.flush()
    met = [part["target_met"] for part in report.values() if "target_met" in part]
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())
