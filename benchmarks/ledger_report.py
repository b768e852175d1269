"""The ledger benchmark's report: agreement %, billsec error percentiles (against the
carrier's answered time and each piece of its evidence alone), request latency and calls/s,
as a JSON document (``build_report``) and a short table (``print_table``).
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.ledger_compare import BILLSEC_TOLERANCE_S, LegCheck, fmt
from benchmarks.ledger_plan import CallRun


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (as numpy's default); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def error_summary(values: Sequence[float]) -> dict[str, Any]:
    return {"n": len(values), **{f"p{q}": rounded(percentile(values, q)) for q in (50, 95, 99)},
            "max": rounded(max(values, default=None))}


def build_report(args: argparse.Namespace, runs: list[CallRun], checks: list[LegCheck], *,
                 latencies: dict[str, list[float]], elapsed: float, notes: list[str]
                 ) -> dict[str, Any]:
    agreeing = [c for c in checks if not c.problems]
    errors = [e for c in checks if (e := c.error_s) is not None]
    signed = [(c.billsec or 0.0) - (c.reference_s or 0.0)
              for c in checks if c.error_s is not None]
    per_kind: dict[str, dict[str, Any]] = {}
    for kind, count in Counter(r.plan.kind for r in runs).items():
        legs = [c for c in checks if c.kind == kind]
        kind_errors = [e for c in legs if (e := c.error_s) is not None]
        per_kind[kind] = {
            "calls": count, "legs": len(legs),
            "agreeing_legs": sum(1 for c in legs if not c.problems),
            "billsec_error_p99_s": rounded(percentile(kind_errors, 99)),
        }
    return {
        "calls": len(runs),
        "concurrency": args.concurrency,
        "rate_limit_calls_per_s": args.rate,
        "seed": args.seed,
        "mix": dict(Counter(r.plan.kind for r in runs)),
        "legs_checked": len(checks),
        "legs_agreeing": len(agreeing),
        "agreement_pct": round(100 * len(agreeing) / len(checks), 3) if checks else 0.0,
        # billsec against the carrier's answered time: its own clock (answered.log) where
        # it keeps one, else its recording plus the wait for media after its answer.
        "billsec_error_s": {
            **error_summary(errors), "tolerance": BILLSEC_TOLERANCE_S,
            "mean_signed": rounded(sum(signed) / len(signed) if signed else None),
            "references": dict(Counter(c.reference for c in checks if c.error_s is not None)),
        },
        # The same against each piece of evidence alone, for comparison.
        "billsec_error_vs_s": {
            name: error_summary([e for c in checks if (e := c.error_vs(attr)) is not None])
            for name, attr in (("carrier_clock", "carrier_clock_s"),
                               ("recording_plus_answer_wait", "recorded_answered_s"),
                               ("bare_recording", "recording_s"),
                               ("carrier_ami_answer_to_hangup", "carrier_events_s"))
        },
        "carrier_answer_wait_s": error_summary(
            [w for c in checks if (w := c.answer_wait_s) is not None]),
        "latency_ms": {
            name: {"n": len(values), "p50": rounded(percentile(values, 50), 2),
                   "p99": rounded(percentile(values, 99), 2),
                   "max": rounded(max(values, default=None), 2)}
            for name, values in latencies.items()
        },
        "seconds": round(elapsed, 2),
        "calls_per_s": round(len(runs) / elapsed, 3) if elapsed else 0.0,
        "request_errors": [{"call": asdict(r.plan), "error": r.error} for r in runs if r.error],
        "calls_not_ended_by_themselves": sum(
            1 for r in runs if r.request_id and not r.ended_by_itself),
        "per_kind": per_kind,
        "notes": notes,
        "disagreements": [leg_view(c) for c in checks if c.problems],
        "legs": [leg_view(c) for c in checks],
    }


def leg_view(check: LegCheck) -> dict[str, Any]:
    return {"number": check.number, "kind": check.kind, "role": check.role,
            "request_id": check.request_id, "billsec": check.billsec,
            "recording_s": check.recording_s, "answer_wait_s": rounded(check.answer_wait_s),
            "carrier_clock_s": rounded(check.carrier_clock_s),
            "carrier_ami_s": rounded(check.carrier_events_s),
            "error_s": rounded(check.error_s), "problems": check.problems}


def print_table(report: dict[str, Any], path: Path) -> None:
    b, c2c = report["billsec_error_s"], report["latency_ms"]["click2call"]
    vs, wait = report["billsec_error_vs_s"], report["carrier_answer_wait_s"]
    refs = ", ".join(f"{n} {name}" for name, n in b["references"].items()) or "-"
    bare = vs["bare_recording"]
    rows = [
        ("calls / legs checked", f"{report['calls']} / {report['legs_checked']}"),
        ("agreement", f"{report['agreement_pct']:.2f} % ({report['legs_agreeing']}"
                      f"/{report['legs_checked']} legs; target 100 %)"),
        ("billsec error (s)", f"p50 {fmt(b['p50'])}  p95 {fmt(b['p95'])}  p99 {fmt(b['p99'])}"
                              f"  max {fmt(b['max'])}  (n={b['n']}; target p99"
                              " <= 0.1)"),
        ("  against", refs),
        ("  vs bare recording", f"p50 {fmt(bare['p50'])}  p99 {fmt(bare['p99'])}  (carrier's"
                                f" Answer() waited for media p50 {fmt(wait['p50'])} / max"
                                f" {fmt(wait['max'])} s, unrecorded)"),
        ("click2call latency", f"p50 {fmt(c2c['p50'], ' ms', 1)}  p99 {fmt(c2c['p99'], ' ms', 1)}"),
        ("throughput", f"{report['calls_per_s']:.2f} calls/s ({report['calls']} calls in"
                       f" {report['seconds']:.1f} s, concurrency {report['concurrency']})"),
    ]
    width = max(len(name) for name, _ in rows)
    print("ledger_truth")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(f"  {'kind':<15}{'calls':>6}{'legs ok':>12}{'err p99 s':>11}")
    for kind, k in sorted(report["per_kind"].items()):
        print(f"  {kind:<15}{k['calls']:>6}{k['agreeing_legs']:>7}/{k['legs']:<4}"
              f"{fmt(k['billsec_error_p99_s']):>11}")
    for note in report["notes"]:
        print(f"  note: {note}")
    for error in report["request_errors"][:10]:
        print(f"  request error: {error}")
    if report["disagreements"]:
        print(f"  disagreements ({len(report['disagreements'])}, first 10):")
        for d in report["disagreements"][:10]:
            print(f"    {d['number']} {d['role']} ({d['kind']}, {d['request_id'] or '-'}):"
                  f" {'; '.join(d['problems'])}")
    print(f"  report: {path}")

