"""Ledger agreement: do the engine's CDRs tell what the simulated carrier saw and heard?

Places click2call calls of mixed outcomes through the engine's API on a real local stack
of its own (``var/ledger-bench/``, ports 3xxxx), waits until every call has ended, then
compares each CDR leg with the carrier's own evidence: ``heard/calls.log`` (one line per
call that reached it), its recordings (``heard/<number>-<uniqueid>.wav``), its clock of
answered calls (``heard/answered.log``, when the carrier keeps one) and its AMI event
stream, followed during the run. Every agent and destination number is used once, so each
carrier line and recording maps to exactly one CDR leg by number.

A leg agrees when (1) the carrier saw a call for the number iff a CDR leg exists for it,
(2) its ``dial_status`` is the carrier's outcome (a recording means ANSWER; otherwise the
line decides: 2xxx BUSY, 3xxx NOANSWER or CANCEL, 4xxx CONGESTION, 9xxx CHANUNAVAIL) with a
consistent ``call_status``/``billsec``, and (3) an answered leg's ``billsec`` is within
0.2 s of the carrier's answered time. That is its own clock where it keeps one, else the
recording's length (``soxi -D``) plus the time its ``Answer()`` waited for the first media
frame (up to 0.5 s, never in the file; measured from its AMI). The report gives agreement
%, billsec error percentiles, request latency and calls/s; it exits 1 below 100 %.

    python -m benchmarks.ledger_truth --calls 300 --concurrency 20

This module starts and stops the stack; the calls are in ``ledger_plan``, the carrier's
evidence in ``ledger_evidence``, the leg checks in ``ledger_compare`` and the report in
``ledger_report``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

from benchmarks.ledger_compare import compare
from benchmarks.ledger_evidence import CarrierEvents, asterisk_idle, read_carrier
from benchmarks.ledger_plan import drive, make_plan
from benchmarks.ledger_report import build_report, print_table

LEDGER_ENV = {
    "ENGINE_VAR_DIR": "var/ledger-bench",
    "ENGINE_STACK_NAME": "cpaas-ledger",
    "ENGINE_HTTP_PORT": "38080",
    "ENGINE_DB_PORT": "35433",
    "ENGINE_ARI_URL": "http://127.0.0.1:38088",
    "ENGINE_AMI_PORT": "35038",
    "ENGINE_SIP_PORT": "35060",
    "ENGINE_TRUNK_PORT": "35080",
    "ENGINE_CARRIER_AMI_PORT": "35039",
    "ENGINE_BOOTSTRAP_ACCOUNTS": "account_1:ledger-token",
    "ENGINE_DIAL_TIMEOUT_SECONDS": "4",
    "ENGINE_SHUTDOWN_GRACE_SECONDS": "5",
    "ENGINE_SIMULATED_AGENTS": "",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("LEDGER_CALLS", "300")))
    parser.add_argument("--concurrency", type=int,
                        default=int(os.environ.get("LEDGER_CONCURRENCY", "20")))
    parser.add_argument("--rate", type=float, default=10.0,
                        help="at most this many new calls per second (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="shuffles the mix of outcomes")
    args = parser.parse_args()
    log_level = os.environ.get("ENGINE_LOG_LEVEL", "WARNING")
    os.environ.update(LEDGER_ENV)
    os.environ["ENGINE_LOG_LEVEL"] = log_level

    from engine.devstack.stack import Stack  # noqa: PLC0415 - after the environment is set
    from engine.settings import Settings  # noqa: PLC0415

    settings = Settings()
    var_dir = Path(settings.var_dir)
    heard = var_dir / "asterisk" / "carrier" / "spool" / "heard"
    plan = make_plan(args.calls, args.seed)
    stack = Stack(settings, fast_db=True)
    stack.stop_all()
    shutil.rmtree(var_dir, ignore_errors=True)
    carrier = CarrierEvents("127.0.0.1", settings.carrier_ami_port, settings.ami_user,
                            settings.ami_password.get_secret_value())
    try:
        stack.start_infra()
        stack.start_engine()
        stack.wait_engine_ready()
        base_url = f"http://{settings.http_host}:{settings.http_port}"
        runs, latencies, elapsed, notes = asyncio.run(
            drive(base_url, plan, args, carrier, lambda: asterisk_idle(stack)))
        evidence = read_carrier(heard, carrier.channels)
    finally:
        stack.stop_all()
    checks = compare(runs, evidence)
    report = build_report(args, runs, checks, latencies=latencies, elapsed=elapsed,
                          notes=notes)
    path = var_dir / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report, path)
    sys.stdout.flush()
    ok = report["legs_agreeing"] == report["legs_checked"] and not report["request_errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
