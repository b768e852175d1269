"""Multi-party calls, pure: member states, roles, who may ask for what, request bodies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.agents import refused_call
from engine.domain.call import Call, CallState, Leg, LegState, Origin, Role
from engine.domain.errors import Conflict, InvalidField
from engine.domain.ledger import cdr_for_leg
from engine.domain.multiparty import actions, rules
from engine.domain.multiparty.actions import MemberAction
from engine.domain.multiparty.members import (
    Member,
    MemberRole,
    MemberState,
    MemberStateConflict,
    address_of,
)
from engine.domain.numbers import Extension, External

T0 = datetime(2026, 1, 1, tzinfo=UTC)
EXTENSIONS = ("101", "102")
AGENT, AGENT_2 = Extension("101"), Extension("102")
CUSTOMER = External("14155550100")


def member(party: Extension | External, role: MemberRole,
           state: MemberState = MemberState.CONNECTED, request_id: str = "") -> Member:
    return Member(request_id or address_of(party), party, role, state, T0)


# ---- member states -------------------------------------------------------------------


def test_a_member_rings_connects_is_held_and_leaves_with_its_times() -> None:
    m = member(CUSTOMER, MemberRole.CUSTOMER, MemberState.RINGING)
    joined = m.to(MemberState.CONNECTED, T0 + timedelta(seconds=2))
    assert joined.joined_at == T0 + timedelta(seconds=2)
    held = joined.to(MemberState.ON_HOLD, T0 + timedelta(seconds=5))
    back = held.to(MemberState.CONNECTED, T0 + timedelta(seconds=9))
    assert back.joined_at == joined.joined_at  # unhold is not a second join
    gone = back.to(MemberState.LEFT, T0 + timedelta(seconds=12))
    assert gone.left_at == T0 + timedelta(seconds=12) and not gone.live


@pytest.mark.parametrize(("start", "target"), [
    (MemberState.RINGING, MemberState.ON_HOLD),
    (MemberState.CONNECTED, MemberState.CONNECTED),
    (MemberState.ON_HOLD, MemberState.ON_HOLD),
    (MemberState.LEFT, MemberState.CONNECTED),
    (MemberState.LEFT, MemberState.LEFT),
])
def test_an_illegal_step_is_a_conflict_and_changes_nothing(start: MemberState,
                                                           target: MemberState) -> None:
    m = member(CUSTOMER, MemberRole.CUSTOMER, start)
    with pytest.raises(MemberStateConflict):
        m.to(target, T0)
    assert m.state is start


def test_addresses_are_e164_with_plus_or_sip_extension() -> None:
    assert address_of(CUSTOMER) == "+14155550100"
    assert address_of(AGENT) == "sip:101"


# ---- addresses ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["sip:101@pbx.example.com", "sip:101", "101", " 101 "])
def test_an_agent_is_named_by_sip_uri_or_extension(raw: str) -> None:
    assert rules.parse_address(raw, "to", EXTENSIONS, "US") == AGENT


@pytest.mark.parametrize("raw", ["+1 415 555 0100", "14155550100", "(415) 555-0100"])
def test_a_number_is_validated_and_normalised(raw: str) -> None:
    assert rules.parse_address(raw, "to", EXTENSIONS, "US") == CUSTOMER


@pytest.mark.parametrize(("raw", "code"), [
    ("sip:999@pbx", "unknown_extension"), ("sip:foo;x=PJSIP/evil@pbx", "unknown_extension"),
    ("12", "invalid_field"), ("", "invalid_field"), ("PJSIP/101", "invalid_field"),
])
def test_anything_else_never_reaches_a_dial_string(raw: str, code: str) -> None:
    with pytest.raises(InvalidField) as caught:
        rules.parse_address(raw, "to", EXTENSIONS, "US")
    assert caught.value.code == code and caught.value.details == {"field": "to"}


def test_a_non_string_address_is_refused() -> None:
    with pytest.raises(InvalidField):
        rules.parse_address(101, "to", EXTENSIONS, "US")


# ---- trigger_source and the first member --------------------------------------------


def test_the_first_member_starts_the_call_whoever_asks_but_must_be_an_agent() -> None:
    rules.check_call([], CUSTOMER, AGENT, MemberRole.AGENT)
    gone = [member(AGENT_2, MemberRole.AGENT, MemberState.LEFT)]
    rules.check_call(gone, CUSTOMER, AGENT, MemberRole.AGENT)  # over: starts again
    with pytest.raises(Conflict) as caught:
        rules.check_call([], AGENT, CUSTOMER, MemberRole.CUSTOMER)
    assert caught.value.code == "first_member_not_agent"


def test_a_connected_agent_may_add_members() -> None:
    rules.check_call([member(AGENT, MemberRole.AGENT)], AGENT, CUSTOMER, MemberRole.CUSTOMER)


@pytest.mark.parametrize(("members", "code"), [
    ([member(AGENT, MemberRole.AGENT, MemberState.RINGING)], "trigger_not_connected"),
    ([member(AGENT, MemberRole.AGENT, MemberState.ON_HOLD)], "trigger_not_connected"),
    ([member(AGENT_2, MemberRole.AGENT)], "trigger_not_connected"),  # not a member
    ([member(AGENT_2, MemberRole.AGENT), member(AGENT, MemberRole.AGENT, MemberState.LEFT)],
     "trigger_not_connected"),
    ([member(AGENT_2, MemberRole.AGENT), member(AGENT, MemberRole.CUSTOMER)],
     "trigger_not_agent"),
])
def test_any_other_trigger_source_is_refused(members: list[Member], code: str) -> None:
    with pytest.raises(Conflict) as caught:
        rules.check_call(members, AGENT, CUSTOMER, MemberRole.CUSTOMER)
    assert caught.value.code == code
    assert caught.value.details == {"field": "trigger_source"}


def test_a_live_member_is_not_dialled_twice() -> None:
    members = [member(AGENT, MemberRole.AGENT),
               member(CUSTOMER, MemberRole.CUSTOMER, MemberState.RINGING)]
    with pytest.raises(Conflict) as caught:
        rules.check_call(members, AGENT, CUSTOMER, MemberRole.CUSTOMER)
    assert caught.value.code == "already_member"
    left = [members[0], replace(members[1], state=MemberState.LEFT)]
    rules.check_call(left, AGENT, CUSTOMER, MemberRole.CUSTOMER)  # may come back


# ---- roles ------------------------------------------------------------------------------


def test_customers_are_dismissed_only_once_no_agent_is_left() -> None:
    customer = member(CUSTOMER, MemberRole.CUSTOMER)
    for agent_state in (MemberState.RINGING, MemberState.CONNECTED, MemberState.ON_HOLD):
        assert rules.customers_to_dismiss(
            [member(AGENT, MemberRole.AGENT, agent_state), customer]) == []
    gone = member(AGENT, MemberRole.AGENT, MemberState.LEFT)
    ringing = member(External("14155550101"), MemberRole.CUSTOMER, MemberState.RINGING)
    held = member(External("14155550102"), MemberRole.CUSTOMER, MemberState.ON_HOLD)
    assert rules.customers_to_dismiss([gone, customer, ringing, held]) == [customer, ringing,
                                                                           held]
    assert rules.customers_to_dismiss([gone]) == []


def test_a_customer_hears_music_while_alone_in_the_mix() -> None:
    customer = member(CUSTOMER, MemberRole.CUSTOMER)
    agent = member(AGENT, MemberRole.AGENT)
    assert rules.customer_alone([customer])
    assert rules.customer_alone([customer, replace(agent, state=MemberState.ON_HOLD)])
    assert rules.customer_alone([customer, replace(agent, state=MemberState.RINGING)])
    assert not rules.customer_alone([customer, agent])
    assert not rules.customer_alone([agent])  # an agent alone hears silence
    two = member(External("14155550101"), MemberRole.CUSTOMER)
    assert not rules.customer_alone([customer, two])


def test_the_call_is_over_when_nobody_is_left() -> None:
    assert rules.over([])
    assert rules.over([member(AGENT, MemberRole.AGENT, MemberState.LEFT)])
    assert not rules.over([member(AGENT, MemberRole.AGENT, MemberState.RINGING)])


# ---- request bodies -----------------------------------------------------------------------


def test_the_seeds_body_adds_a_member_with_role_agent_by_default() -> None:
    order = actions.add_member({"action": "call", "to": "+14155550100",
                                "trigger_source": "sip:101@pbx"}, EXTENSIONS, "US")
    assert order == actions.AddMember(CUSTOMER, MemberRole.AGENT, AGENT, "")
    order = actions.add_member({"action": "call", "to": "sip:102@x", "role": "CUSTOMER",
                                "trigger_source": "101"}, EXTENSIONS, "US")
    assert order.role is MemberRole.CUSTOMER and order.to == AGENT_2


@pytest.mark.parametrize(("body", "field"), [
    ({"to": "+14155550100", "trigger_source": "101"}, "action"),
    ({"action": "dance", "to": "+14155550100", "trigger_source": "101"}, "action"),
    ({"action": "call", "trigger_source": "101"}, "to"),
    ({"action": "call", "to": "+14155550100"}, "trigger_source"),
    ({"action": "call", "to": "+14155550100", "trigger_source": "101", "role": "boss"},
     "role"),
    ({"action": 1, "to": "+14155550100", "trigger_source": "101"}, "action"),
])
def test_a_bad_body_names_the_field_at_fault(body: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        actions.add_member(body, EXTENSIONS, "US")
    assert caught.value.details == {"field": field}


def test_member_actions() -> None:
    assert actions.member_request({"action": "hold"}, EXTENSIONS, "US").action is (
        MemberAction.HOLD)
    moved = actions.member_request({"action": "cold_transfer", "to": "102"}, EXTENSIONS, "US")
    assert moved == actions.MemberRequest(MemberAction.COLD_TRANSFER, AGENT_2)
    with pytest.raises(InvalidField):
        actions.member_request({"action": "warm_transfer"}, EXTENSIONS, "US")
    with pytest.raises(InvalidField):
        actions.member_request({"action": "mute"}, EXTENSIONS, "US")


def test_an_unregistered_agent_is_refused_when_presence_is_known() -> None:
    assert rules.unregistered_agent(AGENT, None) is None  # presence unknown: tried
    assert rules.unregistered_agent(AGENT, lambda ext: ext == "101") is None
    assert rules.unregistered_agent(CUSTOMER, lambda ext: False) is None  # not an agent
    assert rules.unregistered_agent(AGENT_2, lambda ext: ext == "101") == "102"


def test_a_refused_member_leaves_one_failed_leg_naming_its_multi_party_call() -> None:
    member = Call("abc", "acct", Origin.API, CallState.DIALING_CUSTOMER, "15168148111", T0,
                  customer=AGENT_2, multiparty="node-1")
    refused = refused_call(member, T0, Role.CUSTOMER)
    (leg,) = refused.legs
    assert (refused.state, leg.role, leg.party, leg.dial_status, leg.hangup_cause) == (
        CallState.ENDED, Role.CUSTOMER, AGENT_2, "CHANUNAVAIL", 20)
    assert cdr_for_leg(refused, leg).destination_context == "multi_party_call:node-1"


def test_a_members_cdr_names_its_multi_party_call_in_the_context() -> None:
    leg = Leg(Role.CUSTOMER, CUSTOMER, "abc.1", LegState.GONE, T0)
    call = Call("abc", "acct", Origin.API, CallState.ENDED, "15168148111", T0,
                customer=CUSTOMER, legs=(leg,), multiparty="node-1")
    assert cdr_for_leg(call, leg).destination_context == "multi_party_call:node-1"
    assert cdr_for_leg(replace(call, multiparty=""), leg).destination_context == "api"
