"""Call control: what a failed dial tells the call, by why it failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from engine.ari.client import AriClient
from engine.ari.errors import AriUnreachable, error_for_status
from engine.calls.control import STASIS_READY_PAUSES, CallControl
from engine.domain.cdr import CAUSE_ENGINE_UNAVAILABLE, CAUSE_PBX_UNAVAILABLE, CAUSE_UNREACHABLE
from engine.domain.commands import Dial, Hangup, Play, StartRinging
from engine.domain.errors import EngineError, NotFound, Rejected, TimedOut
from engine.domain.events import CallEvent, LegGone, PlaybackDone
from engine.domain.numbers import Extension, External

RID = "0123456789"
LEG = f"{RID}.1"


class FailingAri:
    """Just enough of AriClient: every request raises ``error``; calls are recorded."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def originate(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("originate", args, kwargs))
        raise self.error

    async def hangup(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("hangup", args, kwargs))
        raise self.error

    async def play(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("play", args, kwargs))
        raise self.error


def control(error: Exception) -> tuple[CallControl, FailingAri, list[tuple[str, CallEvent]]]:
    ari = FailingAri(error)
    fed: list[tuple[str, CallEvent]] = []
    ctl = CallControl(cast(AriClient, ari), "carrier",
                      lambda request_id, event: fed.append((request_id, event)))
    return ctl, ari, fed


DIAL = Dial(LEG, Extension("101"), "15168148111", 30)


async def dial_fails_with(error: Exception) -> LegGone:
    ctl, ari, fed = control(error)
    before = datetime.now(UTC)
    await ctl.execute(RID, DIAL)  # never raises
    assert [name for name, _, _ in ari.calls] == ["originate"]
    assert len(fed) == 1
    request_id, event = fed[0]
    assert request_id == RID
    assert isinstance(event, LegGone)
    assert event.channel_id == LEG
    assert before <= event.at <= datetime.now(UTC)
    return event


async def test_asterisk_unreachable_is_the_pbxs_failure() -> None:
    gone = await dial_fails_with(AriUnreachable("ARI unreachable for POST /channels"))
    assert gone.cause == CAUSE_PBX_UNAVAILABLE == 901


async def test_asterisk_not_answering_in_time_is_the_pbxs_failure() -> None:
    gone = await dial_fails_with(TimedOut("ARI did not answer POST /channels in time"))
    assert gone.cause == CAUSE_PBX_UNAVAILABLE


async def test_asterisk_refusing_the_dial_means_the_subscriber_is_absent() -> None:
    gone = await dial_fails_with(Rejected("Allocation failed"))
    assert gone.cause == CAUSE_UNREACHABLE == 20


async def test_an_ari_4xx_refusal_maps_to_subscriber_absent() -> None:
    gone = await dial_fails_with(error_for_status(400, "Endpoint not valid"))
    assert gone.cause == CAUSE_UNREACHABLE


async def test_ari_refusing_the_engines_credentials_is_the_engines_failure() -> None:
    gone = await dial_fails_with(error_for_status(401, "Authentication required"))
    assert gone.cause == CAUSE_ENGINE_UNAVAILABLE == 900


async def test_the_dial_command_reaches_ari_with_the_leg_and_the_trunk() -> None:
    ctl, ari, _ = control(AriUnreachable("down"))
    await ctl.execute(RID, Dial(LEG, External("15168141000"), "15168148111", 25))
    (_, args, kwargs), = ari.calls
    assert args == ("PJSIP/15168141000@carrier", LEG)
    assert kwargs["timeout"] == 25
    assert kwargs["caller_id"] == "15168148111"
    assert kwargs["app_args"] == "leg"


async def test_a_channel_already_gone_feeds_nothing_back() -> None:
    ctl, _, fed = control(NotFound("Channel not found"))
    await ctl.execute(RID, DIAL)
    await ctl.execute(RID, Hangup(LEG))
    assert fed == []


@pytest.mark.parametrize("error", [AriUnreachable("down"), Rejected("no")])
async def test_a_failed_hangup_feeds_nothing_back(error: EngineError) -> None:
    ctl, ari, fed = control(error)
    await ctl.execute(RID, Hangup(LEG))
    assert [name for name, _, _ in ari.calls] == ["hangup"]
    assert fed == []


async def test_a_playback_that_cannot_start_is_reported_done() -> None:
    ctl, _, fed = control(AriUnreachable("down"))
    await ctl.execute(RID, Play(LEG, ("sound:beep",), f"{RID}.failure"))
    assert [(rid, event.playback_id) for rid, event in fed
            if isinstance(event, PlaybackDone)] == [(RID, f"{RID}.failure")]


class NotYetInStasis:
    """Refuses ``refusals`` ring requests the way Asterisk does before StasisStart."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.attempts = 0

    async def ring(self, channel_id: str) -> None:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise error_for_status(409, "Channel not in Stasis application")


async def test_ringing_waits_for_the_channel_to_enter_stasis() -> None:
    ari = NotYetInStasis(refusals=3)
    fed: list[tuple[str, CallEvent]] = []
    ctl = CallControl(cast(AriClient, ari), "carrier", lambda rid, e: fed.append((rid, e)))
    await ctl.execute(RID, StartRinging(LEG))
    assert ari.attempts == 4 and fed == []


async def test_a_channel_that_never_enters_stasis_is_given_up() -> None:
    ari = NotYetInStasis(refusals=1000)
    pauses = (0.0,) * len(STASIS_READY_PAUSES)
    ctl = CallControl(cast(AriClient, ari), "carrier", lambda rid, e: None,
                      stasis_pauses=pauses)
    await ctl.execute(RID, StartRinging(LEG))  # logged, never raised
    assert ari.attempts == len(pauses) + 1
