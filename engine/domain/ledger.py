"""One CDR row per leg, with exactly the seed's fields (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain import cdr
from engine.domain.call import Call, Leg, Origin, Role

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
# The seed's campaign rows say which kind of campaign placed them.
_CAMPAIGN_CONTEXT = {0: "campaign_type_0", 1: "campaign_type_1"}


@dataclass(frozen=True)
class CdrRecord:
    account_id: str
    request_id: str | None  # None: a DND row of a campaign (no call was placed)
    uniqueid: str | None
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
    machine_detection: str | None = None
    machine_detection_status: str | None = None
    id: int = 0


def cdr_for_leg(call: Call, leg: Leg) -> CdrRecord:
    recording = f"{call.recordings[0]}.wav" if call.recordings else ""
    # Machine detection runs on the party a Plivo API call dialled (its customer leg).
    detected = bool(call.machine) and leg.role is Role.CUSTOMER
    campaign = call.campaign
    context = _CONTEXT[call.origin]
    if campaign is not None:
        context = _CAMPAIGN_CONTEXT.get(campaign.campaign_type, context)
    if call.multiparty:
        context = f"multi_party_call:{call.multiparty}"
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
        destination_context=context,
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
        machine_detection=call.machine if detected else None,
        machine_detection_status=call.machine_detail if detected else None,
        campaign_id=campaign.campaign_id if campaign else None,
        list_id=campaign.list_id if campaign else None,
        is_dnd="0" if campaign else None,
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
    if record.machine_detection is not None:  # beyond the seed: Plivo API calls with AMD
        body["machine_detection"] = record.machine_detection
        body["machine_detection_status"] = record.machine_detection_status or ""
    body.update({
        "recording_name": record.recording_name,
        "request_id": record.request_id or "",
        "uniqueid": record.uniqueid or "",
    })
    return body
