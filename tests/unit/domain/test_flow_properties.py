"""The call state machine under arbitrary interleavings, against a small simulated Asterisk.

The simulation is faithful where it matters for the flow:
- a ``Dial`` creates a channel that may then ring, answer, or go (any cause), in any order
  with everything else;
- a ``Hangup`` is carried out later: until Asterisk gets to it the far end may still ring,
  answer or hang up itself (the races of a real PBX);
- a destroyed channel's ``LegGone`` is delivered later still, in any order with other events;
- ARI repeats some facts (an answer is reported by ChannelStateChange and by StasisStart),
  so stale and repeated leg events are delivered too;
- API requests arrive at any time and may be refused (CallStateConflict / NotFound), which
  must leave the call unchanged;
- bridge membership is tracked as Asterisk would see it, so a party left out of the bridge
  (or added twice) is caught.

A run holds several calls in turn: once a call has ENDED, late events reach it (and change
nothing), then the next call starts. ``teardown`` ends the last one whatever state it is in.

Targeting rule ("Hangup races"): a command never names a leg the engine already knows is
gone. A Hangup may name a channel Asterisk has destroyed but whose LegGone is still on its
way (the engine cannot know), and a Hangup may be repeated for a leg the engine released
during a transfer (its first Hangup is in flight; a second one is harmless and recovers a
lost one). No other command ever names a leg the engine has already hung up.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from engine.domain import cdr
from engine.domain.call import Call, CallState, LegState, Origin, RecordingOption
from engine.domain.commands import (
    Answer,
    BridgeLegs,
    CallFinished,
    Command,
    DestroyBridge,
    Dial,
    Hangup,
    Play,
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
    LegRinging,
    PlaybackDone,
    RecordingRequested,
)
from engine.domain.flow import CallStateConflict, advance, begin
from engine.domain.inbound import caller_leg
from engine.domain.numbers import Party
from tests.unit.domain.calls import CALLER_CH, CONFIG, EXT_TARGET, TARGET, at, new_call

CAUSES = st.sampled_from([16, 17, 19, 1, 34, 21, 0, 20, 127])
DIGITS = st.sampled_from("#*1")
# Weighted: a hangup request ends the run's interesting part, so it comes less often.
REQUESTS = st.sampled_from(["hangup", "blind", "attended", "complete", "cancel", "record"])
TRANSFERS = st.sampled_from(["blind", "attended", "attended", "complete", "cancel"])
TARGETS: st.SearchStrategy[Party] = st.sampled_from([TARGET, EXT_TARGET])
# Channel states in the simulated Asterisk.
DIALING, RINGING, UP, DESTROYED = "dialing", "ringing", "up", "destroyed"
DIALLING_STATES = (CallState.DIALING_AGENT, CallState.DIALING_CUSTOMER,
                   CallState.TRANSFERRING, CallState.CONSULTING)


def _targets(command: Command) -> tuple[str, ...]:
    if isinstance(command, BridgeLegs):
        return command.channel_ids
    if isinstance(command, Answer | Hangup | RemoveFromBridge | Play | StartRinging | StopRinging
                  | StartHold | StopHold | RecordLeg):
        return (command.channel_id,)
    return ()


def _running(machine: CallUnderTest) -> bool:
    return machine.call is not None and machine.call.state is not CallState.ENDED


class CallUnderTest(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = 0.0
        self.forget()

    def forget(self) -> None:
        """A fresh Asterisk and a fresh record of commands, for the next call of the run."""
        self.call: Call | None = None
        self.channels: dict[str, str] = {}  # channel id -> state in Asterisk
        self.hangups_to_do: list[str] = []  # Hangup commands Asterisk has not carried out
        self.gone_to_send: dict[str, int] = {}  # destroyed channels whose LegGone is pending
        self.delivered_gone: set[str] = set()
        self.playbacks: list[str] = []
        self.hung_up: set[str] = set()  # every channel the engine sent a Hangup for
        self.commands: list[Command] = []
        self.bridged = False
        self.members: set[str] = set()  # channels in the bridge, as Asterisk sees it

    # ---- plumbing -------------------------------------------------------------------------

    @property
    def c(self) -> Call:
        assert self.call is not None
        return self.call

    def now(self) -> float:
        self.clock += 1
        return self.clock

    def deliver(self, event: CallEvent) -> None:
        call, commands = advance(self.c, event, CONFIG)
        self.carry_out(call, commands)

    def request(self, event: CallEvent) -> None:
        before = self.c
        try:
            call, commands = advance(before, event, CONFIG)
        except (CallStateConflict, NotFound):
            assert self.call is before
            return
        self.carry_out(call, commands)

    def carry_out(self, call: Call, commands: list[Command]) -> None:
        """Check each command against what the engine knew, then let Asterisk act on it."""
        finishing = any(isinstance(c, CallFinished) for c in commands)
        for index, command in enumerate(commands):
            for channel_id in _targets(command):
                leg = call.leg(channel_id)
                assert leg is not None and leg.live, (command, "targets a gone or unknown leg")
                if isinstance(command, Hangup):
                    assert channel_id not in self.hung_up or leg.released, command
                else:
                    assert channel_id not in self.hung_up, (command, "targets a hung-up leg")
            if isinstance(command, Dial):
                assert command.channel_id not in self.channels
                assert call.state in DIALLING_STATES
                self.channels[command.channel_id] = DIALING
            elif isinstance(command, Hangup):
                self.hung_up.add(command.channel_id)
                if (self.channels.get(command.channel_id) != DESTROYED
                        and command.channel_id not in self.hangups_to_do):
                    self.hangups_to_do.append(command.channel_id)
            elif isinstance(command, Play):
                assert call.state is CallState.FAILING
                assert call.awaiting_playback(command.playback_id) is not None
                self.playbacks.append(command.playback_id)
            elif isinstance(command, BridgeLegs):
                assert command.bridge_id == call.bridge_id
                assert not self.members & set(command.channel_ids), (command, "already in")
                self.bridged = True
                self.members |= {ch for ch in command.channel_ids
                                 if self.channels.get(ch) != DESTROYED}
            elif isinstance(command, RemoveFromBridge):
                assert (command.channel_id in self.members  # or a race with its destruction:
                        or self.channels[command.channel_id] == DESTROYED)
                self.members.discard(command.channel_id)
            elif isinstance(command, DestroyBridge):
                assert finishing and isinstance(commands[index + 1], CallFinished)
                assert command.bridge_id == call.bridge_id
        self.commands.extend(commands)
        self.call = call

    def destroy(self, channel_id: str, cause: int) -> None:
        assert self.channels[channel_id] != DESTROYED
        self.channels[channel_id] = DESTROYED
        self.members.discard(channel_id)
        self.gone_to_send[channel_id] = cause
        if channel_id in self.hangups_to_do:
            self.hangups_to_do.remove(channel_id)

    def alive(self, *states: str) -> list[str]:
        return sorted(ch for ch, state in self.channels.items() if state in states)

    def count(self, kind: type) -> int:
        return sum(isinstance(c, kind) for c in self.commands)

    # ---- start --------------------------------------------------------------------------------

    @initialize(recording=st.sampled_from(RecordingOption), inbound=st.booleans())
    def start(self, recording: RecordingOption, inbound: bool) -> None:
        self.begin(recording, inbound)

    def begin(self, recording: RecordingOption, inbound: bool) -> None:
        if inbound:
            call, commands = begin(caller_leg(new_call(recording, Origin.INBOUND), CALLER_CH,
                                              "PJSIP/carrier-00000001"), CONFIG)
            self.channels[CALLER_CH] = RINGING
        else:
            call, commands = begin(new_call(recording), CONFIG)
        self.carry_out(call, commands)

    # ---- Asterisk -----------------------------------------------------------------------------

    @precondition(_running)
    @precondition(lambda self: self.alive(DIALING))
    @rule(data=st.data())
    def far_end_rings(self, data: st.DataObject) -> None:
        channel_id = data.draw(st.sampled_from(self.alive(DIALING)))
        self.channels[channel_id] = RINGING
        self.deliver(LegRinging(channel_id, at(self.now())))

    @precondition(_running)
    @precondition(lambda self: self.alive(DIALING, RINGING))
    @rule(data=st.data(), twice=st.booleans())
    def far_end_answers(self, data: st.DataObject, twice: bool) -> None:
        self.answer(data.draw(st.sampled_from(self.alive(DIALING, RINGING))), twice)

    @precondition(_running)
    @precondition(lambda self: self.alive(DIALING, RINGING))
    @rule(twice=st.booleans())
    def newest_leg_answers(self, twice: bool) -> None:
        """The same as far_end_answers, for the newest leg: weighs runs towards deep states."""
        self.answer(self.newest_ringing(), twice)

    @precondition(_running)
    @precondition(lambda self: self.alive(DIALING, RINGING))
    @rule(cause=CAUSES)
    def newest_leg_fails(self, cause: int) -> None:
        """The newest leg is busy, unanswered, unreachable: weighs runs towards failures."""
        self.destroy(self.newest_ringing(), cause)

    def newest_ringing(self) -> str:
        return [leg.channel_id for leg in self.c.legs
                if self.channels.get(leg.channel_id) in (DIALING, RINGING)][-1]

    def answer(self, channel_id: str, twice: bool) -> None:
        self.channels[channel_id] = UP
        self.deliver(LegAnswered(channel_id, at(self.now())))
        if twice:  # ChannelStateChange(Up), then StasisStart with state Up
            self.deliver(LegAnswered(channel_id, at(self.now())))

    @precondition(_running)
    @precondition(lambda self: self.alive(DIALING, RINGING, UP))
    @rule(data=st.data(), cause=CAUSES, now=st.booleans())
    def far_end_hangs_up(self, data: st.DataObject, cause: int, now: bool) -> None:
        if now:  # half the time the far end holds on: deep states are reached more often
            self.destroy(data.draw(st.sampled_from(self.alive(DIALING, RINGING, UP))), cause)

    @precondition(_running)
    @precondition(lambda self: self.hangups_to_do)
    @rule(data=st.data())
    def asterisk_carries_out_a_hangup(self, data: st.DataObject) -> None:
        self.destroy(data.draw(st.sampled_from(self.hangups_to_do)), 16)

    @precondition(_running)
    @precondition(lambda self: self.gone_to_send)
    @rule(data=st.data())
    def channel_destroyed_arrives(self, data: st.DataObject) -> None:
        channel_id = data.draw(st.sampled_from(sorted(self.gone_to_send)))
        cause = self.gone_to_send.pop(channel_id)
        self.delivered_gone.add(channel_id)
        self.deliver(LegGone(channel_id, at(self.now()), cause))

    @precondition(_running)
    @precondition(lambda self: self.alive(UP))
    @rule(data=st.data(), digit=DIGITS)
    def dtmf(self, data: st.DataObject, digit: str) -> None:
        self.deliver(LegDtmf(data.draw(st.sampled_from(self.alive(UP))), digit))

    @precondition(_running)
    @precondition(lambda self: self.playbacks)
    @rule()
    def playback_finishes(self) -> None:
        self.deliver(PlaybackDone(self.playbacks.pop(0)))

    @precondition(_running)
    @rule(data=st.data(), cause=CAUSES)
    def stale_leg_event(self, data: st.DataObject, cause: int) -> None:
        """A repeated or late fact: an answer again, a second ChannelDestroyed, a stranger."""
        channel_id = data.draw(st.sampled_from([*sorted(self.channels), "stranger"]))
        if channel_id in self.delivered_gone or channel_id == "stranger":
            self.deliver(LegGone(channel_id, at(self.now()), cause))
        elif self.channels.get(channel_id) == UP:
            self.deliver(LegAnswered(channel_id, at(self.now())))

    # ---- API ----------------------------------------------------------------------------------

    @precondition(_running)
    @rule(data=st.data(), kind=TRANSFERS, party=TARGETS)
    def api_transfer(self, data: st.DataObject, kind: str, party: Party) -> None:
        self.api_request(data, kind, party)

    @precondition(_running)
    @rule(data=st.data(), kind=REQUESTS, party=TARGETS)
    def api_request(self, data: st.DataObject, kind: str, party: Party) -> None:
        now = at(self.now())
        if kind in ("blind", "attended"):
            talking = [leg.channel_id for leg in self.c.legs if leg.state is LegState.ANSWERED]
            anyone = [leg.channel_id for leg in self.c.legs]
            channel_id = data.draw(st.sampled_from([*talking, *talking, *anyone, "nope"]))
            transfer: CallEvent = (BlindTransferRequested(channel_id, party, now)
                                   if kind == "blind"
                                   else AttendedTransferRequested(channel_id, party, now))
            self.request(transfer)
            return
        simple: dict[str, CallEvent] = {
            "hangup": HangupRequested(now), "complete": AttendedTransferCompleted(now),
            "cancel": AttendedTransferCancelled(now), "record": RecordingRequested(now),
        }
        self.request(simple[kind])

    @precondition(lambda self: not _running(self))
    @rule(data=st.data(), cause=CAUSES, recording=st.sampled_from(RecordingOption),
          inbound=st.booleans())
    def next_call(
        self, data: st.DataObject, cause: int, recording: RecordingOption, inbound: bool
    ) -> None:
        """Late events reach the ENDED call and change nothing; then the next call starts."""
        self.check_closed()
        before = self.c
        channel_id = data.draw(st.sampled_from([*sorted(self.channels), "stranger"]))
        for event in (LegGone(channel_id, at(self.now()), cause),
                      LegAnswered(channel_id, at(self.now())), LegDtmf(channel_id, "#"),
                      PlaybackDone(f"{before.request_id}.failure"), HangupRequested(at(1)),
                      BlindTransferRequested(channel_id, TARGET, at(1)), RecordingRequested(at(1))):
            self.deliver(event)
        assert self.c is before
        self.forget()
        self.begin(recording, inbound)

    # ---- invariants -----------------------------------------------------------------------

    @invariant()
    def ended_iff_no_live_leg(self) -> None:
        assert (self.c.state is CallState.ENDED) == (not self.c.live_legs())

    @invariant()
    def finished_once_and_only_when_ended(self) -> None:
        ended = self.c.state is CallState.ENDED
        assert self.count(CallFinished) == (1 if ended else 0)
        assert self.count(DestroyBridge) == (1 if ended and self.bridged else 0)
        assert self.bridged == (self.c.bridge_id is not None)

    @invariant()
    def dial_statuses(self) -> None:
        for leg in self.c.legs:
            answered = leg.answered_at is not None
            assert answered == (leg.state is LegState.ANSWERED or (
                leg.state is LegState.GONE and leg.dial_status == cdr.ANSWER))
            if answered:
                assert leg.dial_status == cdr.ANSWER
            if leg.state is LegState.GONE:
                assert leg.dial_status in cdr.DIAL_STATUSES
                assert leg.ended_at is not None
                if not answered and leg.cancelled:
                    assert leg.dial_status == cdr.CANCEL

    @invariant()
    def engine_and_asterisk_agree(self) -> None:
        for leg in self.c.legs:
            assert leg.live == (leg.channel_id not in self.delivered_gone)

    @invariant()
    def a_bridged_click2call_has_two_parties(self) -> None:
        if self.c.origin is Origin.CLICK2CALL and self.c.state is CallState.BRIDGED:
            parties = [leg for leg in self.c.legs
                       if leg.state is LegState.ANSWERED and not leg.released]
            assert len(parties) == 2, parties

    @invariant()
    def everyone_talking_is_in_the_bridge(self) -> None:
        talking = {leg.channel_id for leg in self.c.legs if leg.state is LegState.ANSWERED
                   and not leg.released and self.channels.get(leg.channel_id) != DESTROYED}
        if self.c.state is CallState.BRIDGED:
            assert talking <= self.members, (talking, self.members)
        if self.c.state is CallState.CONSULTING:
            held = self.c.held_leg()
            assert held is None or held.channel_id not in self.members

    # ---- the end --------------------------------------------------------------------------

    def teardown(self) -> None:
        """No event order leaves a leg, a bridge or a counter behind."""
        if self.call is None:
            return
        # Odd runs end by an API hangup, even ones by every far end hanging up.
        by_request = len(self.commands) % 2 == 1
        for _ in range(20):
            if self.c.state is CallState.ENDED:
                break
            for channel_id in list(self.hangups_to_do):
                self.destroy(channel_id, 16)
            while self.gone_to_send:
                channel_id, cause = self.gone_to_send.popitem()
                self.delivered_gone.add(channel_id)
                self.deliver(LegGone(channel_id, at(self.now()), cause))
            if _ended(self.c) or self.hangups_to_do:
                continue
            if by_request:
                self.request(HangupRequested(at(self.now())))
            else:
                for channel_id in self.alive(DIALING, RINGING, UP):
                    self.destroy(channel_id, 16)
        self.check_closed()

    def check_closed(self) -> None:
        assert self.c.state is CallState.ENDED
        assert not self.c.live_legs()
        assert not self.hangups_to_do and not self.gone_to_send
        assert self.count(CallFinished) == 1
        assert self.count(DestroyBridge) == (1 if self.bridged else 0)
        assert isinstance(self.commands[-1], CallFinished)


CallUnderTest.TestCase.settings = settings(
    max_examples=500, stateful_step_count=50, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCallStateMachine = CallUnderTest.TestCase


def _ended(call: Call) -> bool:
    # A function, so mypy does not carry a narrowed call.state across loop iterations.
    return call.state is CallState.ENDED
