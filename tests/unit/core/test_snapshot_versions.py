"""Versioned call snapshots: old versions migrate, unreadable ones are closed cleanly, and a
program's secret (an OTP) never reaches a snapshot."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.ari.backoff import Backoff
from engine.calls.executors import CommandExecutors
from engine.calls.outbox import SnapshotOutbox
from engine.calls.router import CallRouter
from engine.domain.call import Call, CallState, Origin
from engine.domain.commands import Command, Hangup
from engine.domain.events import LegAnswered
from engine.domain.flow import FlowConfig, advance, begin
from engine.domain.numbers import External
from engine.domain.otp import otp_program, otp_utterance
from engine.domain.program_call import holds_redacted_secret
from engine.domain.speech import Prosody, TtsEngine, Voice
from engine.store.call_codec import (
    SNAPSHOT_VERSION,
    UnreadableSnapshot,
    call_from_json,
    call_to_json,
)
from engine.store.calls import UnreadableCall
from engine.store.journal import CallJournal

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CONFIG = FlowConfig(dial_timeout=30)
RID = "0123456789"


def v1_snapshot() -> dict[str, Any]:
    """A consulting click2call as the wave-1 engine wrote it."""
    leg = {"role": "agent", "party": {"kind": "extension", "number": "101"},
           "channel_id": f"{RID}.1", "state": "answered", "created_at": NOW.isoformat(),
           "channel_name": "PJSIP/101-1", "answered_at": NOW.isoformat(), "ended_at": None,
           "dial_status": "ANSWER", "hangup_cause": None, "dtmf": "", "cancelled": False,
           "released": False, "dropped_by_pbx": False}
    customer = {**leg, "role": "customer", "party": {"kind": "number", "number": "15551230001"},
                "channel_id": f"{RID}.2", "channel_name": "PJSIP/carrier-2"}
    return {"request_id": RID, "account_id": "account_1", "origin": "click2call",
            "state": "consulting", "caller_id": "15168148111",
            "agent": {"kind": "extension", "number": "101"},
            "customer": {"kind": "number", "number": "15551230001"},
            "created_at": NOW.isoformat(), "recording": "off", "transcript": False,
            "legs": [leg, customer], "bridge_id": RID, "recordings": [],
            "failure_playback_id": f"{RID}.failure", "held_channel_id": f"{RID}.2",
            "legs_dialled": 2, "ended_at": None, "inbound_did": "", "revision": 7}


def test_a_v1_snapshot_is_migrated() -> None:
    call = call_from_json(v1_snapshot())
    assert call.state is CallState.CONSULTING and call.revision == 7
    agent, customer = call.legs
    assert agent.playback_id == f"{RID}.failure" and not agent.held
    assert customer.held and customer.playback_id is None
    assert call.held_leg() == customer
    assert call.timers == () and call.program is None and call.answer_program == ()
    # Written back, it is the current version and reads the same.
    again = call_to_json(call)
    assert again["snapshot_version"] == SNAPSHOT_VERSION
    assert call_from_json(again) == call


@pytest.mark.parametrize("damage", [
    {"snapshot_version": SNAPSHOT_VERSION + 1},  # a newer engine's
    {"snapshot_version": "2"},
    {"renamed_field": 1},
    {"state": "no-such-state"},
    {"legs": "not a list"},
])
def test_snapshots_this_engine_cannot_read_raise_one_error(damage: dict[str, Any]) -> None:
    data = {**call_to_json(call_from_json(v1_snapshot())), **damage}
    with pytest.raises(UnreadableSnapshot):
        call_from_json(data)


def otp_call() -> Call:
    voice = Voice(TtsEngine.STANDARD, "en-us", "en-US", "female")
    program = otp_program(otp_utterance("Your code is", "731946", "", voice, Prosody()), 2)
    call = Call(request_id=RID, account_id="account_1", origin=Origin.OTP,
                state=CallState.DIALING_CUSTOMER, caller_id="15168148111", created_at=NOW,
                customer=External("15168141000"), answer_program=program)
    call, _ = begin(call, CONFIG)
    call, _ = advance(call, LegAnswered(f"{RID}.1", NOW), CONFIG)
    return call


def test_a_running_program_round_trips_without_its_secret() -> None:
    call = otp_call()
    assert call.program is not None and not holds_redacted_secret(call.program)
    text = json.dumps(call_to_json(call))
    assert "731946" not in text
    restored = call_from_json(json.loads(text))
    assert restored.program is not None
    assert holds_redacted_secret(restored.program)
    assert holds_redacted_secret(restored.answer_program)
    # Everything but the secret is as it was.
    assert restored.program.channel_id == call.program.channel_id
    assert restored.program.waiting == call.program.waiting
    assert restored.legs == call.legs and restored.state is CallState.PROGRAM


class _Repo:
    def __init__(self, unreadable: list[UnreadableCall]) -> None:
        self.unreadable = unreadable
        self.closed: list[str] = []

    async def live_calls(self) -> tuple[list[Call], list[UnreadableCall]]:
        return [], self.unreadable

    async def close_unreadable(self, request_id: str, at: datetime) -> None:
        self.closed.append(request_id)

    async def save(self, call: Call) -> None:
        pass


async def test_restore_closes_an_unreadable_call_and_hangs_its_channels_up(
    tmp_path: Path,
) -> None:
    repo = _Repo([UnreadableCall(RID, (f"{RID}.1", f"{RID}.2"), "unknown fields")])
    executed: list[Command] = []

    async def record(request_id: str, command: Hangup) -> None:
        executed.append(command)

    def executors(feedback: Any) -> CommandExecutors:
        registry = CommandExecutors()
        registry.register(Hangup, record)
        return registry

    calls: Any = repo
    outbox = SnapshotOutbox(calls, CallJournal(tmp_path / "journal"))
    router = CallRouter(executors, calls, outbox, CONFIG, save_retry=lambda: Backoff(0.01, 0.1))
    await asyncio.wait_for(router.restore(), 2)
    assert executed == [Hangup(f"{RID}.1"), Hangup(f"{RID}.2")]
    assert repo.closed == [RID]
    assert router.live_call_count() == 0
