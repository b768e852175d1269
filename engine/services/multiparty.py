"""Multi-party calls (Plivo's PHLO multi-party call node): the use cases behind the API.

A multi-party call is a (phlo_id, node_id) pair of an account, made with ``create``. Each
member is dialled as its own call under the router: a program call whose one verb is a
``Conference`` that the multi-party bridge executor (``engine.calls.multiparty_bridge``)
takes, so every leg runs the same pure state machine as every other call and gets its own
CDR (the member's ``call_uuid``). Who may add or act on whom is decided by the pure rules
of ``engine.domain.multiparty``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from engine.calls.multiparty_bridge import CallKey, MultipartyBridges
from engine.calls.router import CallRouter
from engine.domain.accounts import Account
from engine.domain.agents import AgentUnregistered, refused_call
from engine.domain.call import Call, CallState, Origin, Role
from engine.domain.errors import Conflict, InvalidField, NotFound, Unavailable
from engine.domain.events import HangupRequested
from engine.domain.ids import new_request_id
from engine.domain.multiparty import actions, rules
from engine.domain.multiparty.actions import AddMember, MemberAction
from engine.domain.multiparty.members import Member, MemberRole, MemberState
from engine.domain.numbers import Party, normalize_number
from engine.domain.programs.verbs import Conference
from engine.services.click2call import TelephonyRules
from engine.store.multiparty import MultipartyRecord, MultipartyRepository

NOT_FOUND = "multi-party call not found"
MAX_PAGE = 100
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


class AgentPresence(Protocol):
    """Whether an agent's softphone is registered (the AMI presence service fits)."""

    def registered(self, extension: str) -> bool: ...


@dataclass(frozen=True)
class MultipartyDetails:
    record: MultipartyRecord
    members: list[Member]


def _flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name, "")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidField(name, f"{name} must be true or false")


def _id(value: str) -> str:
    return value.strip().lower()


class MultipartyService:
    def __init__(self, repo: MultipartyRepository, bridges: MultipartyBridges,
                 router: CallRouter, rules_: TelephonyRules, *,
                 asterisk_up: Callable[[], bool], recordings_dir: Path,
                 presence: AgentPresence | None = None,
                 record_refused: Callable[[Call], Awaitable[None]] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._repo = repo
        self._bridges = bridges
        self._router = router
        self._rules = rules_
        self._asterisk_up = asterisk_up
        self._recordings_dir = recordings_dir
        self._presence = presence
        self._record_refused = record_refused
        self._clock = clock

    # ---- the calls of an account -------------------------------------------------------

    async def create(self, account: Account, params: Mapping[str, Any]) -> MultipartyRecord:
        name = params.get("name", "")
        if not isinstance(name, str) or len(name) > 200:
            raise InvalidField("name", "name must be text of at most 200 characters")
        raw_caller = params.get("caller_id")
        if not isinstance(raw_caller, str):
            raise InvalidField("caller_id", "caller_id is required: the number members see")
        caller_id = normalize_number(raw_caller, "caller_id", self._rules.default_region)
        record = MultipartyRecord(
            phlo_id=str(uuid.uuid4()), node_id=str(uuid.uuid4()), account_id=account.account_id,
            name=name.strip(), caller_id=caller_id, record=_flag(params, "record"),
            recordings=(), created_at=self._clock())
        return await self._repo.create(record)

    async def listing(self, account: Account, params: Mapping[str, Any]) -> list[MultipartyRecord]:
        limit = _number(params, "limit", 20, 1, MAX_PAGE)
        offset = _number(params, "offset", 0, 0, 1_000_000)
        return await self._repo.of_account(account.account_id, limit, offset)

    async def phlo(self, account: Account, phlo_id: str) -> list[MultipartyRecord]:
        nodes = await self._repo.of_phlo(account.account_id, _id(phlo_id))
        if not nodes:
            raise NotFound("phlo not found", code="phlo_not_found")
        return nodes

    async def details(self, account: Account, phlo_id: str, node_id: str) -> MultipartyDetails:
        record = await self._record(account, phlo_id, node_id)
        members = await self._repo.members(record.phlo_id, record.node_id)
        return MultipartyDetails(record, members)

    async def delete(self, account: Account, phlo_id: str, node_id: str) -> None:
        record = await self._record(account, phlo_id, node_id)
        if any(m.live for m in self._bridges.members(_key(record))):
            raise Conflict("the multi-party call has live members; hang them up first",
                           code="multiparty_call_live")
        if not await self._repo.delete(account.account_id, record.phlo_id, record.node_id):
            raise NotFound(NOT_FOUND, code="multiparty_call_not_found")

    async def recording_path(self, account: Account, phlo_id: str, node_id: str,
                             name: str) -> Path:
        """The file of a recording of the account's multi-party call; NotFound otherwise."""
        stem = name.removesuffix(".wav")
        if (not stem.startswith("multiparty-") or "/" in stem
                or not await self._repo.owns_recording(account.account_id, _id(phlo_id),
                                                       _id(node_id), stem)):
            raise NotFound("recording not found", code="recording_not_found")
        path = self._recordings_dir / f"{stem}.wav"
        if not path.is_file():
            raise NotFound("recording not found", code="recording_not_found")
        return path

    # ---- members -------------------------------------------------------------------------

    async def add_member(self, account: Account, phlo_id: str, node_id: str,
                         params: Mapping[str, Any]) -> str:
        """``action`` call (or a transfer of trigger_source): dial ``to`` into the call."""
        record = await self._record(account, phlo_id, node_id)
        order = actions.add_member(params, self._rules.extensions, self._rules.default_region)
        members = self._bridges.members(_key(record))
        if order.transfer:
            rules.check_trigger(members, order.trigger)
            transferer = rules.live_member(members, order.trigger)
            assert transferer is not None
            return await self._transfer(record, transferer, order.to, order.transfer)
        rules.check_call(members, order.trigger, order.to, order.role)
        return await self._dial(record, order)

    async def member_action(self, account: Account, phlo_id: str, node_id: str,
                            address: str, params: Mapping[str, Any]) -> None:
        record = await self._record(account, phlo_id, node_id)
        party = rules.parse_address(address, "member_id", self._rules.extensions,
                                    self._rules.default_region)
        request = actions.member_request(params, self._rules.extensions,
                                         self._rules.default_region)
        member = rules.live_member(self._bridges.members(_key(record)), party)
        if member is None:
            raise NotFound("member not found", code="member_not_found")
        match request.action:
            case MemberAction.HOLD:
                await self._bridges.hold(member.request_id)
            case MemberAction.UNHOLD:
                await self._bridges.unhold(member.request_id)
            case MemberAction.HANGUP:
                await self.hang_up(account.account_id, member.request_id)
            case MemberAction.COLD_TRANSFER | MemberAction.WARM_TRANSFER:
                assert request.to is not None
                if member.state is MemberState.RINGING:
                    raise Conflict("the member has not answered yet",
                                   code="member_not_connected")
                await self._transfer(record, member, request.to, request.action.value)
            case MemberAction.ABORT_TRANSFER:
                await self._abort_transfer(account, record, member)

    async def _transfer(self, record: MultipartyRecord, member: Member, to: Party,
                        kind: str) -> str:
        """Dial ``to`` with the member's role; a cold transfer hangs the member up at once,
        a warm one keeps it in the call until it hangs up (or aborts the transfer)."""
        if rules.live_member(self._bridges.members(_key(record)), to) is not None:
            raise Conflict("to is already a member of this multi-party call",
                           code="already_member", details={"field": "to"})
        request_id = await self._dial(record, AddMember(to, member.role, member.party, kind),
                                      transfer_of=member.request_id if kind == "warm_transfer"
                                      else "")
        if kind == "cold_transfer":
            await self.hang_up(record.account_id, member.request_id)
        return request_id

    async def _abort_transfer(self, account: Account, record: MultipartyRecord,
                              member: Member) -> None:
        target = self._bridges.transfer_target(member.request_id)
        if target is None:
            raise Conflict("the member has no warm transfer under way",
                           code="no_transfer")
        await self.hang_up(account.account_id, target)

    async def _dial(self, record: MultipartyRecord, order: AddMember, *,
                    transfer_of: str = "") -> str:
        if not self._asterisk_up():
            raise Unavailable("Asterisk is not reachable right now")
        now = self._clock()
        request_id = new_request_id()
        program = (Conference(name=f"multiparty-{record.node_id}", max_members=MAX_PAGE),)
        call = Call(request_id=request_id, account_id=record.account_id, origin=Origin.API,
                    state=CallState.DIALING_CUSTOMER, caller_id=record.caller_id,
                    created_at=now, customer=order.to, answer_program=program,
                    multiparty=record.node_id)
        await self._refuse_unregistered_agent(call)
        member = Member(request_id, order.to, order.role, MemberState.RINGING, now)
        self._bridges.expect(_key(record), record.account_id, record.record, member,
                             transfer_of=transfer_of)
        try:
            await self._router.launch(call)
        except BaseException:
            self._bridges.forget(request_id)
            raise
        return request_id

    async def _refuse_unregistered_agent(self, call: Call) -> None:
        """Record the refused member's CDR and raise AgentUnregistered (409) if it is an
        agent extension presence knows to be unregistered; unknown presence refuses
        nothing."""
        presence = self._presence
        assert call.customer is not None
        extension = rules.unregistered_agent(
            call.customer, presence.registered if presence is not None else None)
        if extension is None:
            return
        if self._record_refused is not None:
            await self._record_refused(refused_call(call, self._clock(), Role.CUSTOMER))
        raise AgentUnregistered(extension, "to", call.request_id)

    async def hang_up(self, account_id: str, request_id: str) -> None:
        """Hang a member's call up through its own state machine."""
        with contextlib.suppress(NotFound, Conflict):  # already over, or ending
            await self._router.request(account_id, request_id,
                                       lambda _channel: HangupRequested(self._clock()))

    # ---- hooks -------------------------------------------------------------------------

    async def on_call_finished(self, call: Call) -> None:
        await self._bridges.call_finished(call)

    async def _record(self, account: Account, phlo_id: str, node_id: str) -> MultipartyRecord:
        record = await self._repo.get(account.account_id, _id(phlo_id), _id(node_id))
        if record is None:
            raise NotFound(NOT_FOUND, code="multiparty_call_not_found")
        return record


def _key(record: MultipartyRecord) -> CallKey:
    return (record.phlo_id, record.node_id)


def _number(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise InvalidField(name, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise InvalidField(name, f"{name} must be between {low} and {high}")
    return value


__all__ = ["AgentPresence", "MemberRole", "MultipartyDetails", "MultipartyService"]
