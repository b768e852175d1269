"""ARI events to domain events: Asterisk's times, and who ended a leg (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.ari.events import AriEvent, parse_event
from engine.calls.translate import translate
from engine.domain.cdr import CAUSE_PBX_UNAVAILABLE
from engine.domain.events import LegAnswered, LegDroppedByPbx, LegGone, LegNamed, LegRinging
from tests.unit.ari.support import load_fixture

STAMP = "2026-11-22T08:52:42.033+0000"
AT = datetime(2026, 11, 22, 8, 52, 42, 33000, tzinfo=UTC)


def fixture(name: str, **changes: Any) -> AriEvent:
    data = load_fixture(name)
    channel = changes.pop("channel", None)
    if channel is not None:
        data["channel"] = {**data["channel"], **channel}
    return parse_event({**data, **changes})


def test_a_destroyed_channel_ends_at_asterisks_time_with_its_cause() -> None:
    assert translate(fixture("channel_destroyed")) == [LegGone("fx-leg-a", AT, 16)]


def test_times_are_the_events_own_never_the_clock() -> None:
    old = "2020-01-02T03:04:05.678+0000"
    gone = translate(fixture("channel_destroyed", timestamp=old))
    assert gone == [LegGone("fx-leg-a", datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), 16)]
    # An offset other than UTC is the same instant.
    answered = translate(fixture("channel_state_change", timestamp="2026-11-22T10:52:42.033+0200"))
    assert answered == [LegAnswered("fx-leg-b", AT, "Local/600@from-agents-00000003;1")]
    assert isinstance(answered[0], LegAnswered) and answered[0].at == AT


def test_ringing_is_timed_by_the_event_too() -> None:
    ringing = translate(fixture("channel_state_change", timestamp=STAMP,
                                channel={"state": "Ringing"}))
    assert ringing == [LegRinging("fx-leg-b", AT)]


@pytest.mark.parametrize("status", ["RINGING", "PROGRESS"])
def test_a_dial_that_rings_or_plays_early_media_is_ringing(status: str) -> None:
    # A far end answering 183 then 180 does not always change the channel's state.
    dial = translate(fixture("dial_begin", dialstatus=status, timestamp=STAMP))
    assert dial == [LegRinging("fx-leg-a", AT)]


def test_a_channel_destroyed_with_no_cause_is_the_pbxs_failure() -> None:
    gone = translate(fixture("channel_destroyed", cause=0, cause_txt="Unknown"))
    assert gone == [LegGone("fx-leg-a", AT, CAUSE_PBX_UNAVAILABLE)]
    assert CAUSE_PBX_UNAVAILABLE == 901


@pytest.mark.parametrize("cause", [1, 17, 19, 21, 34])
def test_a_real_cause_is_kept(cause: int) -> None:
    assert translate(fixture("channel_destroyed", cause=cause)) == [LegGone("fx-leg-a", AT, cause)]


def test_the_pbx_shutting_down_drops_the_leg() -> None:
    event = fixture("channel_hangup_request_soft", cause=4)
    assert translate(event) == [LegDroppedByPbx("fx-snoop-a")]


def test_shutdown_combined_with_other_soft_flags_still_counts() -> None:
    assert translate(fixture("channel_hangup_request_soft", cause=4 | 32)) == [
        LegDroppedByPbx("fx-snoop-a")]


def test_an_ari_delete_is_not_the_pbxs_doing() -> None:
    # The recorded soft request: cause 32, AST_SOFTHANGUP_EXPLICIT.
    event = fixture("channel_hangup_request_soft")
    assert translate(event) == []


@pytest.mark.parametrize("changes", [
    {},  # the recorded hard request: cause 16, no "soft"
    {"cause": 4},  # not soft: 4 is a Q.850 cause (no route), not the shutdown flag
    {"cause": 4, "soft": False},
    {"soft": True, "cause": None},
])
def test_other_hangup_requests_mean_nothing(changes: dict[str, Any]) -> None:
    assert translate(fixture("channel_hangup_request", **changes)) == []


def test_stasis_start_of_an_answered_channel_names_and_answers_it_at_its_time() -> None:
    events = translate(fixture("stasis_start"))
    at = datetime(2026, 11, 22, 8, 52, 34, 600000, tzinfo=UTC)
    name = "Local/600@from-agents-00000002;1"
    assert events == [LegNamed("fx-leg-a", name), LegAnswered("fx-leg-a", at, name)]
