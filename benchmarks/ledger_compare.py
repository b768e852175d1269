"""Ledger agreement, leg by leg: does each CDR leg tell what the carrier saw and heard?

A leg agrees when (1) the carrier saw a call for the number iff a CDR leg exists for it,
(2) its ``dial_status`` is the carrier's outcome with a consistent ``call_status``/``billsec``,
and (3) an answered leg's ``billsec`` is within ``BILLSEC_TOLERANCE_S`` of the carrier's
answered time (its own clock, else the recording plus its ``Answer()`` wait for media).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.ledger_evidence import CarrierEvidence, Recording
from benchmarks.ledger_plan import CallRun

BILLSEC_TOLERANCE_S = 0.2
# The carrier's outcome for a number without a recording, by the first digit of its line.
UNANSWERED_STATUS = {
    "2": ("BUSY",), "3": ("NOANSWER", "CANCEL"), "4": ("CONGESTION",), "9": ("CHANUNAVAIL",),
}
ANSWERING_LINES = ("0", "1", "5", "6", "7", "8")
CALL_STATUS = {"ANSWER": "ANSWERED", "BUSY": "BUSY", "NOANSWER": "NO ANSWER",
               "CANCEL": "NO ANSWER", "CHANUNAVAIL": "FAILED", "CONGESTION": "CONGESTION"}
EPOCH_HTTP = "Thu, 01 Jan 1970 00:00:00 GMT"


@dataclass
class LegCheck:
    number: str
    kind: str
    role: str
    request_id: str
    problems: list[str] = field(default_factory=list)
    billsec: float | None = None
    recording_s: float | None = None  # the recording's own length (soxi -D)
    answer_wait_s: float | None = None  # carrier answer -> Answer() returned (its AMI)
    carrier_events_s: float | None = None  # carrier answer -> hangup (its AMI)
    carrier_clock_s: float | None = None  # answered time in heard/answered.log

    @property
    def recorded_answered_s(self) -> float | None:
        """How long the carrier's recording says the leg was answered: the recording plus
        the time the carrier's Answer() spent waiting for media, when nothing is recorded."""
        if self.recording_s is None:
            return None
        return self.recording_s + (self.answer_wait_s or 0.0)

    @property
    def reference(self) -> str:
        return "answered.log" if self.carrier_clock_s is not None else "recording+answer_wait"

    @property
    def reference_s(self) -> float | None:
        """The carrier's answered time: its own clock when it keeps one, else the recording
        plus the answer wait."""
        if self.carrier_clock_s is not None:
            return self.carrier_clock_s
        return self.recorded_answered_s

    @property
    def error_s(self) -> float | None:
        return _abs_diff(self.billsec, self.reference_s)

    def error_vs(self, name: str) -> float | None:
        return _abs_diff(self.billsec, getattr(self, name))


def _abs_diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else abs(a - b)


def check_leg(check: LegCheck, rows: list[dict[str, Any]], evidence: CarrierEvidence) -> None:
    number = check.number
    seen = evidence.seen.get(number, [])
    recordings = evidence.recordings.get(number, [])
    channels = [evidence.channels[u] for u in seen if u in evidence.channels]
    carrier_up = any(c.up_at is not None for c in channels)
    problems = check.problems
    # (1) the carrier saw a call iff the ledger has a leg for it, once each.
    if len(seen) != len(rows):
        problems.append(f"carrier saw {len(seen)} call(s), ledger has {len(rows)} leg(s)")
    if len(recordings) > 1:
        problems.append(f"{len(recordings)} recordings")
    if channels and carrier_up != bool(recordings):
        problems.append(f"carrier evidence torn: answered={carrier_up}, "
                        f"recordings={len(recordings)}")
    if not rows:
        return
    row = rows[0]
    status = row.get("dial_status")
    billsec = row.get("billsec")
    check.billsec = float(billsec) if isinstance(billsec, int | float) else None
    line = number[-4:]
    # (2) the dial status is the carrier's outcome.
    if recordings:
        expected: tuple[str, ...] = ("ANSWER",)
    elif line[0] in UNANSWERED_STATUS:
        expected = UNANSWERED_STATUS[line[0]]
    else:
        expected = ("ANSWER",)
        problems.append(f"line {line} answers but the carrier has no recording")
    if status not in expected:
        causes = ",".join(c.cause for c in channels)
        problems.append(f"dial_status {status}, carrier says {'/'.join(expected)}"
                        f" (carrier hangup cause {causes or '?'})")
    if row.get("call_status") != CALL_STATUS.get(str(status)):
        problems.append(f"call_status {row.get('call_status')} for dial_status {status}")
    answered = status == "ANSWER"
    if answered and (check.billsec is None or row.get("answer") == EPOCH_HTTP):
        problems.append(f"answered leg with billsec {billsec} and answer {row.get('answer')}")
    if not answered and billsec is not None:
        problems.append(f"unanswered leg with billsec {billsec}")
    if row.get("end") == EPOCH_HTTP:
        problems.append("leg has no end")
    # (3) billsec is what the carrier recorded.
    if recordings:
        check_billsec(check, recordings[0], evidence)


def check_billsec(check: LegCheck, recording: Recording, evidence: CarrierEvidence) -> None:
    problems = check.problems
    check.recording_s = recording.seconds
    check.carrier_clock_s = evidence.clock.get(recording.uniqueid)
    channel = evidence.channels.get(recording.uniqueid)
    if channel is not None and channel.up_at is not None:
        if channel.answer_returned_at is not None:
            check.answer_wait_s = channel.answer_returned_at - channel.up_at
        if channel.hangup_at is not None:
            check.carrier_events_s = channel.hangup_at - channel.up_at
    if check.recording_s is None:
        problems.append(f"recording {recording.name} unreadable")
    elif (error := check.error_s) is not None and error > BILLSEC_TOLERANCE_S:
        problems.append(f"billsec {check.billsec} vs carrier {fmt(check.reference_s)} s"
                        f" ({check.reference}; recording {check.recording_s:.3f} s, answer"
                        f" wait {fmt(check.answer_wait_s)} s, AMI answer->hangup"
                        f" {fmt(check.carrier_events_s)} s)")


def compare(runs: list[CallRun], evidence: CarrierEvidence) -> list[LegCheck]:
    checks: list[LegCheck] = []
    planned: set[str] = set()
    for run in runs:
        p = run.plan
        by_number: dict[str, list[dict[str, Any]]] = {}
        for row in run.rows:
            by_number.setdefault(str(row.get("dialed_number")), []).append(row)
        for role, number in (("agent", p.agent), ("customer", p.destination)):
            planned.add(number)
            check = LegCheck(number, p.kind, role, run.request_id)
            if run.request_id and not run.rows:
                check.problems.append("call has no CDR rows")
            check_leg(check, by_number.pop(number, []), evidence)
            checks.append(check)
        for number, rows in by_number.items():
            extra = LegCheck(number, p.kind, "unplanned", run.request_id)
            extra.problems.append(f"CDR leg for a number this call never dialled: {rows}")
            checks.append(extra)
    for number in sorted(set(evidence.seen) - planned):
        stray = LegCheck(number, "?", "unplanned", "")
        stray.problems.append("the carrier saw a call for a number nobody dialled")
        checks.append(stray)
    return checks


def fmt(value: float | None, unit: str = "", digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"
