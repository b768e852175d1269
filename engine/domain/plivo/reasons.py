"""Why the engine itself ends a Plivo call, and which leg is the call's own (pure)."""

from __future__ import annotations

from engine.domain.call import Call, Leg, Role

# Why the engine itself ended a call: the HangupCause Plivo reports for it.
ALLOTTED_TIMEOUT = "ALLOTTED_TIMEOUT"  # time_limit or hangup_on_ring reached
MACHINE_DETECTED = "MACHINE_DETECTED"  # machine_detection=hangup, and a machine answered
DOCUMENT_FAILED = "DOCUMENT_FAILED"  # answer_url (and fallback_url) could not run


def party_leg(call: Call) -> Leg | None:
    """The leg the call dialled (Plivo's A leg): the first customer leg."""
    return next((leg for leg in call.legs if leg.role is Role.CUSTOMER), None)
