"""Inbound calls: a DID rings the agent extension its account routes it to."""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime

from engine.ari.client import AriClient
from engine.ari.events import StasisStart
from engine.calls.router import CallRouter
from engine.domain.accounts import Account
from engine.domain.call import Call, CallState, Origin
from engine.domain.errors import EngineError, InvalidField, NotFound
from engine.domain.ids import new_request_id
from engine.domain.inbound import caller_leg
from engine.domain.numbers import Extension, External, normalize_number
from engine.services.click2call import TelephonyRules
from engine.store.calls import CallRepository, Did

log = logging.getLogger(__name__)
_DID = re.compile(r"[0-9]{3,20}")


def _caller_party(number: str, region: str) -> External:
    try:
        return External(normalize_number(number, "caller", region))
    except InvalidField:
        # Shown in the CDR only; never dialled.
        return External(re.sub(r"[^0-9]", "", number)[:20])


class InboundService:
    def __init__(
        self, router: CallRouter, repo: CallRepository, ari: AriClient, rules: TelephonyRules,
    ) -> None:
        self._router = router
        self._repo = repo
        self._ari = ari
        self._rules = rules

    async def on_stasis_start(self, event: StasisStart) -> None:
        """A carrier call entered Stasis with args ["inbound", DID].

        The router runs this beside its loop (the lookups take I/O) and holds the
        caller's events until the call is launched."""
        try:
            await self._adopt(event)
        except EngineError as exc:
            # Without the database or ARI the call cannot be placed or recorded; the caller
            # is released rather than left ringing in Stasis.
            log.warning("inbound call refused", extra={"error": exc.message})
            await self._hang_up(event.channel.id)

    async def _adopt(self, event: StasisStart) -> None:
        channel = event.channel
        did = event.args[1] if len(event.args) > 1 else ""
        route = await self._repo.get_did(did) if _DID.fullmatch(did) else None
        if route is None:
            log.info("inbound call to an unrouted DID", extra={"did": did})
            await self._hang_up(channel.id)
            return
        caller = _caller_party(channel.caller.number, self._rules.default_region)
        call = caller_leg(Call(
            request_id=new_request_id(), account_id=route.account_id, origin=Origin.INBOUND,
            state=CallState.DIALING_AGENT, caller_id=caller.number or did,
            agent=Extension(route.agent), customer=caller, created_at=datetime.now(UTC),
            inbound_did=did,
        ), channel.id, channel.name)
        # A channel that entered Stasis from the dialplan is only followed while it is in
        # Stasis; subscribing keeps its ChannelDestroyed (and hangup cause) coming to us.
        await self._ari.subscribe(f"channel:{channel.id}")
        await self._router.launch(call)

    async def _hang_up(self, channel_id: str) -> None:
        with contextlib.suppress(EngineError):
            await self._ari.hangup(channel_id)

    # ---- the DID table (per account) -------------------------------------------------

    async def route(self, account: Account, did: str, agent: str) -> None:
        did = did.strip()
        if not _DID.fullmatch(did):
            raise InvalidField("did", "did must be 3-20 digits")
        if agent.strip() not in self._rules.extensions:
            raise InvalidField("agent", "agent must be an agent extension of the PBX")
        if not await self._repo.upsert_did(did, account.account_id, agent.strip()):
            # Owned by another account: indistinguishable from "taken", never revealed.
            raise InvalidField("did", "did is not available", code="did_unavailable")

    async def list(self, account: Account) -> list[Did]:
        return await self._repo.list_dids(account.account_id)

    async def remove(self, account: Account, did: str) -> None:
        if not await self._repo.delete_did(did.strip(), account.account_id):
            raise NotFound("did not found", code="did_not_found")
