"""One CDR row per leg, with exactly the seed's fields (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain import cdr
from engine.domain.call import Call, Leg, Origin

_DIRECTION = {
    Origin.INBOUND: "inbound",
    Origin.CAMPAIGN: "outbound-campaign",
}
_CONTEXT = {
    Origin.CLICK2CALL: "click2call",
    Origin.CALLBACK: "callback",
    Origin.OTP: "otp",
    Origin.API: "api",
    Origin.INBOUND: "inbound",
    Origin.CAMPAIGN: "campaign",
}


@dataclass(frozen=True)
class CdrRecord:
    account_id: str
    request_id: str
    uniqueid: str
    role: str
    agent_number: str
    customer_number: str
    dialed_number: str
    caller_id: str
    channel: str
    call_direction: str
    destination_context: str
    dial_status: str | None
    call_status: str | None
    call_date: datetime
    answer: datetime | None
    end: datetime | None
    billsec: float | None
    call_duration: float | None
    hangup_cause: int | None
    dtmf_inputs: str
    recording_name: str
    campaign_id: str | None = None
    list_id: str | None = None
    is_dnd: str | None = None
    id: int = 0


def cdr_for_leg(call: Call, leg: Leg) -> CdrRecord:
    recording = f"{call.recordings[0]}.wav" if call.recordings else ""
    return CdrRecord(
        account_id=call.account_id,
        request_id=call.request_id,
        uniqueid=leg.channel_id,
        role=leg.role.value,
        agent_number=call.agent.number if call.agent else "",
        customer_number=call.customer.number if call.customer else "",
        dialed_number=leg.party.number,
        caller_id=call.caller_id,
        channel=leg.channel_name,
        call_direction=_DIRECTION.get(call.origin, "outbound-api"),
        destination_context=_CONTEXT[call.origin],
        dial_status=leg.dial_status,
        call_status=cdr.call_status_for(leg.dial_status),
        call_date=leg.created_at,
        answer=leg.answered_at,
        end=leg.ended_at,
        billsec=cdr.seconds_between(leg.answered_at, leg.ended_at),
        call_duration=cdr.seconds_between(leg.created_at, leg.ended_at),
        hangup_cause=leg.hangup_cause,
        dtmf_inputs=leg.dtmf,
        recording_name=recording,
    )


def cdr_to_api(record: CdrRecord) -> dict[str, Any]:
    """The seed's CDR object (keys sorted as the seed prints them)."""
    body: dict[str, Any] = {
        "account_id": record.account_id,
        "agent_number": record.agent_number,
        "answer": cdr.http_date(record.answer),
        "billsec": record.billsec,
        "call_date": cdr.http_date(record.call_date),
        "call_direction": record.call_direction,
        "call_duration": record.call_duration,
        "call_status": record.call_status,
        "caller_id": record.caller_id,
        "customer_number": record.customer_number,
        "destination_context": record.destination_context,
        "dial_status": record.dial_status,
        "dialed_number": record.dialed_number,
        "dtmf_inputs": record.dtmf_inputs,
        "end": cdr.http_date(record.end),
        # Beyond the seed: Q.850, or the engine's 900 (engine unavailable) / 901 (PBX
        # unavailable) when the platform, not the callee, lost the leg.
        "hangup_cause": record.hangup_cause,
        "id": record.id,
    }
    if record.is_dnd is not None:
        body["is_dnd"] = record.is_dnd
    if record.list_id is not None:
        body["list_id"] = record.list_id
    body.update({
        "recording_name": record.recording_name,
        "request_id": record.request_id,
        "uniqueid": record.uniqueid,
    })
    return body
