"""click2call and scheduled callbacks refuse an agent known to be unregistered, with a CDR;
unknown presence refuses nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.ami.messages import CONNECTED, DISCONNECTED, AmiEvent
from engine.domain import cdr
from engine.domain.accounts import Account
from engine.domain.agents import AGENT_UNREGISTERED, AgentUnregistered, refused_call
from engine.domain.call import Call, CallState, LegState, Origin, Role
from engine.domain.callbacks import CallbackStatus
from engine.domain.ledger import cdr_for_leg
from engine.domain.numbers import Extension
from engine.services.agents import AgentDirectory
from engine.services.click2call import Click2CallOrder, Click2CallService, TelephonyRules
from tests.unit.core.test_callbacks_scheduler import FakeStore, scheduler

RULES = TelephonyRules(("101", "102"), "US")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent(headers={"Event": name, **headers}, name=name)


def directory(*registered: str) -> AgentDirectory:
    """A directory whose AMI connected and listed ``registered``."""
    agents = AgentDirectory(RULES.extensions, clock=lambda: NOW)
    assert agents.apply(AmiEvent(name=CONNECTED)) is True
    for ext in registered:
        agents.apply(event("ContactList", Endpoint=ext, Uri=f"sip:{ext}@h", Status="Reachable"))
    agents.apply(event("ContactListComplete"))
    return agents


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    async def __call__(self, call: Call) -> None:
        self.calls.append(call)


class FakeRouter:
    def __init__(self) -> None:
        self.launched: list[Call] = []

    async def launch(self, call: Call) -> Call:
        self.launched.append(call)
        return call


def service(agents: AgentDirectory, recorder: Recorder, router: FakeRouter) -> Click2CallService:
    return Click2CallService(router, RULES, asterisk_up=lambda: True,  # type: ignore[arg-type]
                             can_transcribe=False, presence=agents, record_refused=recorder)


ORDER = Click2CallOrder("101", "15168148111", "15168141000")


def test_the_directory_answers_registered_synchronously() -> None:
    agents = directory("102")
    assert agents.known
    assert not agents.registered("101")
    assert agents.registered("102")
    assert agents.registered("999")  # not an agent extension: not the directory's call
    agents.apply(AmiEvent(name=DISCONNECTED))
    assert not agents.known
    assert agents.registered("101")  # unknown refuses nothing
    assert [a.extension for a in agents.listing(Account("account_1"))] == ["101", "102"]


def test_a_refused_call_is_one_failed_agent_leg() -> None:
    call = service(directory(), Recorder(), FakeRouter()).build_call(
        Account("account_1"), ORDER, NOW)
    refused = refused_call(call, NOW)
    assert refused.state is CallState.ENDED and refused.ended_at == NOW
    assert refused.failure_reason.startswith(AGENT_UNREGISTERED)
    (leg,) = refused.legs
    assert (leg.role, leg.party, leg.state) == (Role.AGENT, Extension("101"), LegState.GONE)
    row = cdr_for_leg(refused, leg)
    assert (row.dial_status, row.call_status, row.hangup_cause) == (
        cdr.CHANUNAVAIL, "FAILED", cdr.CAUSE_UNREACHABLE)
    assert row.agent_number == "101" and row.customer_number == "15168141000"


async def test_click2call_to_an_unregistered_agent_fails_fast_with_a_cdr() -> None:
    recorder, router = Recorder(), FakeRouter()
    c2c = service(directory("102"), recorder, router)
    with pytest.raises(AgentUnregistered) as refused:
        await c2c.start(Account("account_1"), ORDER)
    assert router.launched == []
    (call,) = recorder.calls
    assert refused.value.code == "agent_unregistered"
    assert refused.value.details == {"field": "agent_number", "extension": "101",
                                     "call_request_id": call.request_id}
    assert call.origin is Origin.CLICK2CALL and call.account_id == "account_1"


async def test_registered_external_and_unknown_agents_are_dialled() -> None:
    recorder, router = Recorder(), FakeRouter()
    await service(directory("101"), recorder, router).start(Account("a"), ORDER)
    external = Click2CallOrder("15168140000", "15168148111", "15168141000")
    await service(directory(), recorder, router).start(Account("a"), external)
    unknown = AgentDirectory(RULES.extensions, clock=lambda: NOW)  # AMI never connected
    await service(unknown, recorder, router).start(Account("a"), ORDER)
    assert len(router.launched) == 3 and recorder.calls == []


async def test_a_callback_for_an_unregistered_agent_fails_with_the_reason() -> None:
    store = FakeStore()
    recorder = Recorder()
    store.add("ccccccccc1")
    dialer = service(directory(), recorder, FakeRouter())
    assert await scheduler(store, dialer).fire_due() == 1  # type: ignore[arg-type]
    entry = store.entries["ccccccccc1"]
    assert entry.row.status is CallbackStatus.FAILED
    assert "agent extension 101 is not registered" in entry.row.reason
    (call,) = recorder.calls
    assert (call.request_id, call.origin) == ("ccccccccc1", Origin.CALLBACK)
