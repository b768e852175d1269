"""ARI events to domain events: a leg back from answering-machine detection (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.ari.events import AriEvent, parse_event
from engine.calls.translate import translate
from engine.domain.events import LegAnswered, LegNamed, MachineVerdict
from tests.unit.ari.support import load_fixture

AT = datetime(2026, 11, 23, 11, 20, 18, 72000, tzinfo=UTC)


def amd_start(*args: str) -> AriEvent:
    data: dict[str, Any] = load_fixture("stasis_start_amd")
    if args:
        data["args"] = list(args)
    return parse_event(data)


def test_the_recorded_verdict_is_a_machine_at_asterisks_time() -> None:
    assert translate(amd_start()) == [
        MachineVerdict("fx-leg-amd", machine=True, status="MACHINE",
                       cause="LONGGREETING-1500-1500", at=AT)]


@pytest.mark.parametrize(("status", "cause"), [
    ("HUMAN", "HUMAN-800-800"),
    ("NOTSURE", "TOOLONG-5000"),
    ("HANGUP", ""),
])
def test_anything_but_machine_is_not_a_machine(status: str, cause: str) -> None:
    assert translate(amd_start("amd", status, cause)) == [
        MachineVerdict("fx-leg-amd", machine=False, status=status, cause=cause, at=AT)]


def test_missing_status_and_cause_are_empty_not_an_error() -> None:
    assert translate(amd_start("amd")) == [
        MachineVerdict("fx-leg-amd", machine=False, status="", cause="", at=AT)]


def test_coming_back_answered_is_not_a_second_answer() -> None:
    events = translate(amd_start())
    assert not any(isinstance(e, LegAnswered | LegNamed) for e in events)


def test_the_same_channel_entering_as_a_leg_is_still_answered() -> None:
    # Only the "amd" args make a verdict: an answered leg's first StasisStart answers it.
    events = translate(amd_start("leg"))
    assert [type(e) for e in events] == [LegNamed, LegAnswered]


def test_leaving_for_the_dialplan_ends_nothing() -> None:
    assert translate(parse_event(load_fixture("stasis_end"))) == []
