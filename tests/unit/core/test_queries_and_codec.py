from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.domain.call import Call, CallState, Leg, LegState, Origin, RecordingOption, Role
from engine.domain.numbers import Extension, External
from engine.store.call_codec import call_from_json, call_to_json
from engine.store.migrate import discover_migrations
from engine.store.queries import Queries, UnknownQuery, parse_queries


def test_named_queries_parse() -> None:
    queries = parse_queries("-- name: one\nSELECT 1;\n\n-- name: two\nSELECT 2\n")
    assert queries == {"one": "SELECT 1", "two": "SELECT 2"}


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse_queries("-- name: one\nSELECT 1;\n-- name: one\nSELECT 2;")


def test_shipped_queries_load_and_unknown_names_raise() -> None:
    queries = Queries()
    assert "SELECT" in queries["get_account"]
    with pytest.raises(UnknownQuery):
        queries["nope"]


def test_migrations_are_ordered_and_unique() -> None:
    versions = [m.version for m in discover_migrations()]
    assert versions == sorted(versions)
    assert versions[:2] == ["001", "002"]


def test_call_snapshot_round_trips() -> None:
    now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    call = Call(
        request_id="0123456789", account_id="account_1", origin=Origin.CLICK2CALL,
        state=CallState.BRIDGED, caller_id="15168148111", agent=Extension("101"),
        customer=External("15168141000"), created_at=now, recording=RecordingOption.AGENT,
        transcript=True, recordings=("0123456789-agent",), bridge_id="0123456789",
        legs=(
            Leg(Role.AGENT, Extension("101"), "0123456789.1", LegState.ANSWERED, now,
                channel_name="PJSIP/101-00000001", answered_at=now, dial_status="ANSWER"),
            Leg(Role.CUSTOMER, External("15168141000"), "0123456789.2", LegState.GONE, now,
                ended_at=now, dial_status="BUSY", hangup_cause=17, cancelled=True),
        ),
        legs_dialled=2,
    )
    assert call_from_json(call_to_json(call)) == call


def test_a_campaign_calls_attempt_survives_the_snapshot() -> None:
    from dataclasses import replace

    from engine.domain.call import CampaignRef

    call = Call("0123456789", "acct", Origin.CAMPAIGN, CallState.DIALING_CUSTOMER,
                "15168148111", datetime(2026, 11, 23, tzinfo=UTC),
                customer=External("15162011000"))
    attempt = CampaignRef("CM0123456789", "LS0123456789", 42, 3, 1)
    restored = call_from_json(call_to_json(replace(call, campaign=attempt)))
    assert restored.campaign == attempt
    assert call_from_json(call_to_json(call)).campaign is None
