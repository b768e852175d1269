"""The parameters a Plivo application receives on every request about a call (pure).

answer_url, action URLs, ring_url, hangup_url and machine_detection_url all get the same
core: ``CallUUID``, ``RequestUUID``, ``From``, ``To``, ``Direction``, ``CallStatus``, the
``X-PH-`` headers the call was made with, and ``Machine`` once detection has run. The
hangup adds how the call ended (``HangupCause``, durations and times).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from engine.domain import cdr
from engine.domain.call import Call, LegState
from engine.domain.plivo.causes import hangup_cause_code_name, hangup_source
from engine.domain.plivo.reasons import (
    ALLOTTED_TIMEOUT,
    DOCUMENT_FAILED,
    MACHINE_DETECTED,
    party_leg,
)

# Q.850 causes (as Asterisk reports them) by the names Plivo's HangupCause uses.
_CAUSE_NAMES = {
    1: "UNALLOCATED_NUMBER",
    3: "NO_ROUTE_DESTINATION",
    16: "NORMAL_CLEARING",
    17: "USER_BUSY",
    18: "NO_USER_RESPONSE",
    19: "NO_ANSWER",
    20: "SUBSCRIBER_ABSENT",
    21: "CALL_REJECTED",
    27: "DESTINATION_OUT_OF_ORDER",
    28: "INVALID_NUMBER_FORMAT",
    31: "NORMAL_UNSPECIFIED",
    34: "NORMAL_CIRCUIT_CONGESTION",
    38: "NETWORK_OUT_OF_ORDER",
    41: "NORMAL_TEMPORARY_FAILURE",
    42: "SWITCH_CONGESTION",
    127: "INTERWORKING",
    cdr.CAUSE_ENGINE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
    cdr.CAUSE_PBX_UNAVAILABLE: "SERVICE_UNAVAILABLE",
}

# How Plivo words a call's status on its webhooks.
RINGING, IN_PROGRESS, COMPLETED = "ringing", "in-progress", "completed"
_STATUS_BY_DIAL = {
    cdr.ANSWER: COMPLETED,
    cdr.BUSY: "busy",
    cdr.NOANSWER: "no-answer",
    cdr.CANCEL: "cancel",
    cdr.CONGESTION: "failed",
    cdr.CHANUNAVAIL: "failed",
}


def live_status(call: Call) -> str:
    leg = party_leg(call)
    if leg is not None and leg.state is LegState.ANSWERED:
        return IN_PROGRESS
    return RINGING


def final_status(call: Call) -> str:
    leg = party_leg(call)
    if leg is None or leg.dial_status is None:
        return "failed"
    if leg.answered_at is None and call.failure_reason.startswith(ALLOTTED_TIMEOUT):
        return "no-answer"  # hangup_on_ring cut it while it rang
    return _STATUS_BY_DIAL.get(leg.dial_status, "failed")


def call_params(call: Call, status: str) -> dict[str, str]:
    """The core every request about ``call`` carries, with ``CallStatus`` = ``status``."""
    api = call.api
    params = {
        "CallUUID": call.request_id,
        "RequestUUID": call.request_id,
        "From": api.from_number if api is not None else call.caller_id,
        "To": api.to if api is not None else _party_number(call),
        "Direction": "outbound",
        "CallStatus": status,
    }
    if api is not None:
        if api.caller_name:
            params["CallerName"] = api.caller_name
        params.update({f"X-PH-{key}": value for key, value in api.sip_headers})
        if api.parent_call_uuid:
            params["ParentUUID"] = api.parent_call_uuid
    if call.machine:
        params["Machine"] = call.machine
    return params


def hangup_params(call: Call) -> dict[str, str]:
    """What hangup_url receives once the call is over."""
    leg = party_leg(call)
    answered = leg.answered_at if leg is not None else None
    ended = (leg.ended_at if leg is not None else None) or call.ended_at
    duration = cdr.seconds_between(answered, ended) or 0.0
    seconds = math.ceil(duration) if answered is not None else 0
    params = call_params(call, final_status(call))
    cause = hangup_cause(call)
    code, name = hangup_cause_code_name(call, cause)
    params.update({
        "HangupCause": cause,
        "HangupCauseName": name,
        "HangupSource": hangup_source(call),
        "Duration": str(seconds),
        "BillDuration": str(seconds),
        "StartTime": plivo_time(call.created_at),
        "AnswerTime": plivo_time(answered),
        "EndTime": plivo_time(ended),
    })
    if code is not None:
        params["HangupCauseCode"] = str(code)
    if call.failure_reason:
        # Beyond Plivo: why the engine ended the call (a document that could not run names
        # the element and attribute at fault).
        params["HangupReason"] = call.failure_reason.split(": ", 1)[-1]
    return params


def machine_params(call: Call) -> dict[str, str]:
    """What machine_detection_url receives as soon as the verdict is known."""
    params = call_params(call, live_status(call))
    params["MachineDetectionStatus"] = call.machine_detail
    return params


def cause_name(cause: int) -> str:
    """A Q.850 cause (as Asterisk reports it) by Plivo's name for it."""
    return _CAUSE_NAMES.get(cause, "NORMAL_UNSPECIFIED")


def hangup_cause(call: Call) -> str:
    reason = call.failure_reason.split(":", 1)[0]
    if reason in (ALLOTTED_TIMEOUT, MACHINE_DETECTED, DOCUMENT_FAILED):
        return reason
    leg = party_leg(call)
    if leg is None:
        return "NORMAL_TEMPORARY_FAILURE"
    if leg.cancelled and leg.answered_at is None:
        return "ORIGINATOR_CANCEL"
    if leg.hangup_cause is None:
        return "NORMAL_CLEARING"
    return cause_name(leg.hangup_cause)


def plivo_time(moment: datetime | None) -> str:
    """Plivo's webhook time format, ``2023-07-07 06:08:16`` (UTC); empty when unset."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _party_number(call: Call) -> str:
    return call.customer.number if call.customer is not None else ""
