"""The conference roster's decisions (pure): who may enter, what a leave means."""

from __future__ import annotations

import itertools

from engine.domain.commands import DestroyBridge, JoinConference
from engine.domain.conference_roster import (
    Admitted,
    Beep,
    Callback,
    CheckStillUp,
    CreateBridge,
    Kick,
    MuteIn,
    Refused,
    Roster,
    StartWaitSound,
    StopWaitSound,
    TellLeft,
    UnmuteIn,
    plain_name,
)

ROOM = "acct-room"
BRIDGE = "conference-acct-room"


def roster() -> Roster:
    ids = itertools.count(1)
    return Roster(lambda: f"uuid-{next(ids)}")


def join(channel: str, **options: object) -> JoinConference:
    return JoinConference(channel, ROOM, account_id="acct", **options)  # type: ignore[arg-type]


def admit(r: Roster, channel: str, **options: object) -> Admitted:
    admitted = r.admit(channel.split(".", maxsplit=1)[0], join(channel, **options))
    assert isinstance(admitted, Admitted)
    return admitted


def test_the_first_member_creates_the_bridge_and_the_others_join_it() -> None:
    r = roster()
    assert admit(r, "a.1").effects == [CreateBridge(BRIDGE)]
    assert admit(r, "b.1").effects == []
    assert [m.member_id for m in r.room(ROOM).members.values()] == ["1", "2"]  # type: ignore[union-attr]


def test_over_max_members_a_leg_is_refused_at_once() -> None:
    r = roster()
    admit(r, "a.1", max_members=2)
    admit(r, "b.1", max_members=2)
    assert r.admit("c", join("c.1", max_members=2)) == Refused("full")
    # the limit the room was opened with holds for a joiner that asks for more…
    assert r.admit("c", join("c.1", max_members=20)) == Refused("full")
    # …and a joiner's own lower limit holds too
    r2 = roster()
    admit(r2, "a.1")
    assert r2.admit("b", join("b.1", max_members=1)) == Refused("full")


def test_a_muted_member_is_muted_before_it_is_in_the_bridge_and_stays_muted() -> None:
    r = roster()
    admit(r, "a.1")
    assert admit(r, "b.1", muted=True).effects == [MuteIn("b.1")]
    r.entered("a.1", BRIDGE)
    assert not any(isinstance(e, UnmuteIn) for e in r.entered("b.1", BRIDGE))


def test_members_wait_muted_until_a_member_who_starts_the_conference_enters() -> None:
    r = roster()
    assert admit(r, "a.1", start_on_enter=False, wait_sound="sound:hold").effects == [
        CreateBridge(BRIDGE), MuteIn("a.1")]
    assert r.entered("a.1", BRIDGE) == [StartWaitSound(BRIDGE, "sound:hold")]
    assert admit(r, "b.1", start_on_enter=False, muted=True).effects == [MuteIn("b.1")]
    # two waiting members: not started, so the wait sound goes on
    assert r.entered("b.1", BRIDGE) == []
    assert admit(r, "c.1").effects == []
    # the moderator starts it: the waiting member is heard again (not the muted one)
    assert r.entered("c.1", BRIDGE) == [UnmuteIn("a.1"), StopWaitSound(BRIDGE, "sound:hold")]
    # once started, a late member who would wait does not
    assert admit(r, "d.1", start_on_enter=False).effects == []


def test_the_wait_sound_plays_while_one_member_is_alone() -> None:
    r = roster()
    admit(r, "a.1", wait_sound="moh")
    assert r.entered("a.1", BRIDGE) == [StartWaitSound(BRIDGE, "moh")]
    admit(r, "b.1")
    assert r.entered("b.1", BRIDGE) == [StopWaitSound(BRIDGE, "moh")]
    assert r.left_bridge("b.1", BRIDGE) == [CheckStillUp("b", "b.1"),
                                            StartWaitSound(BRIDGE, "moh")]
    assert r.left_bridge("a.1", BRIDGE) == [CheckStillUp("a", "a.1"), DestroyBridge(BRIDGE)]
    assert r.room(ROOM) is None


def test_beeps_on_enter_and_exit_come_between_the_wait_sound_changes() -> None:
    r = roster()
    admit(r, "a.1", wait_sound="sound:hold")
    r.entered("a.1", BRIDGE)
    admit(r, "b.1", beep=True)
    assert r.entered("b.1", BRIDGE) == [StopWaitSound(BRIDGE, "sound:hold"), Beep(BRIDGE)]
    r.hangup_requested("b.1")
    assert r.left_bridge("b.1", BRIDGE) == [Beep(BRIDGE), StartWaitSound(BRIDGE, "sound:hold")]


def test_a_hung_up_member_leaves_silently_a_removed_one_is_told() -> None:
    r = roster()
    for channel in ("a.1", "b.1", "c.1"):
        admit(r, channel)
        r.entered(channel, BRIDGE)
    r.hangup_requested("a.1")
    assert r.left_bridge("a.1", BRIDGE) == []
    assert r.destroyed("a.1") == []  # already off the roster
    # gone without a hangup request seen first: nothing to tell either
    assert r.destroyed("b.1") == []
    assert [m for m in r.room(ROOM).members] == ["c.1"]  # type: ignore[union-attr]


def test_end_conference_on_exit_removes_everyone_and_tells_each() -> None:
    r = roster()
    admit(r, "mod.1", end_on_exit=True)
    r.entered("mod.1", BRIDGE)
    for channel in ("b.1", "c.1"):
        admit(r, channel)
        r.entered(channel, BRIDGE)
    admit(r, "late.1")  # admitted, not in the bridge yet
    r.hangup_requested("mod.1")
    assert r.left_bridge("mod.1", BRIDGE) == [Kick(BRIDGE, "b.1"), Kick(BRIDGE, "c.1")]
    assert r.admit("x", join("x.1")) == Refused("ending")
    assert r.entered("late.1", BRIDGE) == [Kick(BRIDGE, "late.1")]
    assert r.left_bridge("b.1", BRIDGE) == [TellLeft("b", "b.1")]
    assert r.left_bridge("c.1", BRIDGE) == [TellLeft("c", "c.1")]
    assert r.left_bridge("late.1", BRIDGE) == [TellLeft("late", "late.1"),
                                               DestroyBridge(BRIDGE)]
    # the room is gone: the same name opens a new conference
    assert admit(r, "y.1").effects == [CreateBridge(BRIDGE)]


def test_a_kicked_member_that_hangs_up_meanwhile_is_not_told() -> None:
    r = roster()
    admit(r, "mod.1", end_on_exit=True)
    admit(r, "b.1")
    r.entered("mod.1", BRIDGE)
    r.entered("b.1", BRIDGE)
    r.hangup_requested("mod.1")
    r.left_bridge("mod.1", BRIDGE)
    r.hangup_requested("b.1")
    assert r.left_bridge("b.1", BRIDGE) == [DestroyBridge(BRIDGE)]


def test_callbacks_carry_plivo_parameters_with_the_plain_name() -> None:
    r = roster()
    url = "http://app.example/conf"
    admit(r, "a.1", callback_url=url, callback_method="GET")
    (enter,) = r.entered("a.1", BRIDGE)
    assert enter == Callback("acct", "a", url, "GET", {
        "ConferenceAction": "enter", "ConferenceName": "room", "ConferenceUUID": "uuid-1",
        "ConferenceMemberID": "1", "CallUUID": "a"})
    r.hangup_requested("a.1")
    exit_, destroy = r.left_bridge("a.1", BRIDGE)
    assert isinstance(exit_, Callback) and exit_.params["ConferenceAction"] == "exit"
    assert destroy == DestroyBridge(BRIDGE)
    # a new room has a new ConferenceUUID
    admit(r, "b.1", callback_url=url)
    (enter,) = r.entered("b.1", BRIDGE)
    assert isinstance(enter, Callback) and enter.params["ConferenceUUID"] == "uuid-2"


def test_a_member_that_never_entered_has_no_exit_event() -> None:
    r = roster()
    admit(r, "a.1", callback_url="http://app.example/conf")
    assert r.join_failed("a.1") == [DestroyBridge(BRIDGE)]
    assert r.room_of("a.1") is None


def test_events_of_other_bridges_and_strangers_change_nothing() -> None:
    r = roster()
    admit(r, "a.1")
    assert r.entered("a.1", "conference-other") == []
    assert r.entered("stranger.1", BRIDGE) == []
    assert r.left_bridge("a.1", BRIDGE) == []  # never entered: a stale leave
    assert r.destroyed("stranger.1") == []
    r.hangup_requested("stranger.1")
    assert r.room_of("a.1") is not None


def test_another_accounts_same_name_is_another_room() -> None:
    r = roster()
    r.admit("a", JoinConference("a.1", "acct1-room", account_id="acct1"))
    admitted = r.admit("b", JoinConference("b.1", "acct2-room", account_id="acct2"))
    assert isinstance(admitted, Admitted)
    assert admitted.effects == [CreateBridge("conference-acct2-room")]
    assert plain_name("acct2-room", "acct2") == "room"
    assert plain_name("room", "") == "room"
