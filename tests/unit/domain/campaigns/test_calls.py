"""The call of a campaign attempt: whom it dials, which flow runs it, what its CDR says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from engine.domain import program_call
from engine.domain.call import CampaignRef, Leg, LegState, Origin, Role
from engine.domain.campaigns.calls import attempt_call
from engine.domain.campaigns.definition import CampaignDefinition
from engine.domain.flow import flow_of, live_counter_key
from engine.domain.ledger import cdr_for_leg
from engine.domain.numbers import External
from engine.domain.plivo import flow as plivo_flow
from engine.domain.speech import Prosody, TtsEngine, Voice

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DEFINITION = CampaignDefinition(
    campaign_type=1, caller_id="15168148111", repeat=1,
    voice=Voice(TtsEngine.STANDARD, "en-us", "en-US", "male"), prosody=Prosody(),
    announcement_text="Hello {field1}")
ATTEMPT = CampaignRef("CM0123456789", "LS0123456789", 7, 2, 1)

def test_an_announcement_campaign_runs_its_own_program() -> None:
    call = attempt_call(request_id="0123456789", account_id="acct", attempt=ATTEMPT,
                        definition=DEFINITION, number="15162011000", contact_name="Ann",
                        fields={"field1": "Ann"}, now=NOW, ring_timeout=25)
    assert call.origin is Origin.CAMPAIGN and call.campaign == ATTEMPT
    assert call.customer == External("15162011000") and call.caller_id == "15168148111"
    assert call.api is None and call.answer_program
    assert flow_of(call) is program_call.FLOW
    assert live_counter_key(call) == "live_calls_campaign"

def test_an_answer_url_campaign_runs_the_plivo_flow_with_its_options() -> None:
    definition = replace(DEFINITION, answer_url="https://app.example/ivr.xml",
                         answer_method="GET")
    call = attempt_call(request_id="0123456789", account_id="acct", attempt=ATTEMPT,
                        definition=definition, number="15162011000", contact_name="Ann",
                        fields={}, now=NOW, ring_timeout=25)
    assert flow_of(call) is plivo_flow.FLOW
    assert call.api is not None
    assert (call.api.answer.url, call.api.answer.method) == ("https://app.example/ivr.xml",
                                                             "GET")
    assert call.api.to == "15162011000" and call.api.ring_timeout == 25

def test_the_attempts_cdr_rows_name_campaign_list_and_type() -> None:
    call = attempt_call(request_id="0123456789", account_id="acct", attempt=ATTEMPT,
                        definition=DEFINITION, number="15162011000", contact_name="Ann",
                        fields={}, now=NOW, ring_timeout=25)
    leg = Leg(Role.CUSTOMER, External("15162011000"), "0123456789.1", LegState.GONE, NOW,
              dial_status="ANSWER", answered_at=NOW, ended_at=NOW, dtmf="12")
    row = cdr_for_leg(replace(call, legs=(leg,)), leg)
    assert (row.campaign_id, row.list_id, row.is_dnd) == ("CM0123456789", "LS0123456789", "0")
    assert row.call_direction == "outbound-campaign"
    assert row.destination_context == "campaign_type_1" and row.dtmf_inputs == "12"
