"""The call of one campaign attempt (pure): who it dials, what the answered call runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from engine.domain.call import Call, CallState, CampaignRef, Origin
from engine.domain.campaigns.definition import CampaignDefinition
from engine.domain.campaigns.program import campaign_program
from engine.domain.numbers import External
from engine.domain.plivo.options import ApiCallOptions, Webhook


def attempt_call(*, request_id: str, account_id: str, attempt: CampaignRef,
                 definition: CampaignDefinition, number: str, contact_name: str,
                 fields: Mapping[str, str], now: datetime, ring_timeout: int) -> Call:
    """The call of ``attempt`` to ``number`` (an E.164 number already validated).

    A campaign with an ``answer_url`` runs the application's XML exactly as a Plivo API call
    does (the same signed, retried fetch, parameters and verbs); otherwise the answered leg
    runs the campaign's own program (announcement, survey).
    """
    api = None
    if definition.answer_url:
        api = ApiCallOptions(from_number=definition.caller_id, to=number,
                             answer=Webhook(definition.answer_url, definition.answer_method),
                             ring_timeout=ring_timeout)
    program = campaign_program(definition, contact_name=contact_name, number=number,
                               fields=fields)
    return Call(
        request_id=request_id, account_id=account_id, origin=Origin.CAMPAIGN,
        state=CallState.DIALING_CUSTOMER, caller_id=definition.caller_id, created_at=now,
        customer=External(number), answer_program=program, api=api, campaign=attempt,
    )
