"""click2call validation (pure): what reaches a dial string, and the transcription extra."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.domain.accounts import Account
from engine.domain.call import RecordingOption
from engine.domain.errors import InvalidField
from engine.domain.numbers import Extension, External
from engine.services.click2call import Click2CallOrder, Click2CallService, TelephonyRules

RULES = TelephonyRules(("101", "102"), "US")
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def service(can_transcribe: bool = True) -> Click2CallService:
    return Click2CallService(None, RULES,  # type: ignore[arg-type]
                             asterisk_up=lambda: True, can_transcribe=can_transcribe)


def order(**changes: str) -> Click2CallOrder:
    fields = {"agent_number": "101", "caller_id": "15168148111",
              "destination_number": "919979271000", **changes}
    return Click2CallOrder(**fields)


def test_seed_numbers_are_normalised() -> None:
    call = service().build_call(Account("account_1"), order(agent_number="919979271000"), NOW)
    assert call.agent == External("919979271000")
    assert call.customer == External("919979271000")
    assert call.caller_id == "15168148111"
    assert len(call.request_id) == 10


def test_a_known_extension_is_an_agent_but_never_a_destination() -> None:
    call = service().build_call(Account("a"), order(), NOW)
    assert call.agent == Extension("101")
    with pytest.raises(InvalidField) as error:
        service().build_call(Account("a"), order(destination_number="101"), NOW)
    assert error.value.field == "destination_number"


@pytest.mark.parametrize(("option", "expected"), [
    ("on", RecordingOption.BOTH), ("both", RecordingOption.BOTH), ("AGENT", RecordingOption.AGENT),
    ("customer", RecordingOption.CUSTOMER), ("off", RecordingOption.OFF),
])
def test_recording_options(option: str, expected: RecordingOption) -> None:
    call = service().build_call(Account("a"), order(recording_option=option), NOW)
    assert call.recording is expected


def test_a_transcript_records_the_call() -> None:
    call = service().build_call(Account("a"), order(transcript="on"), NOW)
    assert call.transcript is True
    assert call.recording is RecordingOption.BOTH


def test_transcript_without_the_extra_is_a_clear_422() -> None:
    with pytest.raises(InvalidField) as error:
        service(can_transcribe=False).build_call(Account("a"), order(transcript="on"), NOW)
    assert error.value.code == "transcription_unavailable"
    assert error.value.field == "transcript"


@pytest.mark.parametrize(("field", "value"), [
    ("agent_number", "103"), ("agent_number", "PJSIP/101"), ("caller_id", "abc"),
    ("destination_number", "1;Dial(x)"), ("recording_option", "sometimes"),
    ("transcript", "maybe"),
])
def test_bad_values_name_their_field(field: str, value: str) -> None:
    with pytest.raises(InvalidField) as error:
        service().build_call(Account("a"), order(**{field: value}), NOW)
    assert error.value.field == field
