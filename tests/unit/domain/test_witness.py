"""Asterisk's CEL record as the witness of leg ends the engine did not see (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from engine.domain import cdr
from engine.domain.call import Leg, LegState, Role
from engine.domain.numbers import Extension
from engine.domain.witness import (
    ChannelLifetime,
    cel_time,
    fold_cel_record,
    lifetimes_from_cel,
    witnessed_end,
)

LEG_ID = "42e17a2c43.1"
OTHER_ID = "42e17a2c43.2"
START, ANSWER_AT, HANGUP_AT, END_AT = (
    "1795416321.683283", "1795416322.703325", "1795416322.704450", "1795416322.705000")


def moment(epoch: str) -> datetime:
    return datetime.fromtimestamp(float(epoch), UTC)


def cel(kind: str, when: str, uniqueid: str = LEG_ID, *, extra: str = "",
        appname: str = "", appdata: str = "") -> str:
    """One CEL line exactly as Asterisk 22's cel_custom writes it."""
    return json.dumps({"eventtype": kind, "eventtime": when, "uniqueid": uniqueid,
                       "linkedid": uniqueid, "channame": "PJSIP/102-00000005",
                       "appname": appname, "appdata": appdata, "eventextra": extra},
                      separators=(",", ":"))


def hangup(when: str, cause: int, source: str, uniqueid: str = LEG_ID) -> str:
    extra = json.dumps({"hangupcause": cause, "hangupsource": source, "dialstatus": ""})
    return cel("HANGUP", when, uniqueid, extra=extra)


def answered_lines(cause: int, source: str, uniqueid: str = LEG_ID) -> list[str]:
    return [
        cel("CHAN_START", START, uniqueid),
        cel("ANSWER", ANSWER_AT, uniqueid, appname="AppDial2", appdata="(Outgoing Line)"),
        cel("APP_START", ANSWER_AT, uniqueid, appname="Stasis", appdata="cpaas-engine,leg"),
        cel("APP_END", HANGUP_AT, uniqueid, appname="Stasis", appdata="cpaas-engine,leg"),
        hangup(HANGUP_AT, cause, source, uniqueid),
        cel("CHAN_END", END_AT, uniqueid),
    ]


def leg(created_at: datetime) -> Leg:
    return Leg(Role.AGENT, Extension("102"), LEG_ID, LegState.DIALING, created_at)


def test_an_answered_leg_the_far_end_hung_up_keeps_its_cause_and_times() -> None:
    found = lifetimes_from_cel(answered_lines(16, "PJSIP/carrier-00000004"), [LEG_ID])
    life = found[LEG_ID]
    assert life.started_at == moment(START)
    assert life.answered_at == moment(ANSWER_AT)
    assert life.ended_at == moment(HANGUP_AT)  # HANGUP, not the later CHAN_END
    assert (life.cause, life.hangup_source) == (16, "PJSIP/carrier-00000004")
    assert not life.dropped_unowned

    end = witnessed_end(leg(moment(START)), life, pbx_restarted=False,
                        lost_at=moment(START) + timedelta(minutes=5))
    assert end.channel_id == LEG_ID
    assert (end.at, end.cause, end.answered_at) == (moment(HANGUP_AT), 16, moment(ANSWER_AT))


def test_an_answered_leg_asterisk_dropped_unowned_is_the_engines_failure() -> None:
    life = lifetimes_from_cel(answered_lines(0, ""), [LEG_ID])[LEG_ID]
    assert life.dropped_unowned
    end = witnessed_end(leg(moment(START)), life, pbx_restarted=False, lost_at=moment(START))
    assert end.cause == cdr.CAUSE_ENGINE_UNAVAILABLE == 900
    assert end.at == moment(HANGUP_AT)
    assert end.answered_at == moment(ANSWER_AT)


def test_a_dropped_leg_is_the_pbxs_failure_when_the_pbx_restarted() -> None:
    life = lifetimes_from_cel(answered_lines(0, ""), [LEG_ID])[LEG_ID]
    end = witnessed_end(leg(moment(START)), life, pbx_restarted=True, lost_at=moment(START))
    assert end.cause == cdr.CAUSE_PBX_UNAVAILABLE == 901
    assert end.at == moment(HANGUP_AT)


def test_a_cause_with_a_source_is_never_dropped_unowned() -> None:
    # Cause 0 but someone hung it up: that is the callee's end, kept as recorded.
    life = lifetimes_from_cel(answered_lines(0, "PJSIP/carrier-00000004"), [LEG_ID])[LEG_ID]
    assert not life.dropped_unowned
    end = witnessed_end(leg(moment(START)), life, pbx_restarted=True, lost_at=moment(START))
    assert end.cause == 0


def test_a_leg_never_answered_keeps_its_no_answer_cause() -> None:
    lines = [cel("CHAN_START", START), hangup(HANGUP_AT, 19, "PJSIP/carrier-00000004"),
             cel("CHAN_END", END_AT)]
    life = lifetimes_from_cel(lines, [LEG_ID])[LEG_ID]
    assert life.answered_at is None
    end = witnessed_end(leg(moment(START)), life, pbx_restarted=True, lost_at=moment(START))
    assert (end.cause, end.answered_at, end.at) == (19, None, moment(HANGUP_AT))


def test_no_record_is_the_platforms_loss_when_sight_was_lost() -> None:
    created = moment(START)
    lost = created + timedelta(seconds=30)
    engine = witnessed_end(leg(created), None, pbx_restarted=False, lost_at=lost)
    assert (engine.at, engine.cause, engine.answered_at) == (lost, 900, None)
    pbx = witnessed_end(leg(created), None, pbx_restarted=True, lost_at=lost)
    assert (pbx.at, pbx.cause) == (lost, 901)


def test_no_record_never_ends_a_leg_before_it_began() -> None:
    created = moment(START)
    end = witnessed_end(leg(created), None, pbx_restarted=False,
                        lost_at=created - timedelta(minutes=3))
    assert end.at == created


def test_an_answer_without_a_recorded_end_is_kept() -> None:
    lines = [cel("CHAN_START", START), cel("ANSWER", ANSWER_AT)]
    life = lifetimes_from_cel(lines, [LEG_ID])[LEG_ID]
    assert life.ended_at is None and not life.dropped_unowned
    lost = moment(END_AT) + timedelta(seconds=1)
    end = witnessed_end(leg(moment(START)), life, pbx_restarted=True, lost_at=lost)
    assert (end.at, end.cause, end.answered_at) == (lost, 901, moment(ANSWER_AT))


def test_garbage_and_torn_lines_are_skipped() -> None:
    good = answered_lines(16, "PJSIP/carrier-00000004")
    lines = ["not json at all", "[1, 2, 3]", '"a string"', "",
             good[0], '{"eventtype":"ANSWER","eventtime":', *good[1:],
             '{"eventtype":"HANGUP","eventtime":"1795416399.0","uniqueid":"42e17a2c43.1","ev']
    life = lifetimes_from_cel(lines, [LEG_ID])[LEG_ID]
    assert life.answered_at == moment(ANSWER_AT)
    assert life.ended_at == moment(HANGUP_AT)  # the torn last HANGUP changed nothing
    assert life.cause == 16


def test_only_the_wanted_channels_come_back() -> None:
    lines = [*answered_lines(16, "x", OTHER_ID), *answered_lines(17, "y"),
             cel("CHAN_START", START, "unrelated.9")]
    found = lifetimes_from_cel(lines, iter([LEG_ID]))
    assert set(found) == {LEG_ID}
    assert found[LEG_ID].cause == 17
    assert lifetimes_from_cel(lines, []) == {}


def test_the_first_answer_counts_and_a_bad_time_changes_nothing() -> None:
    life = ChannelLifetime(LEG_ID)
    life = fold_cel_record(life, json.loads(cel("ANSWER", ANSWER_AT)))
    life = fold_cel_record(life, json.loads(cel("ANSWER", END_AT)))
    assert life.answered_at == moment(ANSWER_AT)
    unchanged = fold_cel_record(life, json.loads(hangup("soon", 16, "x")))
    assert unchanged == life
    # A HANGUP whose extra is not JSON still ends the channel, with no cause.
    ended = fold_cel_record(life, json.loads(cel("HANGUP", HANGUP_AT, extra="{broken")))
    assert (ended.ended_at, ended.cause, ended.hangup_source) == (moment(HANGUP_AT), None, "")


def test_chan_end_alone_ends_the_channel_but_never_overrides_hangup() -> None:
    life = fold_cel_record(ChannelLifetime(LEG_ID), json.loads(cel("CHAN_END", END_AT)))
    assert life.ended_at == moment(END_AT) and life.dropped_unowned
    after_hangup = fold_cel_record(ChannelLifetime(LEG_ID),
                                   json.loads(hangup(HANGUP_AT, 16, "x")))
    after_end = fold_cel_record(after_hangup, json.loads(cel("CHAN_END", END_AT)))
    assert after_end.ended_at == moment(HANGUP_AT)


def test_cel_time_reads_the_event_time_or_nothing() -> None:
    assert cel_time(cel("CHAN_START", START)) == moment(START)
    assert cel_time('{"eventtype":"CHAN_START","eventtime":') is None
    assert cel_time("[]") is None
    assert cel_time('{"eventtime":"yesterday"}') is None
