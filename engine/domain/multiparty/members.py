"""Members of a multi-party call and the life of each one, as a literal transition table.

A member is one party the call dialled: ``ringing`` until it answers and is in the
bridge (``connected``), ``on hold`` while an agent holds it (out of the mix, hearing music
on hold), and ``left`` once its leg is gone. ``left`` is final. Any other step is a
``MemberStateConflict`` and the member stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from engine.domain.errors import Conflict
from engine.domain.numbers import Extension, External, Party


class MemberRole(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"


class MemberState(StrEnum):
    RINGING = "ringing"
    CONNECTED = "connected"
    ON_HOLD = "on hold"
    LEFT = "left"


class MemberStateConflict(Conflict):
    code = "member_state_conflict"


_NEXT: dict[MemberState, frozenset[MemberState]] = {
    MemberState.RINGING: frozenset({MemberState.CONNECTED, MemberState.LEFT}),
    MemberState.CONNECTED: frozenset({MemberState.ON_HOLD, MemberState.LEFT}),
    MemberState.ON_HOLD: frozenset({MemberState.CONNECTED, MemberState.LEFT}),
    MemberState.LEFT: frozenset(),
}


def address_of(party: Party) -> str:
    """How a member is named in answers and in ``…/members/{address}``: ``+<E.164>`` for a
    number, ``sip:<extension>`` for an agent's softphone."""
    if isinstance(party, Extension):
        return f"sip:{party.number}"
    return f"+{party.e164_digits}"


@dataclass(frozen=True)
class Member:
    """One party of a multi-party call; ``request_id`` is its leg's call (and CDR)."""

    request_id: str
    party: Party
    role: MemberRole
    state: MemberState
    created_at: datetime
    joined_at: datetime | None = None
    left_at: datetime | None = None

    @property
    def address(self) -> str:
        return address_of(self.party)

    @property
    def live(self) -> bool:
        return self.state is not MemberState.LEFT

    @property
    def present(self) -> bool:
        """Answered and still a member (connected or on hold)."""
        return self.state in (MemberState.CONNECTED, MemberState.ON_HOLD)

    def to(self, state: MemberState, at: datetime) -> Member:
        """The member in ``state``; MemberStateConflict if it cannot go there from here."""
        if state not in _NEXT[self.state]:
            raise MemberStateConflict(
                f"member {self.address} is {self.state.value}; it cannot become "
                f"{state.value}")
        if state is MemberState.CONNECTED and self.joined_at is None:
            return replace(self, state=state, joined_at=at)
        if state is MemberState.LEFT:
            return replace(self, state=state, left_at=at)
        return replace(self, state=state)


def same_party(a: Party, b: Party) -> bool:
    if isinstance(a, Extension) and isinstance(b, Extension):
        return a.number == b.number
    if isinstance(a, External) and isinstance(b, External):
        return a.e164_digits == b.e164_digits
    return False
