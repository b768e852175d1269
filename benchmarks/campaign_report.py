"""The campaign benchmarks' printed report: one block per part, figures against targets."""

from __future__ import annotations

from typing import Any


def _verdict(met: Any) -> str:
    return "MET" if met else "NOT MET"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_import(part: dict[str, Any]) -> None:
    print(f"\n1. CSV import: {part['rows']} rows, {part['file_bytes'] / 1e6:.1f} MB "
          f"({part['entry_point']})")
    print(f"   wall {part['seconds']:.2f} s (target ≤ {part['target_seconds']:g} s), "
          f"{part['rows_per_second']:,.0f} rows/s")
    print(f"   peak RSS: importing process {part['peak_rss_mb']:.1f} MB, largest worker "
          f"{part['worker_peak_rss_mb']:.1f} MB, process + workers sampled together "
          f"{part['tree_peak_rss_mb']:.1f} MB (target ≤ {part['target_rss_mb']:g} MB)")
    print(f"   CPU: importer and workers {part['importer_and_workers_cpu_s']} s, PostgreSQL "
          f"{part['postgres_cpu_s']} s; machine busy {part['machine_busy_cores']} cores, of "
          f"which {part['others_busy_cores']} by anything else")
    print(f"   result: {part['result']}")
    print(f"   target {_verdict(part['target_met'])}")


def print_scrub(part: dict[str, Any]) -> None:
    print(f"\n2. DND scrub: {part['contacts']} contacts against {part['dnd_numbers']} DND "
          f"numbers ({part['expected_hits']} hits)")
    for v in part["variants"]:
        print(f"   {v['statistics']:<24} scrub {v['seconds']:.3f} s "
              f"({v['scrubbed']} scrubbed, {v['dnd_cdr_rows']} DND CDR rows); "
              f"re-scrub {v['rescrub_seconds']:.3f} s; correct: {v['correct']}")
    print(f"   worst {part['worst_seconds']:.3f} s (target ≤ {part['target_seconds']:g} s): "
          f"{_verdict(part['target_met'])}")


def print_dialer(part: dict[str, Any]) -> None:
    print(f"\n3. Dialer pacing ({part['duration_s_each']:g} s of calls per rate, "
          f"sustained = every call answered and pacing error ≤ "
          f"{part['max_pacing_error']:.0%})")
    print("   cpm    party    invites    achieved  error  (fitted)  INVITE lateness ms   long gaps"
          "  fail  CPU ms/call engine/PBX/carrier/PG/bench  busy cores (others)")
    print("                                                           p50/p95/p99        (lost s)")
    for row in part["rates"]:
        for party in ("raw_ari", "engine"):
            v = row[party]
            late = v.get("lateness_ms", {})
            cpu = "/".join(_ms(v["cpu_ms_per_call"].get(name))
                           for name in ("engine", "pbx", "carrier", "postgres", "bench"))
            print(f"   {row['calls_per_minute']:<6g} {party:<8} {v['invites']:>4}/"
                  f"{v['expected_calls']:<4} {v['achieved_cpm']:>8.1f}  "
                  f"{v['pacing_error']:>6.2%} ({v.get('fitted_error', 1):>6.2%})  "
                  f"{late.get('p50', 0):>6.0f}/{late.get('p95', 0):>6.0f}/"
                  f"{late.get('p99', 0):>6.0f}  {v.get('long_gaps', 0):>4} "
                  f"({v.get('long_gaps_lost_s', 0):>5.2f})  {v['failures']:>4}  "
                  f"{cpu:>36}  {v['machine_busy_cores']:>5.2f} "
                  f"({v['others_busy_cores']:.2f})")
        restarted = [party for party in ("raw_ari", "engine")
                     if "carrier_restarted" in row[party]["details"].get("before", {})]
        if restarted:
            print(f"   {'':<6} (the carrier was restarted before: {', '.join(restarted)})")
        print(f"   {'':<6} ratio engine/raw of achieved rate "
              f"{row['achieved_ratio_engine_over_raw']:.4f}; engine sustained: "
              f"{row['engine_sustained']}, raw sustained: {row['raw_sustained']}")
    print(f"   climbing stopped: {part['climb_stopped'] or 'after the last rate'}")
    raw_failed = any(not row["raw_sustained"] for row in part["rates"])
    raw_best = f"{part['raw_highest_sustained_cpm']:g}"
    print(f"   highest sustained: engine {part['engine_highest_sustained_cpm']:g} cpm, "
          f"raw ARI {raw_best if raw_failed else '≥ ' + raw_best} cpm"
          f"{'' if raw_failed else ' (no higher rate tried)'}")
    print(f"\n4. Engine CPU per placed call: {part['engine_cpu_ms_per_call']} ms "
          f"({part['engine_cpu_over']}; net of idling "
          f"{part['engine_cpu_ms_per_call_net_of_idle']} ms; idle "
          f"{part['engine_idle_cpu_ms_per_s']} ms/s). Per rate above (raw ARI rows: the "
          f"engine idling beside raw calls).")


def print_report(report: dict[str, Any]) -> None:
    print("\nCampaign benchmarks")
    if "csv_import" in report:
        print_import(report["csv_import"])
    if "dnd_scrub" in report:
        print_scrub(report["dnd_scrub"])
    if "dialer" in report:
        print_dialer(report["dialer"])
