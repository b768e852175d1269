"""What roles mean in a multi-party call, and who may ask for what (pure).

- The call lives while at least one agent is in it (ringing, connected or on hold). When
  the last agent leaves, every customer still there hears a message and is hung up.
- A customer hears music on hold while nobody else is heard with it: it is the only
  connected member not on hold.
- A held member is out of the mix: it hears music on hold and nobody hears it.
- ``trigger_source`` (who asks) must be a connected agent of the call; the one exception
  is the call's first member, who starts it: when the call has no live member, a "call"
  must add an agent, and its trigger_source is recorded but not checked.
- A party is a member at most once at a time: dialling a live member again is refused.
- An agent extension whose softphone is not registered is refused (when presence is known)
  instead of ringing nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from engine.domain.errors import Conflict, InvalidField
from engine.domain.multiparty.members import Member, MemberRole, MemberState, same_party
from engine.domain.numbers import Extension, External, Party, normalize_number

_SIP = "sip:"


def parse_address(raw: object, field: str, extensions: Collection[str],
                  default_region: str) -> Party:
    """A member address: ``sip:101@host`` or ``101`` (an agent extension the PBX knows),
    or a phone number (validated like every number the engine dials)."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidField(field, f"{field} is required: a phone number or sip:<extension>")
    value = raw.strip()
    if value.lower().startswith(_SIP):
        user = value[len(_SIP):].split("@", 1)[0].split(";", 1)[0]
        if user in extensions:
            return Extension(user)
        raise InvalidField(field, f"{field} names no agent extension of this PBX",
                           code="unknown_extension")
    if value in extensions:
        return Extension(value)
    return External(normalize_number(value, field, default_region))


def live_member(members: Sequence[Member], party: Party) -> Member | None:
    return next((m for m in members if m.live and same_party(m.party, party)), None)


def check_trigger(members: Sequence[Member], trigger: Party) -> None:
    """Conflict unless ``trigger`` is a connected agent of the call."""
    member = live_member(members, trigger)
    if member is None or member.state is not MemberState.CONNECTED:
        raise Conflict("trigger_source is not a connected member of this multi-party call",
                       code="trigger_not_connected", details={"field": "trigger_source"})
    if member.role is not MemberRole.AGENT:
        raise Conflict("trigger_source must be an agent of this multi-party call",
                       code="trigger_not_agent", details={"field": "trigger_source"})


def check_call(members: Sequence[Member], trigger: Party, to: Party,
               role: MemberRole) -> None:
    """May ``trigger`` add ``to`` with ``role`` now? Conflict (with a stable code) if not."""
    if not any(m.live for m in members):
        if role is not MemberRole.AGENT:
            raise Conflict("the first member of a multi-party call must be an agent",
                           code="first_member_not_agent", details={"field": "role"})
        return
    check_trigger(members, trigger)
    if live_member(members, to) is not None:
        raise Conflict("to is already a member of this multi-party call",
                       code="already_member", details={"field": "to"})


def agents_left(members: Sequence[Member]) -> bool:
    """No agent is in the call any more (ringing, connected or on hold)."""
    return not any(m.live and m.role is MemberRole.AGENT for m in members)


def customers_to_dismiss(members: Sequence[Member]) -> list[Member]:
    """The customers to tell goodbye and hang up: all live ones once no agent is left."""
    if not agents_left(members):
        return []
    return [m for m in members if m.live and m.role is MemberRole.CUSTOMER]


def heard(members: Sequence[Member]) -> list[Member]:
    """The members in the mix: connected, not on hold."""
    return [m for m in members if m.state is MemberState.CONNECTED]


def customer_alone(members: Sequence[Member]) -> bool:
    """Music on hold plays to the bridge: its only member in the mix is a customer."""
    mix = heard(members)
    return len(mix) == 1 and mix[0].role is MemberRole.CUSTOMER


def over(members: Sequence[Member]) -> bool:
    """Nobody is left: the bridge can go."""
    return not any(m.live for m in members)


def unregistered_agent(party: Party, registered: Callable[[str], bool] | None) -> str | None:
    """The agent extension ``party`` names if presence knows it is not registered, else
    None (``registered`` None: the engine does not know presence, every extension is
    tried)."""
    if isinstance(party, Extension) and registered is not None and not registered(party.number):
        return party.number
    return None
