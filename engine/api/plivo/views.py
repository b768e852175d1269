"""Calls in Plivo's fields: a live call (Plivo's "live call" object) and a call record.

The status, cause and times are the ones the call's webhooks carry (``domain.plivo.params``),
so the details never disagree with what ``hangup_url`` was told. Beyond Plivo: ``machine``
and ``machine_detection_status`` (the verdict, when detection ran), ``failure_reason``
(why the engine ended the call), ``origin`` (api, click2call, …).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from engine.domain import cdr
from engine.domain.call import Call
from engine.domain.plivo.causes import hangup_cause_code_name, hangup_source
from engine.domain.plivo.params import (
    final_status,
    hangup_cause,
    live_status,
    plivo_time,
)
from engine.domain.plivo.reasons import (
    party_leg,
)


def _time(moment: datetime | None) -> str | None:
    return f"{plivo_time(moment)}+00:00" if moment is not None else None


def _from(call: Call) -> str:
    return call.api.from_number if call.api is not None else call.caller_id


def _to(call: Call) -> str:
    if call.api is not None:
        return call.api.to
    party = call.customer or call.agent
    return party.number if party is not None else ""


def resource_uri(account_id: str, call: Call) -> str:
    return f"/v1/Account/{account_id}/Call/{call.request_id}/"


def live_call_view(call: Call) -> dict[str, Any]:
    """Plivo's live call: ``call_status`` ringing or in-progress."""
    view: dict[str, Any] = {
        "call_uuid": call.request_id,
        "request_uuid": call.request_id,
        "direction": "outbound",
        "from": _from(call),
        "to": _to(call),
        "caller_name": call.api.caller_name if call.api is not None and
        call.api.caller_name else _from(call),
        "call_status": live_status(call),
        "session_start": _time(call.created_at),
        "parent_call_uuid": (call.api.parent_call_uuid or None) if call.api else None,
        "stir_verification": "Not Applicable",
        "origin": call.origin.value,
        "state": call.state.value,
    }
    if call.machine:
        view["machine"] = call.machine
        view["machine_detection_status"] = call.machine_detail
    return view


def queued_call_view(account_id: str, request_uuid: str) -> dict[str, Any]:
    """A call still waiting for a slot under the account's limits."""
    return {"call_uuid": request_uuid, "request_uuid": request_uuid, "call_status": "queued",
            "direction": "outbound",
            "resource_uri": f"/v1/Account/{account_id}/Call/{request_uuid}/"}


def call_record_view(account_id: str, call: Call) -> dict[str, Any]:
    """Plivo's call object, for an ended call (a live one: ``live_call_view``)."""
    leg = party_leg(call)
    answered = leg.answered_at if leg is not None else None
    ended = (leg.ended_at if leg is not None else None) or call.ended_at
    duration = cdr.seconds_between(answered, ended)
    seconds = math.ceil(duration) if answered is not None and duration is not None else 0
    cause = hangup_cause(call)
    code, name = hangup_cause_code_name(call, cause)
    view: dict[str, Any] = {
        "call_uuid": call.request_id,
        "request_uuid": call.request_id,
        "call_direction": "outbound",
        "from_number": _from(call),
        "to_number": _to(call),
        "call_status": final_status(call),
        "initiation_time": _time(call.created_at),
        "answer_time": _time(answered),
        "end_time": _time(ended),
        "call_duration": seconds,
        "bill_duration": seconds,
        "billed_duration": seconds,
        "total_amount": "0.00000",
        "total_rate": "0.00000",
        "hangup_cause_name": name,
        "hangup_cause_code": code,
        "hangup_cause": cause,
        "hangup_source": hangup_source(call),
        "parent_call_uuid": (call.api.parent_call_uuid or None) if call.api else None,
        "resource_uri": resource_uri(account_id, call),
        "stir_verification": "Not Applicable",
        "origin": call.origin.value,
        "machine": call.machine or None,
        "machine_detection_status": call.machine_detail or None,
        "failure_reason": call.failure_reason or None,
    }
    return view
