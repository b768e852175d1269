"""click2call and inbound flows end to end, one explicit event sequence per scenario."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from engine.domain import cdr
from engine.domain.call import CallState, LegState, Origin, RecordingOption, Role
from engine.domain.commands import (
    Answer,
    BridgeLegs,
    CallFinished,
    DestroyBridge,
    Dial,
    Hangup,
    Play,
    RecordBridge,
    RecordLeg,
    RemoveFromBridge,
    StartHold,
    StartRinging,
    StopHold,
    StopRinging,
)
from engine.domain.errors import NotFound
from engine.domain.events import (
    AttendedTransferCancelled,
    AttendedTransferCompleted,
    AttendedTransferRequested,
    BlindTransferRequested,
    CallEvent,
    HangupRequested,
    LegAnswered,
    LegDtmf,
    LegGone,
    LegNamed,
    LegRinging,
    PlaybackDone,
    RecordingRequested,
)
from engine.domain.flow import MAX_DTMF, CallStateConflict, live_counter_key
from tests.unit.domain.calls import (
    AGENT,
    AGENT_CH,
    CALLER_CH,
    CALLER_ID,
    CUSTOMER,
    CUSTOMER_CH,
    EXT_TARGET,
    FAILURE_PLAYBACK,
    FOURTH_CH,
    RID,
    T0,
    TARGET,
    THIRD_CH,
    Driver,
    at,
    new_call,
)

NORMAL = 16  # Q.850 normal clearing


# ---- builders: a call brought to each state --------------------------------------------


def dialing_agent() -> Driver:
    return Driver.click2call()


def dialing_customer() -> Driver:
    d = Driver.click2call()
    d.send(LegRinging(AGENT_CH, at(1)))
    d.send(LegAnswered(AGENT_CH, at(2), "PJSIP/101-00000001"))
    return d


def bridged(recording: RecordingOption = RecordingOption.OFF) -> Driver:
    d = Driver.click2call(recording)
    d.send(LegAnswered(AGENT_CH, at(2)))
    d.send(LegRinging(CUSTOMER_CH, at(3)))
    d.send(LegAnswered(CUSTOMER_CH, at(4), "PJSIP/919979271234@carrier-00000002"))
    return d


def failing() -> Driver:
    d = dialing_customer()
    d.send(LegGone(CUSTOMER_CH, at(5), 17))
    return d


def transferring() -> Driver:
    d = bridged()
    d.send(BlindTransferRequested(AGENT_CH, TARGET, at(10)))
    return d


def consulting() -> Driver:
    d = bridged()
    d.send(AttendedTransferRequested(CUSTOMER_CH, EXT_TARGET, at(10)))
    return d


def consult_answered() -> Driver:
    d = consulting()
    d.send(LegAnswered(THIRD_CH, at(11)))
    return d


def ending() -> Driver:
    d = bridged()
    d.send(HangupRequested(at(10)))
    return d


def ended() -> Driver:
    d = ending()
    d.send(LegGone(AGENT_CH, at(11), NORMAL))
    d.send(LegGone(CUSTOMER_CH, at(11), NORMAL))
    return d


def settle(d: Driver, cause: int = NORMAL) -> None:
    """Asterisk destroys every channel the engine hung up, until the call ends."""
    for _ in range(10):
        hung = [c.channel_id for c in d.history if isinstance(c, Hangup)
                if d.leg(c.channel_id).live]
        if not hung:
            break
        for channel_id in hung:
            d.send(LegGone(channel_id, at(60), cause))
    d.assert_finished_once()


# ---- the happy path --------------------------------------------------------------------


def test_start_dials_the_agent_only() -> None:
    d = Driver.click2call()
    assert d.state() is CallState.DIALING_AGENT
    assert d.last == [Dial(AGENT_CH, AGENT, CALLER_ID, 30)]
    (agent,) = d.call.legs
    assert (agent.role, agent.state, agent.party) == (Role.AGENT, LegState.DIALING, AGENT)


def test_both_answer_then_agent_hangs_up() -> None:
    d = Driver.click2call()
    assert d.send(LegRinging(AGENT_CH, at(1))) == []
    assert d.leg(AGENT_CH).state is LegState.RINGING
    assert d.send(LegAnswered(AGENT_CH, at(2), "PJSIP/101-00000001")) == [
        StartRinging(AGENT_CH), Dial(CUSTOMER_CH, CUSTOMER, CALLER_ID, 30)]
    assert d.state() is CallState.DIALING_CUSTOMER
    assert d.leg(AGENT_CH).channel_name == "PJSIP/101-00000001"
    assert d.send(LegRinging(CUSTOMER_CH, at(3))) == []
    assert d.send(LegAnswered(CUSTOMER_CH, at(4))) == [
        StopRinging(AGENT_CH), BridgeLegs(RID, (AGENT_CH, CUSTOMER_CH))]
    assert d.state() is CallState.BRIDGED
    assert d.call.bridge_id == RID

    assert d.send(LegGone(AGENT_CH, at(30), NORMAL)) == [Hangup(CUSTOMER_CH)]
    assert d.state() is CallState.ENDING
    assert d.send(LegGone(CUSTOMER_CH, at(31), NORMAL)) == [
        DestroyBridge(RID), CallFinished(RID)]
    d.assert_finished_once()
    assert d.call.ended_at == at(31)
    agent, customer = d.leg(AGENT_CH), d.leg(CUSTOMER_CH)
    assert (agent.dial_status, customer.dial_status) == (cdr.ANSWER, cdr.ANSWER)
    assert (agent.answered_at, agent.ended_at, agent.hangup_cause) == (at(2), at(30), NORMAL)
    assert not customer.cancelled  # answered legs the engine hangs up are not CANCEL


def test_customer_hangs_up_first() -> None:
    d = bridged()
    assert d.send(LegGone(CUSTOMER_CH, at(30), NORMAL)) == [Hangup(AGENT_CH)]
    assert d.state() is CallState.ENDING
    assert d.send(LegGone(AGENT_CH, at(31), NORMAL)) == [DestroyBridge(RID), CallFinished(RID)]
    d.assert_finished_once()
    assert {leg.dial_status for leg in d.call.legs} == {cdr.ANSWER}


# ---- the agent fails: the customer is never dialled ---------------------------------------


@pytest.mark.parametrize(("cause", "status"), [
    (17, cdr.BUSY), (19, cdr.NOANSWER), (1, cdr.CHANUNAVAIL), (34, cdr.CONGESTION),
    (cdr.CAUSE_UNREACHABLE, cdr.CHANUNAVAIL),  # call control could not even originate
])
def test_agent_fails(cause: int, status: str) -> None:
    d = Driver.click2call()
    d.send(LegRinging(AGENT_CH, at(1)))
    assert d.send(LegGone(AGENT_CH, at(20), cause)) == [CallFinished(RID)]
    d.assert_finished_once()
    assert not any(isinstance(c, Dial) and c.party == CUSTOMER for c in d.history)
    assert [leg.role for leg in d.call.legs] == [Role.AGENT]
    assert d.leg(AGENT_CH).dial_status == status
    assert d.leg(AGENT_CH).hangup_cause == cause
    assert d.call.bridge_id is None


# ---- the customer fails: the agent hears why, then is hung up -----------------------------


@pytest.mark.parametrize(("cause", "status", "media"), [
    (17, cdr.BUSY, "sound:call-fwd-on-busy"),
    (19, cdr.NOANSWER, "sound:number-not-answering"),
    (34, cdr.CONGESTION, "sound:cannot-complete-as-dialed"),
    (1, cdr.CHANUNAVAIL, "sound:cannot-complete-as-dialed"),
])
def test_customer_fails(cause: int, status: str, media: str) -> None:
    d = dialing_customer()
    d.send(LegRinging(CUSTOMER_CH, at(3)))
    assert d.send(LegGone(CUSTOMER_CH, at(20), cause)) == [
        StopRinging(AGENT_CH), Play(AGENT_CH, (media,), FAILURE_PLAYBACK)]
    assert d.state() is CallState.FAILING
    assert d.leg(AGENT_CH).playback_id == FAILURE_PLAYBACK
    assert d.send(PlaybackDone("some-other-playback")) == []
    assert d.send(PlaybackDone(FAILURE_PLAYBACK)) == [Hangup(AGENT_CH)]
    assert d.state() is CallState.ENDING
    assert d.send(LegGone(AGENT_CH, at(25), NORMAL)) == [CallFinished(RID)]
    d.assert_finished_once()
    assert d.leg(AGENT_CH).dial_status == cdr.ANSWER
    customer = d.leg(CUSTOMER_CH)
    assert (customer.dial_status, customer.cancelled) == (status, False)


def test_agent_hangs_up_during_the_failure_prompt() -> None:
    d = failing()
    assert d.send(LegGone(AGENT_CH, at(21), NORMAL)) == [CallFinished(RID)]
    d.assert_finished_once()
    assert d.send(PlaybackDone(FAILURE_PLAYBACK)) == []


@pytest.mark.parametrize("race_cause", [NORMAL, 17, 19])
def test_agent_hangs_up_while_the_customer_rings(race_cause: int) -> None:
    d = dialing_customer()
    d.send(LegRinging(CUSTOMER_CH, at(3)))
    assert d.send(LegGone(AGENT_CH, at(5), NORMAL)) == [Hangup(CUSTOMER_CH)]
    assert d.state() is CallState.ENDING
    assert d.leg(CUSTOMER_CH).cancelled
    # Whatever cause Asterisk reports, the engine hung this leg up before it answered.
    assert d.send(LegGone(CUSTOMER_CH, at(6), race_cause)) == [CallFinished(RID)]
    d.assert_finished_once()
    assert d.leg(CUSTOMER_CH).dial_status == cdr.CANCEL
    assert cdr.call_status_for(d.leg(CUSTOMER_CH).dial_status) == "NO ANSWER"
    assert d.leg(AGENT_CH).dial_status == cdr.ANSWER


def test_cancelled_leg_that_answers_in_the_race_is_answered() -> None:
    d = dialing_customer()
    d.send(HangupRequested(at(5)))
    assert d.send(LegAnswered(CUSTOMER_CH, at(5.1))) == []  # too late: no bridge
    d.send(LegGone(AGENT_CH, at(6), NORMAL))
    assert d.send(LegGone(CUSTOMER_CH, at(6), NORMAL)) == [CallFinished(RID)]
    assert d.leg(CUSTOMER_CH).dial_status == cdr.ANSWER


# ---- recording --------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "extra"), [
    (RecordingOption.OFF, []),
    (RecordingOption.BOTH, [RecordBridge(RID, f"{RID}-both")]),
    (RecordingOption.AGENT, [RecordLeg(AGENT_CH, f"{RID}.snoop-agent", f"{RID}-agent")]),
    (RecordingOption.CUSTOMER,
     [RecordLeg(CUSTOMER_CH, f"{RID}.snoop-customer", f"{RID}-customer")]),
])
def test_recording_starts_with_the_bridge(option: RecordingOption, extra: list[object]) -> None:
    d = bridged(option)
    assert d.last == [StopRinging(AGENT_CH), BridgeLegs(RID, (AGENT_CH, CUSTOMER_CH)), *extra]
    assert d.call.recordings == tuple(c.name for c in extra)  # type: ignore[attr-defined]


def test_recording_requested_once() -> None:
    d = bridged()
    assert d.send(RecordingRequested(at(10))) == [RecordBridge(RID, f"{RID}-both")]
    assert d.call.recordings == (f"{RID}-both",)
    with pytest.raises(CallStateConflict) as info:
        d.send(RecordingRequested(at(11)))
    assert info.value.code == "already_recording"


@pytest.mark.parametrize("option", [RecordingOption.BOTH, RecordingOption.AGENT])
def test_recording_requested_when_already_recording(option: RecordingOption) -> None:
    d = bridged(option)
    with pytest.raises(CallStateConflict):
        d.send(RecordingRequested(at(10)))


@pytest.mark.parametrize("build", [transferring, consulting])
def test_recording_requested_during_a_transfer(build: Callable[[], Driver]) -> None:
    d = build()
    assert d.send(RecordingRequested(at(12))) == [RecordBridge(RID, f"{RID}-both")]


# ---- blind transfer ------------------------------------------------------------------------


def test_blind_transfer_success() -> None:
    d = bridged()
    assert d.send(BlindTransferRequested(AGENT_CH, TARGET, at(10))) == [
        Hangup(AGENT_CH), StartRinging(CUSTOMER_CH), Dial(THIRD_CH, TARGET, CALLER_ID, 30)]
    assert d.state() is CallState.TRANSFERRING
    assert d.leg(AGENT_CH).released and not d.leg(AGENT_CH).cancelled
    assert d.send(LegGone(AGENT_CH, at(11), NORMAL)) == []  # released: the call goes on
    assert d.state() is CallState.TRANSFERRING
    d.send(LegRinging(THIRD_CH, at(12)))
    assert d.send(LegAnswered(THIRD_CH, at(13))) == [
        StopRinging(CUSTOMER_CH), BridgeLegs(RID, (THIRD_CH,))]
    assert d.state() is CallState.BRIDGED
    assert d.leg(THIRD_CH).role is Role.TRANSFER

    assert d.send(LegGone(CUSTOMER_CH, at(40), NORMAL)) == [Hangup(THIRD_CH)]
    assert d.send(LegGone(THIRD_CH, at(41), NORMAL)) == [DestroyBridge(RID), CallFinished(RID)]
    d.assert_finished_once()
    assert {leg.dial_status for leg in d.call.legs} == {cdr.ANSWER}


def test_blind_transfer_by_the_customer_keeps_the_agent() -> None:
    d = bridged()
    assert d.send(BlindTransferRequested(CUSTOMER_CH, EXT_TARGET, at(10))) == [
        Hangup(CUSTOMER_CH), StartRinging(AGENT_CH), Dial(THIRD_CH, EXT_TARGET, CALLER_ID, 30)]
    # The target answers before the transferer's channel is destroyed.
    assert d.send(LegAnswered(THIRD_CH, at(11))) == [
        StopRinging(AGENT_CH), BridgeLegs(RID, (THIRD_CH,))]
    assert d.send(LegGone(CUSTOMER_CH, at(12), NORMAL)) == []
    assert d.state() is CallState.BRIDGED
    settle_by_hangup(d)


def test_blind_transfer_target_fails() -> None:
    d = transferring()
    d.send(LegGone(AGENT_CH, at(11), NORMAL))
    # Nobody is left for the waiting party: it is hung up.
    assert d.send(LegGone(THIRD_CH, at(20), 17)) == [Hangup(CUSTOMER_CH)]
    assert d.state() is CallState.ENDING
    assert d.leg(THIRD_CH).dial_status == cdr.BUSY
    assert d.send(LegGone(CUSTOMER_CH, at(21), NORMAL)) == [
        DestroyBridge(RID), CallFinished(RID)]
    d.assert_finished_once()


def test_waiting_party_leaves_during_blind_transfer() -> None:
    d = transferring()
    assert d.send(LegGone(CUSTOMER_CH, at(12), NORMAL)) == [Hangup(AGENT_CH), Hangup(THIRD_CH)]
    settle(d)
    assert d.leg(THIRD_CH).dial_status == cdr.CANCEL


def test_second_blind_transfer() -> None:
    d = transferring()
    d.send(LegAnswered(THIRD_CH, at(12)))
    d.send(LegGone(AGENT_CH, at(13), NORMAL))
    assert d.send(BlindTransferRequested(CUSTOMER_CH, EXT_TARGET, at(20))) == [
        Hangup(CUSTOMER_CH), StartRinging(THIRD_CH), Dial(FOURTH_CH, EXT_TARGET, CALLER_ID, 30)]
    assert d.send(LegAnswered(THIRD_CH, at(20.5))) == []  # a stale repeat changes nothing
    assert d.send(LegAnswered(FOURTH_CH, at(21))) == [
        StopRinging(THIRD_CH), BridgeLegs(RID, (FOURTH_CH,))]
    settle_by_hangup(d)


def settle_by_hangup(d: Driver) -> None:
    d.send(HangupRequested(at(50)))
    settle(d)


# ---- attended transfer ---------------------------------------------------------------------


def test_attended_transfer_start() -> None:
    d = bridged()
    assert d.send(AttendedTransferRequested(CUSTOMER_CH, EXT_TARGET, at(10))) == [
        RemoveFromBridge(RID, CUSTOMER_CH), StartHold(CUSTOMER_CH),
        Dial(THIRD_CH, EXT_TARGET, CALLER_ID, 30)]
    assert d.state() is CallState.CONSULTING
    held = d.call.held_leg()
    assert held is not None and held.channel_id == CUSTOMER_CH
    assert d.send(LegAnswered(THIRD_CH, at(11))) == [BridgeLegs(RID, (THIRD_CH,))]
    assert d.leg(THIRD_CH).role is Role.CONSULT
    # ARI reports an answer twice (ChannelStateChange, then StasisStart): bridge once.
    assert d.send(LegAnswered(THIRD_CH, at(11))) == []
    assert d.state() is CallState.CONSULTING


COMPLETED = [StopHold(CUSTOMER_CH), BridgeLegs(RID, (CUSTOMER_CH,)), Hangup(AGENT_CH)]


@pytest.mark.parametrize("event", [AttendedTransferCompleted(at(20)), LegDtmf(AGENT_CH, "#")])
def test_attended_transfer_complete(event: CallEvent) -> None:
    d = consult_answered()
    assert d.send(event) == COMPLETED
    assert d.state() is CallState.BRIDGED
    assert d.call.held_leg() is None
    assert d.leg(AGENT_CH).released
    assert d.send(LegGone(AGENT_CH, at(21), NORMAL)) == []
    assert d.state() is CallState.BRIDGED
    assert d.send(LegGone(THIRD_CH, at(40), NORMAL)) == [Hangup(CUSTOMER_CH)]
    assert d.send(LegGone(CUSTOMER_CH, at(41), NORMAL)) == [
        DestroyBridge(RID), CallFinished(RID)]
    d.assert_finished_once()
    assert {leg.dial_status for leg in d.call.legs} == {cdr.ANSWER}


def test_attended_transfer_complete_before_the_target_answers() -> None:
    d = consulting()
    with pytest.raises(CallStateConflict):
        d.send(AttendedTransferCompleted(at(11)))
    assert d.send(LegDtmf(AGENT_CH, "#")) == []  # DTMF is not a request: ignored
    assert d.state() is CallState.CONSULTING


def test_dtmf_from_others_than_the_transferer_is_ignored() -> None:
    d = consult_answered()
    assert d.send(LegDtmf(CUSTOMER_CH, "#")) == []
    assert d.send(LegDtmf(THIRD_CH, "#")) == []
    assert d.send(LegDtmf(AGENT_CH, "5")) == []
    assert d.state() is CallState.CONSULTING
    assert d.leg(AGENT_CH).dtmf == "5"


@pytest.mark.parametrize("event", [AttendedTransferCancelled(at(20)), LegDtmf(AGENT_CH, "*")])
def test_attended_transfer_cancel_after_answer(event: CallEvent) -> None:
    d = consult_answered()
    assert d.send(event) == [
        Hangup(THIRD_CH), StopHold(CUSTOMER_CH), BridgeLegs(RID, (CUSTOMER_CH,))]
    assert d.state() is CallState.BRIDGED
    assert d.leg(THIRD_CH).released
    assert d.send(LegGone(THIRD_CH, at(21), NORMAL)) == []
    assert d.state() is CallState.BRIDGED
    assert d.leg(THIRD_CH).dial_status == cdr.ANSWER
    assert d.send(LegGone(AGENT_CH, at(30), NORMAL)) == [Hangup(CUSTOMER_CH)]
    settle(d)


@pytest.mark.parametrize("event", [AttendedTransferCancelled(at(20)), LegDtmf(AGENT_CH, "*")])
def test_attended_transfer_cancel_while_ringing(event: CallEvent) -> None:
    d = consulting()
    assert d.send(event) == [
        Hangup(THIRD_CH), StopHold(CUSTOMER_CH), BridgeLegs(RID, (CUSTOMER_CH,))]
    d.send(LegGone(THIRD_CH, at(21), NORMAL))
    assert d.leg(THIRD_CH).dial_status == cdr.CANCEL
    assert d.state() is CallState.BRIDGED


@pytest.mark.parametrize(("cause", "status"), [(17, cdr.BUSY), (19, cdr.NOANSWER)])
def test_consult_target_refuses(cause: int, status: str) -> None:
    d = consulting()
    assert d.send(LegGone(THIRD_CH, at(20), cause)) == [
        StopHold(CUSTOMER_CH), BridgeLegs(RID, (CUSTOMER_CH,))]
    assert d.state() is CallState.BRIDGED
    assert d.leg(THIRD_CH).dial_status == status
    settle_by_hangup(d)


def test_transferer_hangs_up_after_consulting_completes_the_transfer() -> None:
    d = consult_answered()
    assert d.send(LegGone(AGENT_CH, at(20), NORMAL)) == [
        StopHold(CUSTOMER_CH), BridgeLegs(RID, (CUSTOMER_CH,))]
    assert d.state() is CallState.BRIDGED
    settle_by_hangup(d)


def test_transferer_hangs_up_before_the_target_answers() -> None:
    d = consulting()
    assert d.send(LegGone(AGENT_CH, at(20), NORMAL)) == [Hangup(CUSTOMER_CH), Hangup(THIRD_CH)]
    settle(d)
    assert d.leg(THIRD_CH).dial_status == cdr.CANCEL


def test_held_party_leaves_after_the_target_answered() -> None:
    d = consult_answered()
    assert d.send(LegGone(CUSTOMER_CH, at(20), NORMAL)) == []
    assert d.state() is CallState.BRIDGED
    assert d.send(LegGone(THIRD_CH, at(30), NORMAL)) == [Hangup(AGENT_CH)]
    settle(d)


def test_held_party_leaves_while_the_target_rings() -> None:
    # Regression: the call went BRIDGED with the agent alone, and the target, once it
    # answered, was never put in the bridge.
    d = consulting()
    assert d.send(LegGone(CUSTOMER_CH, at(20), NORMAL)) == []
    assert d.state() is CallState.CONSULTING
    assert d.send(LegAnswered(THIRD_CH, at(21))) == [BridgeLegs(RID, (THIRD_CH,))]
    assert d.state() is CallState.BRIDGED
    assert d.send(LegGone(AGENT_CH, at(30), NORMAL)) == [Hangup(THIRD_CH)]
    settle(d)


@pytest.mark.parametrize("event", [LegGone(THIRD_CH, at(21), 17), LegDtmf(AGENT_CH, "*"),
                                   AttendedTransferCancelled(at(21))])
def test_held_party_left_and_the_consultation_fails(event: CallEvent) -> None:
    d = consulting()
    d.send(LegGone(CUSTOMER_CH, at(20), NORMAL))
    commands = d.send(event)
    assert Hangup(AGENT_CH) in commands  # the agent would be alone in the bridge
    assert d.state() in (CallState.ENDING, CallState.ENDED)
    settle(d)


def test_second_attended_transfer_by_a_former_consult_target() -> None:
    # Regression: the transferer was looked up by role, so a transferer that was itself a
    # CONSULT leg could neither complete with '#' nor be told apart from the new target.
    d = consult_answered()
    d.send(AttendedTransferCompleted(at(20)))
    d.send(LegGone(AGENT_CH, at(21), NORMAL))
    assert d.send(AttendedTransferRequested(CUSTOMER_CH, AGENT, at(30))) == [
        RemoveFromBridge(RID, CUSTOMER_CH), StartHold(CUSTOMER_CH),
        Dial(FOURTH_CH, AGENT, CALLER_ID, 30)]
    assert d.send(LegAnswered(FOURTH_CH, at(31))) == [BridgeLegs(RID, (FOURTH_CH,))]
    assert d.send(LegDtmf(THIRD_CH, "#")) == [
        StopHold(CUSTOMER_CH), BridgeLegs(RID, (CUSTOMER_CH,)), Hangup(THIRD_CH)]
    assert d.state() is CallState.BRIDGED
    settle_by_hangup(d)


def test_former_consult_target_hangs_up_while_consulting_again() -> None:
    d = consult_answered()
    d.send(AttendedTransferCompleted(at(20)))
    d.send(LegGone(AGENT_CH, at(21), NORMAL))
    d.send(AttendedTransferRequested(CUSTOMER_CH, AGENT, at(30)))
    # The transferer (an old CONSULT leg) leaves before the new target answers: not a refusal.
    assert d.send(LegGone(THIRD_CH, at(31), NORMAL)) == [Hangup(CUSTOMER_CH), Hangup(FOURTH_CH)]
    settle(d)


# ---- hangup requests ----------------------------------------------------------------------


@pytest.mark.parametrize(("build", "hangups"), [
    (dialing_agent, [AGENT_CH]),
    (dialing_customer, [AGENT_CH, CUSTOMER_CH]),
    (bridged, [AGENT_CH, CUSTOMER_CH]),
    (failing, [AGENT_CH]),
    # The transferer's own Hangup is still in flight: it is sent again (harmless).
    (transferring, [AGENT_CH, CUSTOMER_CH, THIRD_CH]),
    (consulting, [AGENT_CH, CUSTOMER_CH, THIRD_CH]),
    (consult_answered, [AGENT_CH, CUSTOMER_CH, THIRD_CH]),
])
def test_hangup_request_in_each_state(build: Callable[[], Driver], hangups: list[str]) -> None:
    d = build()
    assert d.send(HangupRequested(at(50))) == [Hangup(ch) for ch in hangups]
    assert d.state() is CallState.ENDING
    for leg in d.call.live_legs():
        assert leg.cancelled == (leg.answered_at is None)
    settle(d)


def test_hangup_request_while_ending_or_ended_is_harmless() -> None:
    d = ending()
    assert d.send(HangupRequested(at(11))) == []
    assert d.state() is CallState.ENDING
    d = ended()
    call = d.call
    assert d.send(HangupRequested(at(12))) == []
    assert d.call is call


# ---- requests that do not fit --------------------------------------------------------------


BLIND = BlindTransferRequested(AGENT_CH, TARGET, at(50))
ATTENDED = AttendedTransferRequested(CUSTOMER_CH, TARGET, at(50))
COMPLETE = AttendedTransferCompleted(at(50))
CANCEL = AttendedTransferCancelled(at(50))
RECORD = RecordingRequested(at(50))


@pytest.mark.parametrize(("build", "api_request"), [
    (dialing_agent, BLIND), (dialing_agent, ATTENDED), (dialing_agent, RECORD),
    (dialing_agent, COMPLETE), (dialing_customer, BLIND), (dialing_customer, ATTENDED),
    (dialing_customer, RECORD), (dialing_customer, CANCEL), (failing, BLIND),
    (failing, ATTENDED), (failing, RECORD), (failing, COMPLETE), (bridged, COMPLETE),
    (bridged, CANCEL), (transferring, BLIND), (transferring, ATTENDED),
    (transferring, COMPLETE), (consulting, BLIND), (consulting, ATTENDED), (ending, BLIND),
    (ending, ATTENDED), (ending, RECORD), (ending, CANCEL),
])
def test_request_in_the_wrong_state(build: Callable[[], Driver], api_request: CallEvent) -> None:
    d = build()
    before = d.call
    with pytest.raises(CallStateConflict) as info:
        d.send(api_request)
    assert info.value.code == "call_state_conflict"
    assert d.call is before


@pytest.mark.parametrize("channel", ["nope", f"{RID}.9"])
@pytest.mark.parametrize("kind", [BlindTransferRequested, AttendedTransferRequested])
def test_transfer_of_an_unknown_channel(channel: str, kind: type) -> None:
    d = bridged()
    with pytest.raises(NotFound) as info:
        d.send(kind(channel, TARGET, at(50)))
    assert info.value.code == "channel_not_found"
    assert d.state() is CallState.BRIDGED


@pytest.mark.parametrize("kind", [BlindTransferRequested, AttendedTransferRequested])
def test_transfer_of_a_channel_being_dropped(kind: type) -> None:
    # Regression: the released transferer of a finished blind transfer (its Hangup still in
    # flight) could be "transferred" again, leaving the call waiting on a dead party.
    d = transferring()
    d.send(LegAnswered(THIRD_CH, at(12)))
    assert d.leg(AGENT_CH).live
    with pytest.raises(NotFound):
        d.send(kind(AGENT_CH, TARGET, at(13)))


def test_transfer_needs_somebody_left() -> None:
    d = Driver.inbound()  # the caller's leg is not answered yet: nobody to hand over
    d.send(LegAnswered(AGENT_CH, at(2)))
    with pytest.raises(CallStateConflict):
        d.send(BlindTransferRequested(AGENT_CH, TARGET, at(3)))


# ---- stale and late events -----------------------------------------------------------------


@pytest.mark.parametrize("event", [
    LegGone(AGENT_CH, at(90), NORMAL), LegAnswered(AGENT_CH, at(90)), LegRinging(AGENT_CH, at(90)),
    LegDtmf(AGENT_CH, "#"), PlaybackDone(FAILURE_PLAYBACK), HangupRequested(at(90)), BLIND,
    ATTENDED, COMPLETE, CANCEL, RECORD,
])
def test_events_after_ended_are_ignored(event: CallEvent) -> None:
    d = ended()
    call = d.call
    assert d.send(event) == []
    assert d.call is call


@pytest.mark.parametrize("build", [dialing_agent, dialing_customer, bridged, consulting])
def test_gone_for_an_unknown_channel_is_ignored(build: Callable[[], Driver]) -> None:
    # Regression: in DIALING_AGENT this hung the whole call up.
    d = build()
    state = d.state()
    assert d.send(LegGone("someone-else", at(50), NORMAL)) == []
    assert d.state() is state


def test_repeated_gone_is_ignored() -> None:
    d = consult_answered()
    d.send(LegGone(CUSTOMER_CH, at(20), NORMAL))  # the held party left: a plain call now
    assert d.state() is CallState.BRIDGED
    assert d.send(LegGone(CUSTOMER_CH, at(21), NORMAL)) == []
    assert d.state() is CallState.BRIDGED
    assert d.leg(CUSTOMER_CH).ended_at == at(20)


def test_leg_facts_are_recorded() -> None:
    d = bridged()
    d.send(LegNamed(AGENT_CH, "PJSIP/101-0000023c"))
    for digit in "12#":
        d.send(LegDtmf(CUSTOMER_CH, digit))
    assert d.leg(AGENT_CH).channel_name == "PJSIP/101-0000023c"
    assert d.leg(CUSTOMER_CH).dtmf == "12#"
    for _ in range(MAX_DTMF):
        d.send(LegDtmf(CUSTOMER_CH, "9"))
    assert len(d.leg(CUSTOMER_CH).dtmf) == MAX_DTMF
    assert d.state() is CallState.BRIDGED


def test_closing_time_falls_back_to_the_last_leg() -> None:
    d = failing()
    d.send(LegGone(AGENT_CH, at(21), NORMAL))
    assert d.call.ended_at == at(21)
    d = dialing_agent()
    d.send(HangupRequested(at(3)))
    d.send(LegGone(AGENT_CH, at(4), NORMAL))
    assert d.call.ended_at == at(4)
    assert d.leg(AGENT_CH).dial_status == cdr.CANCEL


# ---- inbound --------------------------------------------------------------------------------


def test_inbound_answered_and_bridged() -> None:
    d = Driver.inbound()
    assert d.state() is CallState.DIALING_AGENT
    assert d.last == [StartRinging(CALLER_CH), Dial(AGENT_CH, AGENT, CALLER_ID, 30)]
    caller = d.leg(CALLER_CH)
    assert (caller.role, caller.state, caller.party) == (Role.CUSTOMER, LegState.RINGING, CUSTOMER)
    assert caller.channel_name == "PJSIP/carrier-00000001"
    assert caller.created_at == T0
    d.send(LegRinging(AGENT_CH, at(1)))
    assert d.send(LegAnswered(AGENT_CH, at(2))) == [
        StopRinging(CALLER_CH), Answer(CALLER_CH), BridgeLegs(RID, (CALLER_CH, AGENT_CH))]
    assert d.state() is CallState.BRIDGED
    d.send(LegAnswered(CALLER_CH, at(2.1)))  # Asterisk reports the Answer
    assert d.send(LegGone(CALLER_CH, at(30), NORMAL)) == [Hangup(AGENT_CH)]
    assert d.send(LegGone(AGENT_CH, at(31), NORMAL)) == [DestroyBridge(RID), CallFinished(RID)]
    d.assert_finished_once()
    assert {leg.dial_status for leg in d.call.legs} == {cdr.ANSWER}


@pytest.mark.parametrize(("cause", "status"), [(17, cdr.BUSY), (19, cdr.NOANSWER),
                                               (cdr.CAUSE_UNREACHABLE, cdr.CHANUNAVAIL)])
def test_inbound_agent_fails(cause: int, status: str) -> None:
    d = Driver.inbound()
    assert d.send(LegGone(AGENT_CH, at(20), cause)) == [Hangup(CALLER_CH)]
    assert d.leg(AGENT_CH).dial_status == status
    assert d.send(LegGone(CALLER_CH, at(21), NORMAL)) == [CallFinished(RID)]
    d.assert_finished_once()


def test_inbound_caller_leaves_while_the_agent_rings() -> None:
    d = Driver.inbound()
    d.send(LegRinging(AGENT_CH, at(1)))
    assert d.send(LegGone(CALLER_CH, at(5), NORMAL)) == [Hangup(AGENT_CH)]
    assert d.send(LegGone(AGENT_CH, at(6), NORMAL)) == [CallFinished(RID)]
    d.assert_finished_once()
    assert d.leg(AGENT_CH).dial_status == cdr.CANCEL
    assert d.leg(CALLER_CH).dial_status == cdr.NOANSWER  # the caller gave up


def test_inbound_caller_answered_early_does_not_bridge() -> None:
    d = Driver.inbound()
    assert d.send(LegAnswered(CALLER_CH, at(1))) == []
    assert d.state() is CallState.DIALING_AGENT


@pytest.mark.parametrize(("origin", "key"), [
    (Origin.CLICK2CALL, "live_calls_c2c"), (Origin.API, "live_calls_c2c"),
    (Origin.CALLBACK, "live_calls_c2c"), (Origin.CAMPAIGN, "live_calls_campaign"),
    (Origin.INBOUND, "live_calls_inbound"), (Origin.OTP, "live_calls_otp"),
])
def test_live_counter_key(origin: Origin, key: str) -> None:
    assert live_counter_key(new_call(origin=origin)) == key


def test_multi_party_members_count_in_their_own_live_counter() -> None:
    member = replace(new_call(origin=Origin.API), multiparty="node-1")
    assert live_counter_key(member) == "live_calls_multiparty"
