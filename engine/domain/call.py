"""The call model: one call, whatever started it, with one or more legs (pure, frozen)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from engine.domain.numbers import Party
from engine.domain.plivo.options import ApiCallOptions
from engine.domain.programs.state import ProgramState
from engine.domain.programs.verbs import Program


class Origin(StrEnum):
    CLICK2CALL = "click2call"
    OTP = "otp"
    CALLBACK = "callback"
    CAMPAIGN = "campaign"
    API = "api"
    INBOUND = "inbound"


class Role(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    TRANSFER = "transfer"
    CONSULT = "consult"
    DIALED = "dialed"  # called by a program's Dial verb


class LegState(StrEnum):
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    GONE = "gone"


class CallState(StrEnum):
    DIALING_AGENT = "dialing_agent"
    DIALING_CUSTOMER = "dialing_customer"
    BRIDGED = "bridged"
    FAILING = "failing"  # the agent hears why the destination failed, then is hung up
    DETECTING = "detecting"  # answered; answering-machine detection runs before the program
    PROGRAM = "program"  # the answered leg runs a call program (OTP, campaign, answer_url)
    TRANSFERRING = "transferring"  # blind transfer: the target is ringing
    CONSULTING = "consulting"  # attended transfer: the transferer talks to the target
    ENDING = "ending"  # hangups sent; waiting for the last legs to go
    ENDED = "ended"


class RecordingOption(StrEnum):
    OFF = "off"
    BOTH = "both"
    AGENT = "agent"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class Leg:
    """One channel of a call. ``channel_id`` is chosen by the engine before dialling."""

    role: Role
    party: Party
    channel_id: str
    state: LegState
    created_at: datetime
    channel_name: str = ""
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    dial_status: str | None = None
    hangup_cause: int | None = None
    dtmf: str = ""
    # The engine hung this leg up on purpose before it answered (dial status CANCEL).
    cancelled: bool = False
    # The engine dropped this leg as part of a transfer: its end does not end the call.
    released: bool = False
    # The PBX hung this leg up as it shut down: its end is the platform's failure.
    dropped_by_pbx: bool = False
    # The playback the call waits for on this leg (e.g. why the destination failed).
    playback_id: str | None = None
    # On hold (attended transfer: the party waiting while the transferer consults).
    held: bool = False

    @property
    def live(self) -> bool:
        return self.state is not LegState.GONE


@dataclass(frozen=True)
class CampaignRef:
    """The campaign attempt a campaign call is: which contact of which list, which try."""

    campaign_id: str
    list_id: str
    contact_id: int
    attempt: int
    campaign_type: int = 0


@dataclass(frozen=True)
class PendingTimer:
    """A timer the call waits for; kept in the snapshot so it survives a restart."""

    timer_id: str
    fire_at: datetime


@dataclass(frozen=True)
class Call:
    """A call of any origin. ``agent`` and ``customer`` are the parties the origin names
    (click2call has both, an OTP call only a customer); the legs say who was dialled."""

    request_id: str
    account_id: str
    origin: Origin
    state: CallState
    caller_id: str
    created_at: datetime
    agent: Party | None = None
    customer: Party | None = None
    recording: RecordingOption = RecordingOption.OFF
    transcript: bool = False
    legs: tuple[Leg, ...] = ()
    bridge_id: str | None = None
    recordings: tuple[str, ...] = ()
    timers: tuple[PendingTimer, ...] = ()
    # What the answered leg runs (OTP, campaigns, answer_url), and the run once it started.
    answer_program: Program = ()
    program: ProgramState | None = None
    # The program's Dial under way: its id and the channels it rang.
    dial_id: str | None = None
    dial_channels: tuple[str, ...] = ()
    legs_dialled: int = 0
    ended_at: datetime | None = None
    inbound_did: str = ""
    # Plivo API calls: what the application asked for; the machine-detection verdict
    # ("" not run, "true", "false") and AMD's words for it; why the call failed (a document
    # that could not be fetched or run), and playbacks started by the live-call API.
    api: ApiCallOptions | None = None
    machine: str = ""
    machine_detail: str = ""
    failure_reason: str = ""
    api_playbacks: tuple[str, ...] = ()
    api_notified: tuple[str, ...] = ()  # the status callbacks already emitted (ring, …)
    campaign: CampaignRef | None = None  # campaign calls: the attempt this call is
    multiparty: str = ""  # a multi-party call member: that call's node_id (its CDR context)
    # Bumped by the router on every change: a replayed or late snapshot never overwrites a
    # newer one in the store.
    revision: int = 0

    def leg(self, channel_id: str) -> Leg | None:
        return next((leg for leg in self.legs if leg.channel_id == channel_id), None)

    def leg_by_role(self, role: Role) -> Leg | None:
        """The newest leg with ``role``."""
        return next((leg for leg in reversed(self.legs) if leg.role is role), None)

    def held_leg(self) -> Leg | None:
        return next((leg for leg in self.legs if leg.held and leg.live), None)

    def awaiting_playback(self, playback_id: str) -> Leg | None:
        """The live leg on which the call waits for ``playback_id`` to finish."""
        return next((leg for leg in self.legs if leg.playback_id == playback_id and leg.live),
                    None)

    def live_legs(self) -> tuple[Leg, ...]:
        return tuple(leg for leg in self.legs if leg.live)

    def with_leg(self, leg: Leg) -> Call:
        legs = tuple(leg if old.channel_id == leg.channel_id else old for old in self.legs)
        return replace(self, legs=legs)

    @property
    def live(self) -> bool:
        return self.state is not CallState.ENDED

    def next_channel_id(self) -> tuple[str, Call]:
        # The engine names its channels "<request_id>.<n>": it knows every leg's id before
        # Asterisk does, so no event can arrive for a channel the router cannot place.
        n = self.legs_dialled + 1
        return f"{self.request_id}.{n}", replace(self, legs_dialled=n)
