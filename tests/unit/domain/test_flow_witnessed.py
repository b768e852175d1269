"""Leg ends the engine did not see (LegWitnessed), ends the PBX caused, and their CDR words."""

from __future__ import annotations

import pytest

from engine.domain import cdr
from engine.domain.call import CallState, LegState
from engine.domain.commands import BridgeLegs, Dial, Hangup, Play, StartRinging, StopRinging
from engine.domain.events import (
    HangupRequested,
    LegAnswered,
    LegDialStatus,
    LegDroppedByPbx,
    LegGone,
    LegWitnessed,
)
from tests.unit.domain.calls import AGENT_CH, CUSTOMER_CH, Driver, at


def test_an_agent_answer_witnessed_after_the_fact_does_not_dial_the_customer() -> None:
    d = Driver.click2call()
    commands = d.send(LegWitnessed(AGENT_CH, at(10), 16, answered_at=at(3)))
    assert not any(isinstance(c, Dial | StartRinging) for c in commands)
    assert d.count(Dial) == 1  # only the agent's own dial, from the start
    agent = d.leg(AGENT_CH)
    assert agent.state is LegState.GONE
    assert agent.answered_at == at(3)
    assert agent.ended_at == at(10)
    assert agent.dial_status == cdr.ANSWER
    assert agent.hangup_cause == 16
    assert d.call.ended_at == at(10)
    d.assert_finished_once()


def test_a_live_answer_of_the_same_leg_would_dial_the_customer() -> None:
    # The contrast the test above relies on: LegAnswered is reacted to.
    d = Driver.click2call()
    commands = d.send(LegAnswered(AGENT_CH, at(3)))
    assert any(isinstance(c, Dial) and c.channel_id == CUSTOMER_CH for c in commands)


def test_a_witnessed_drop_keeps_the_platform_cause_of_an_answered_leg() -> None:
    d = Driver.click2call()
    d.send(LegWitnessed(AGENT_CH, at(10), cdr.CAUSE_ENGINE_UNAVAILABLE, answered_at=at(3)))
    agent = d.leg(AGENT_CH)
    assert (agent.hangup_cause, agent.dial_status) == (900, cdr.ANSWER)
    d.assert_finished_once()


@pytest.mark.parametrize(("cause", "status"), [
    (19, cdr.NOANSWER), (17, cdr.BUSY), (900, cdr.CHANUNAVAIL), (901, cdr.CHANUNAVAIL)])
def test_a_witnessed_leg_never_answered(cause: int, status: str) -> None:
    d = Driver.click2call()
    d.send(LegWitnessed(AGENT_CH, at(30), cause))
    agent = d.leg(AGENT_CH)
    assert agent.answered_at is None
    assert (agent.hangup_cause, agent.dial_status) == (cause, status)
    d.assert_finished_once()


def test_a_live_answer_is_not_replaced_by_the_witnessed_one() -> None:
    d = Driver.click2call()
    d.send(LegAnswered(AGENT_CH, at(2)))
    d.send(LegWitnessed(AGENT_CH, at(20), 16, answered_at=at(5)))
    assert d.leg(AGENT_CH).answered_at == at(2)
    assert d.leg(AGENT_CH).ended_at == at(20)


def test_a_witnessed_customer_answer_never_bridges() -> None:
    d = Driver.click2call()
    d.send(LegAnswered(AGENT_CH, at(2)))
    commands = d.send(LegWitnessed(CUSTOMER_CH, at(12), 16, answered_at=at(6)))
    assert not any(isinstance(c, BridgeLegs) for c in commands)
    # ...but its end is reacted to as any end: the agent is told and let go.
    assert d.state() is CallState.FAILING
    assert StopRinging(AGENT_CH) in commands
    assert any(isinstance(c, Play) and c.channel_id == AGENT_CH for c in commands)
    customer = d.leg(CUSTOMER_CH)
    assert (customer.answered_at, customer.dial_status) == (at(6), cdr.ANSWER)


def test_a_witnessed_end_while_bridged_hangs_up_the_other_party() -> None:
    d = Driver.click2call()
    d.send(LegAnswered(AGENT_CH, at(2)))
    d.send(LegAnswered(CUSTOMER_CH, at(6)))
    assert d.state() is CallState.BRIDGED
    commands = d.send(LegWitnessed(AGENT_CH, at(30), cdr.CAUSE_PBX_UNAVAILABLE))
    assert Hangup(CUSTOMER_CH) in commands
    assert d.state() is CallState.ENDING
    assert d.leg(AGENT_CH).answered_at == at(2)  # the live answer, not a witnessed one
    assert (d.leg(AGENT_CH).hangup_cause, d.leg(AGENT_CH).dial_status) == (901, cdr.ANSWER)


def test_a_witnessed_end_of_a_leg_already_gone_changes_nothing() -> None:
    d = Driver.click2call()
    d.send(LegGone(AGENT_CH, at(5), 17))
    before = d.call
    assert d.send(LegWitnessed(AGENT_CH, at(9), 900, answered_at=at(1))) == []
    assert d.call == before


def test_the_pbx_dropping_a_leg_is_only_noted_until_it_is_gone() -> None:
    d = Driver.click2call()
    assert d.send(LegDroppedByPbx(AGENT_CH)) == []
    agent = d.leg(AGENT_CH)
    assert agent.dropped_by_pbx and agent.live
    assert d.state() is CallState.DIALING_AGENT


def test_an_end_after_the_pbx_dropped_the_leg_is_the_pbxs_failure() -> None:
    d = Driver.click2call()
    d.send(LegDroppedByPbx(AGENT_CH))
    d.send(LegGone(AGENT_CH, at(4), 21))  # SIP 487 on shutdown reads as "call rejected"
    agent = d.leg(AGENT_CH)
    assert agent.hangup_cause == cdr.CAUSE_PBX_UNAVAILABLE == 901
    assert agent.dial_status == cdr.CHANUNAVAIL
    d.assert_finished_once()


def test_without_the_drop_cause_21_stays_the_callees() -> None:
    d = Driver.click2call()
    d.send(LegGone(AGENT_CH, at(4), 21))
    assert (d.leg(AGENT_CH).hangup_cause, d.leg(AGENT_CH).dial_status) == (21, cdr.BUSY)


def test_the_pbx_drop_outweighs_the_engines_cancel_and_asterisks_dial_status() -> None:
    d = Driver.click2call()
    assert any(isinstance(c, Hangup) for c in d.send(HangupRequested(at(1))))
    assert d.leg(AGENT_CH).cancelled
    d.send(LegDialStatus(AGENT_CH, cdr.BUSY))
    d.send(LegDroppedByPbx(AGENT_CH))
    d.send(LegGone(AGENT_CH, at(2), 21))
    assert (d.leg(AGENT_CH).hangup_cause, d.leg(AGENT_CH).dial_status) == (901, cdr.CHANUNAVAIL)


def test_an_answered_leg_the_pbx_dropped_stays_answered() -> None:
    d = Driver.click2call()
    d.send(LegAnswered(AGENT_CH, at(2)))
    d.send(LegDroppedByPbx(AGENT_CH))
    d.send(LegGone(AGENT_CH, at(8), 16))
    assert (d.leg(AGENT_CH).hangup_cause, d.leg(AGENT_CH).dial_status) == (901, cdr.ANSWER)


@pytest.mark.parametrize("cause", sorted(cdr.PLATFORM_CAUSES))
@pytest.mark.parametrize("reported", [None, cdr.BUSY, cdr.NOANSWER])
def test_a_platform_cause_is_chanunavail_even_when_cancelled(
    cause: int, reported: str | None
) -> None:
    assert cdr.dial_status_for(answered=False, cancelled=True, cause=cause,
                               reported=reported) == cdr.CHANUNAVAIL
    assert cdr.dial_status_for(answered=False, cancelled=False, cause=cause,
                               reported=reported) == cdr.CHANUNAVAIL
    assert cdr.dial_status_for(answered=True, cancelled=True, cause=cause) == cdr.ANSWER
    assert cdr.dial_status_for(answered=True, cancelled=False, cause=cause) == cdr.ANSWER


def test_platform_causes_are_900_and_901_and_fail_in_the_call_status() -> None:
    assert sorted(cdr.PLATFORM_CAUSES) == [900, 901]
    assert cdr.call_status_for(cdr.dial_status_for(answered=False, cancelled=False,
                                                   cause=900)) == "FAILED"
    # A normal cancel still reads as CANCEL: the platform rule is the only override.
    assert cdr.dial_status_for(answered=False, cancelled=True, cause=16) == cdr.CANCEL
