"""Plivo's words for how a call ended: hangup cause codes and names, and who hung up (pure).

Shared by the hangup_url parameters and the Call API's call records, so the two never
disagree.
"""

from __future__ import annotations

from engine.domain import cdr
from engine.domain.call import Call
from engine.domain.plivo.reasons import (
    ALLOTTED_TIMEOUT,
    DOCUMENT_FAILED,
    MACHINE_DETECTED,
    party_leg,
)

# Plivo's own hangup codes and names, where its documentation gives them.
_CODES: dict[str, tuple[int, str]] = {
    "NORMAL_CLEARING": (4000, "Normal Hangup"),
    "ORIGINATOR_CANCEL": (1000, "Canceled"),
    "UNALLOCATED_NUMBER": (2000, "Invalid Destination Address"),
    "INVALID_NUMBER_FORMAT": (2000, "Invalid Destination Address"),
    "DESTINATION_OUT_OF_ORDER": (2010, "Destination Out Of Service"),
}
END_OF_XML = (4010, "End Of XML Instructions")
_SOURCE_BY_DIAL = {cdr.BUSY: "Call recipient", cdr.NOANSWER: "Call recipient",
                   cdr.CHANUNAVAIL: "Carrier", cdr.CONGESTION: "Carrier"}



def hangup_cause_code_name(call: Call, cause: str) -> tuple[int | None, str]:
    """Plivo's HangupCauseCode and HangupCauseName for ``cause`` (code None where Plivo's
    documentation gives none; the name is then the cause itself)."""
    program = call.program
    if cause == "NORMAL_CLEARING" and program is not None and program.outcome is not None \
            and program.outcome.kind == "completed":
        return END_OF_XML
    code = _CODES.get(cause)
    return (code[0], code[1]) if code is not None else (None, cause)


def hangup_source(call: Call) -> str:
    """Plivo's HangupSource: who ended the call."""
    reason = call.failure_reason.split(":", 1)[0]
    if reason in (ALLOTTED_TIMEOUT, MACHINE_DETECTED):
        return "Plivo"
    if reason == DOCUMENT_FAILED:
        return "Error"
    program = call.program
    if program is not None and program.outcome is not None:
        return {"completed": "Plivo", "hangup": "Answer XML", "leg_gone": "Call recipient",
                "stopped": "API Request", "failed": "Error"}[program.outcome.kind]
    leg = party_leg(call)
    if leg is None:
        return "Unknown"
    if leg.cancelled:
        return "API Request"
    if leg.answered_at is not None:
        return "Call recipient"
    return _SOURCE_BY_DIAL.get(leg.dial_status or "", "Unknown")
