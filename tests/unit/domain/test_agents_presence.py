"""Agent presence (pure): the fold of AMI contact and device events, as Asterisk 22 sends
them (field names and values copied from a real PBX with the simulated agents)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from engine.ami.messages import AmiEvent
from engine.domain import agents
from engine.domain.agents import Activity, Presence, Registration

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent(headers={"Event": name, **headers}, name=name)


def contact_status(ext: str, status: str) -> AmiEvent:
    return event("ContactStatus", URI=f"sip:{ext}@127.0.0.1:15080", ContactStatus=status,
                 AOR=ext, EndpointName=ext, RoundtripUsec="0")


def listed(ext: str, status: str = "NonQualified") -> AmiEvent:
    return event("ContactList", ObjectType="contact", ObjectName=f"{ext};@e4b9b84e",
                 Endpoint=ext, Aor=ext, Uri=f"sip:{ext}@127.0.0.1:15080", Status=status)


def device(ext: str, state: str) -> AmiEvent:
    return event("DeviceStateChange", Device=f"PJSIP/{ext}", State=state)


def fold_all(presence: Presence, events: Iterable[AmiEvent], when: datetime) -> Presence:
    for e in events:
        presence = agents.fold(presence, e, when)
    return presence


def synced(*registered: str, extensions: tuple[str, ...] = ("101", "102", "103")) -> Presence:
    """Connected at T0 with ``registered`` listed by PJSIPShowContacts."""
    presence = agents.connected(agents.initial(extensions, T0), T0)
    return fold_all(presence, [*(listed(e) for e in registered),
                               event("ContactListComplete", EventList="Complete")], T0)


def test_nothing_is_known_before_the_first_listing_completes() -> None:
    presence = agents.connected(agents.initial(["101"], T0), T0)
    presence = agents.fold(presence, listed("101"), at(1))
    agent = presence.agents["101"]
    assert (agent.registration, agent.activity) == (Registration.UNKNOWN, Activity.UNKNOWN)
    assert not presence.known
    assert not agents.refuses(presence, "101")


def test_the_listing_decides_registered_and_unregistered() -> None:
    presence = synced("101", "103")
    assert presence.known
    assert presence.agents["101"].registration is Registration.REGISTERED
    assert presence.agents["101"].activity is Activity.IDLE
    assert presence.agents["102"].registration is Registration.UNREGISTERED
    assert presence.agents["102"].activity is Activity.UNAVAILABLE
    assert agents.refuses(presence, "102")
    assert not agents.refuses(presence, "101")


def test_an_unreachable_contact_in_the_listing_is_not_registered() -> None:
    presence = agents.connected(agents.initial(["101"], T0), T0)
    presence = fold_all(presence, [listed("101", "Unreachable"),
                                   event("ContactListComplete")], T0)
    assert presence.agents["101"].registration is Registration.UNREGISTERED


def test_contact_removed_then_registered_again_with_times() -> None:
    presence = agents.fold(synced("101"), contact_status("101", "Removed"), at(5))
    agent = presence.agents["101"]
    assert agent.registration is Registration.UNREGISTERED
    assert agent.registration_since == at(5)
    assert agents.refuses(presence, "101")
    presence = agents.fold(presence, device("101", "UNAVAILABLE"), at(6))
    presence = agents.fold(presence, contact_status("101", "NonQualified"), at(9))
    presence = agents.fold(presence, device("101", "NOT_INUSE"), at(9))
    agent = presence.agents["101"]
    assert (agent.registration, agent.activity) == (Registration.REGISTERED, Activity.IDLE)
    assert agent.registration_since == at(9)
    assert agent.since == at(9)
    assert not agents.refuses(presence, "101")


@pytest.mark.parametrize(("state", "activity"), [
    ("NOT_INUSE", Activity.IDLE), ("RINGING", Activity.RINGING),
    ("RINGINUSE", Activity.RINGING), ("INUSE", Activity.IN_CALL),
    ("BUSY", Activity.IN_CALL), ("ONHOLD", Activity.IN_CALL),
    ("UNAVAILABLE", Activity.UNAVAILABLE), ("INVALID", Activity.UNAVAILABLE),
])
def test_device_states_are_activities(state: str, activity: Activity) -> None:
    presence = agents.fold(synced("101"), device("101", state), at(3))
    assert presence.agents["101"].activity is activity


def test_activity_since_changes_only_when_the_activity_does() -> None:
    presence = agents.fold(synced("101"), device("101", "INUSE"), at(3))
    presence = agents.fold(presence, device("101", "BUSY"), at(4))  # still in call
    agent = presence.agents["101"]
    assert agent.activity_since == at(3)
    assert agent.registration_since == T0


def test_other_endpoints_and_unknown_states_change_nothing() -> None:
    presence = synced("101")
    for other in (device("carrier", "INUSE"), device("999", "INUSE"),
                  event("DeviceStateChange", Device="Local/1@x", State="INUSE"),
                  device("101", "UNKNOWN"), contact_status("carrier", "Removed"),
                  event("Hangup", Channel="PJSIP/101-00000001")):
        assert agents.fold(presence, other, at(1)) == presence


def test_a_contact_event_during_the_listing_is_not_lost() -> None:
    presence = agents.connected(agents.initial(["101"], T0), T0)
    presence = agents.fold(presence, listed("101"), T0)
    presence = agents.fold(presence, contact_status("101", "Removed"), at(1))
    presence = agents.fold(presence, event("ContactListComplete"), at(1))
    assert presence.agents["101"].registration is Registration.UNREGISTERED


def test_a_lost_connection_makes_everything_unknown_and_refuses_nothing() -> None:
    presence = agents.disconnected(synced(), at(7))
    assert not presence.known
    assert presence.agents["101"].registration is Registration.UNKNOWN
    assert presence.agents["101"].registration_since == at(7)
    assert not agents.refuses(presence, "101")
    # Reconnected: the next listing is the truth again, whatever happened meanwhile.
    presence = agents.connected(presence, at(8))
    presence = fold_all(presence, [listed("102"), event("ContactListComplete")], at(9))
    assert agents.refuses(presence, "101")
    assert presence.agents["102"].registration is Registration.REGISTERED


def test_extensions_that_are_not_agents_are_never_refused() -> None:
    assert not agents.refuses(synced(), "555")


def test_no_contacts_found_is_an_empty_complete_listing() -> None:
    presence = agents.connected(agents.initial(["101"], T0), T0)
    presence = agents.no_contacts(presence, at(1))
    assert presence.known and agents.refuses(presence, "101")
    assert presence.agents["101"].activity is Activity.UNAVAILABLE
