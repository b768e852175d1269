"""Agent presence: where each agent extension is, folded from AMI messages (pure).

Per extension the engine knows whether a softphone is registered (a reachable PJSIP
contact), what its device is doing (idle, ringing, in call, unavailable), and since when.

What feeds it, in order on one AMI connection:

- :func:`connected` (after each AMI login): everything is unknown until the listing
  below completes; a listing begins.
- ``ContactList`` events (the answer to ``PJSIPShowContacts``) fill the listing;
  ``ContactListComplete`` makes it the truth: an extension without a listed contact is
  unregistered. Only then is presence *known*.
- ``ContactStatus`` events (``Created``, ``Removed``, ``Reachable``, ``Unreachable`` …)
  keep contacts current, listing or not.
- ``DeviceStateChange`` events (also the answer to ``DeviceStateList``) say what the
  device ``PJSIP/<extension>`` is doing.
- :func:`disconnected` (the link dropped): unknown again.

Unknown presence never refuses a call (:func:`refuses`): with the AMI down the engine
cannot tell, and a wrong refusal is worse than one unanswered ring.

A call refused because its agent is unregistered still leaves a trace
(:func:`refused_call`): an ended call whose one agent leg says ``CHANUNAVAIL``, cause 20
(subscriber absent), exactly what Asterisk reports when it dials an unregistered
extension, and ``failure_reason`` ``agent_unregistered: …``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from engine.domain import cdr
from engine.domain.call import Call, CallState, Leg, LegState, Role
from engine.domain.errors import Conflict
from engine.domain.numbers import Extension

# The AMI events presence is folded from (the client may drop every other one).
PRESENCE_EVENTS = frozenset({
    "ContactStatus", "ContactList", "ContactListComplete", "DeviceStateChange",
})
# The AMI class mask that carries them (ContactStatus: system; DeviceStateChange: call).
PRESENCE_EVENT_MASK = "system,call"

# A contact in one of these states cannot take a call.
_DEAD_CONTACT = frozenset({"removed", "unreachable"})
_DEVICE_PREFIX = "pjsip/"


class AmiEventLike(Protocol):
    """What the fold reads of an AMI event (``engine.ami.messages.AmiEvent`` fits)."""

    @property
    def name(self) -> str: ...
    def get(self, key: str, default: str = "") -> str: ...


class Registration(StrEnum):
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"
    UNKNOWN = "unknown"  # the AMI is down, or the first listing has not completed


class Activity(StrEnum):
    IDLE = "idle"
    RINGING = "ringing"
    IN_CALL = "in call"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


# Asterisk's device states (``DeviceStateChange``'s ``State``) as agent activity.
_ACTIVITY = {
    "NOT_INUSE": Activity.IDLE,
    "RINGING": Activity.RINGING,
    "RINGINUSE": Activity.RINGING,
    "INUSE": Activity.IN_CALL,
    "BUSY": Activity.IN_CALL,
    "ONHOLD": Activity.IN_CALL,
    "UNAVAILABLE": Activity.UNAVAILABLE,
    "INVALID": Activity.UNAVAILABLE,
}


@dataclass(frozen=True)
class AgentPresence:
    """One agent extension: registration and activity, each with the time it began."""

    extension: str
    registration: Registration
    activity: Activity
    registration_since: datetime
    activity_since: datetime
    contacts: frozenset[str] = frozenset()  # URIs of its live PJSIP contacts

    @property
    def since(self) -> datetime:
        """When anything about this agent last changed."""
        return max(self.registration_since, self.activity_since)


@dataclass(frozen=True)
class Presence:
    """Every followed extension. ``listing`` collects a ``PJSIPShowContacts`` answer."""

    agents: Mapping[str, AgentPresence]
    known: bool = False
    listing: Mapping[str, frozenset[str]] | None = None


def initial(extensions: Iterable[str], now: datetime) -> Presence:
    """Nothing known yet about ``extensions``."""
    return Presence({ext: AgentPresence(ext, Registration.UNKNOWN, Activity.UNKNOWN, now, now)
                     for ext in extensions})


def refuses(presence: Presence, extension: str) -> bool:
    """True only when presence is known and ``extension`` has no live contact.

    An extension the engine does not follow, or unknown presence, never refuses."""
    agent = presence.agents.get(extension)
    return (presence.known and agent is not None
            and agent.registration is Registration.UNREGISTERED)


def connected(presence: Presence, now: datetime) -> Presence:
    """A new AMI connection: unknown until its contact listing completes, which begins."""
    return _all_unknown(replace(presence, listing={}), now)


def disconnected(presence: Presence, now: datetime) -> Presence:
    """The AMI link dropped: nothing is known any more."""
    return _all_unknown(replace(presence, listing=None), now)


def no_contacts(presence: Presence, now: datetime) -> Presence:
    """The PBX answered ``PJSIPShowContacts`` with "No Contacts found" (its answer when no
    softphone at all is registered): an empty, complete listing."""
    return _listing_complete(presence, now)


def fold(presence: Presence, event: AmiEventLike, now: datetime) -> Presence:
    """``presence`` after ``event``; events about other endpoints change nothing."""
    match event.name:
        case "ContactStatus":
            return _contact_status(presence, event, now)
        case "ContactList":
            return _listed(presence, event)
        case "ContactListComplete":
            return _listing_complete(presence, now)
        case "DeviceStateChange":
            return _device_state(presence, event, now)
    return presence


def _all_unknown(presence: Presence, now: datetime) -> Presence:
    agents = {ext: _with(agent, now, registration=Registration.UNKNOWN,
                         activity=Activity.UNKNOWN, contacts=frozenset())
              for ext, agent in presence.agents.items()}
    return replace(presence, agents=agents, known=False)


def _with(agent: AgentPresence, now: datetime, *, registration: Registration | None = None,
          activity: Activity | None = None,
          contacts: frozenset[str] | None = None) -> AgentPresence:
    """``agent`` with what changed, and the time of each change."""
    if registration is not None and registration is not agent.registration:
        agent = replace(agent, registration=registration, registration_since=now)
    if activity is not None and activity is not agent.activity:
        agent = replace(agent, activity=activity, activity_since=now)
    if contacts is not None:
        agent = replace(agent, contacts=contacts)
    return agent


def _extension_of(event: AmiEventLike) -> str:
    # ContactStatus says EndpointName, ContactList says Endpoint; both name the AOR too
    # (agents' AORs are named after their extension).
    return event.get("EndpointName") or event.get("Endpoint") or event.get("AOR")


def _contacts_after(contacts: frozenset[str], uri: str, status: str) -> frozenset[str]:
    return contacts - {uri} if status.lower() in _DEAD_CONTACT else contacts | {uri}


def _registration(contacts: frozenset[str]) -> Registration:
    return Registration.REGISTERED if contacts else Registration.UNREGISTERED


def _contact_status(presence: Presence, event: AmiEventLike, now: datetime) -> Presence:
    ext, uri, status = _extension_of(event), event.get("URI"), event.get("ContactStatus")
    agent = presence.agents.get(ext)
    if agent is None or not uri:
        return presence
    listing = presence.listing
    if listing is not None:
        listing = {**listing, ext: _contacts_after(listing.get(ext, frozenset()), uri, status)}
    contacts = _contacts_after(agent.contacts, uri, status)
    # Before the first listing completes, one contact event does not make presence known.
    registration = _registration(contacts) if presence.known or contacts else None
    agents = {**presence.agents,
              ext: _with(agent, now, registration=registration, contacts=contacts)}
    return replace(presence, agents=agents, listing=listing)


def _listed(presence: Presence, event: AmiEventLike) -> Presence:
    ext, uri = _extension_of(event), event.get("Uri") or event.get("URI")
    if presence.listing is None or ext not in presence.agents or not uri:
        return presence
    contacts = _contacts_after(presence.listing.get(ext, frozenset()), uri,
                               event.get("Status"))
    return replace(presence, listing={**presence.listing, ext: contacts})


def _listing_complete(presence: Presence, now: datetime) -> Presence:
    if presence.listing is None:
        return presence
    listing = presence.listing
    agents = {}
    for ext, agent in presence.agents.items():
        contacts = listing.get(ext, frozenset())
        activity = agent.activity
        if not contacts:
            activity = Activity.UNAVAILABLE
        elif activity in (Activity.UNKNOWN, Activity.UNAVAILABLE):
            activity = Activity.IDLE  # registered; a DeviceStateChange corrects it
        agents[ext] = _with(agent, now, registration=_registration(contacts),
                            activity=activity, contacts=contacts)
    return Presence(agents, known=True, listing=None)


def _device_state(presence: Presence, event: AmiEventLike, now: datetime) -> Presence:
    device = event.get("Device")
    if not device.lower().startswith(_DEVICE_PREFIX):
        return presence
    ext = device[len(_DEVICE_PREFIX):]
    agent = presence.agents.get(ext)
    activity = _ACTIVITY.get(event.get("State").upper())
    if agent is None or activity is None:
        return presence
    return replace(presence, agents={**presence.agents, ext: _with(agent, now,
                                                                    activity=activity)})


AGENT_UNREGISTERED = "agent_unregistered"


class AgentUnregistered(Conflict):
    """The agent extension has no registered softphone: the call was not placed (HTTP 409).

    ``details``: ``field`` (the request field naming the agent), ``extension``, and
    ``call_request_id``, the request id of the refused call's CDR."""

    code = AGENT_UNREGISTERED

    def __init__(self, extension: str, field: str, call_request_id: str) -> None:
        super().__init__(f"agent extension {extension} is not registered (no softphone is "
                         "signed in); the call was not placed",
                         details={"field": field, "extension": extension,
                                  "call_request_id": call_request_id})
        self.extension = extension


def unregistered_agent(call: Call, presence: Presence) -> str | None:
    """The call's agent extension if presence knows it is unregistered, else None."""
    agent = call.agent
    if isinstance(agent, Extension) and refuses(presence, agent.number):
        return agent.number
    return None


def refused_call(call: Call, now: datetime, role: Role = Role.AGENT) -> Call:
    """``call`` (not yet dialled) ended at ``now``: its agent was never reachable.

    One leg of ``role`` (the call's agent, or for a multi-party member, its one leg), gone
    at once, ``CHANUNAVAIL`` with cause 20 (subscriber absent): the CDR row a user would
    see had Asterisk tried to dial the unregistered extension."""
    party = call.agent if role is Role.AGENT else call.customer
    if not isinstance(party, Extension):
        raise ValueError("only a call to an agent extension can be refused for its agent")
    channel_id, call = call.next_channel_id()
    leg = Leg(role=role, party=party, channel_id=channel_id, state=LegState.GONE,
              created_at=now, ended_at=now, dial_status=cdr.CHANUNAVAIL,
              hangup_cause=cdr.CAUSE_UNREACHABLE)
    reason = f"{AGENT_UNREGISTERED}: agent extension {party.number} is not registered"
    return replace(call, state=CallState.ENDED, legs=(leg,), ended_at=now,
                   failure_reason=reason)
