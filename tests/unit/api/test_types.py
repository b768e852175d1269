from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field, ValidationError

from engine.api.body import MAX_STR_CHARS, SHORT_STR_CHARS, OnOff, SeedModel, ShortStr, StrInt


class Sample(SeedModel):
    number: StrInt = Field(default=1, ge=0, le=1000)
    anything: StrInt = 0
    flag: OnOff = "off"
    short: ShortStr = ""
    text: str = ""


def _error(data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    error: dict[str, Any] = dict(caught.value.errors()[0])
    return error


@pytest.mark.parametrize(("given", "expected"), [("1", 1), (7, 7), (" 42 ", 42), ("+5", 5)])
def test_str_int_accepts_digits_as_strings_or_numbers(given: object, expected: int) -> None:
    assert Sample.model_validate({"number": given}).number == expected


ARABIC_ONE = "\u0661"


@pytest.mark.parametrize(
    "given", [True, 1.5, 2.0, "1.5", "", "abc", ARABIC_ONE, "1e3", None, [], "9" * 30]
)
def test_str_int_rejects_everything_else(given: object) -> None:
    assert _error({"number": given})["loc"] == ("number",)


def test_str_int_bounds_come_from_field() -> None:
    assert _error({"number": "1001"})["type"] == "less_than_equal"
    assert _error({"number": "-1"})["type"] == "greater_than_equal"
    assert _error({"anything": 2**70})["type"] == "int_range"


def test_str_int_schema_says_integer_or_digit_string_with_bounds() -> None:
    schema = Sample.model_json_schema()["properties"]["number"]
    integer, string = schema["anyOf"]
    assert integer == {"type": "integer", "minimum": 0, "maximum": 1000}
    assert string["type"] == "string"


@pytest.mark.parametrize(("given", "expected"), [("on", "on"), (" OFF ", "off"), ("On", "on")])
def test_on_off(given: str, expected: str) -> None:
    assert Sample.model_validate({"flag": given}).flag == expected


@pytest.mark.parametrize("given", ["yes", "", 1, True, None])
def test_on_off_rejects_other_values(given: object) -> None:
    assert _error({"flag": given})["loc"] == ("flag",)


def test_short_str_strips_the_seeds_stray_spaces() -> None:
    assert Sample.model_validate({"short": " PJSIP/101-0000023c"}).short == "PJSIP/101-0000023c"


def test_short_str_bounds_and_control_characters() -> None:
    assert _error({"short": "x" * (SHORT_STR_CHARS + 1)})["type"] == "string_too_long"
    assert _error({"short": "PJSIP/101\r\nAction: Hangup"})["type"] == "control_characters"


def test_every_string_is_capped_and_unknown_fields_are_rejected() -> None:
    assert _error({"text": "x" * (MAX_STR_CHARS + 1)})["type"] == "string_too_long"
    assert _error({"recording_options": "on"})["type"] == "extra_forbidden"


def test_numbers_are_accepted_where_the_seed_types_a_string() -> None:
    assert Sample.model_validate({"short": 919979270000}).short == "919979270000"


def test_errors_never_carry_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({"short": "secret-" * 100})
    assert "secret" not in str(caught.value)


class Click2Call(SeedModel):
    agent_number: ShortStr
    caller_id: ShortStr
    destination_number: ShortStr
    recording_option: ShortStr = "off"
    transcript: OnOff = "off"


class ModifyCall(SeedModel):
    channel: ShortStr
    modify_type: StrInt = Field(ge=0, le=3)
    transfer_to: ShortStr = ""


class CdrByDate(SeedModel):
    start_call_date: ShortStr
    end_call_date: ShortStr
    record_count: StrInt = Field(default=1000, ge=1, le=5000)
    offset: StrInt = Field(default=0, ge=0)


def test_the_seeds_own_bodies_validate() -> None:
    call = Click2Call.model_validate(
        {"agent_number": "91997927XXXX", "caller_id": "15168148111",
         "destination_number": "91800068XXXX", "recording_option": "on", "transcript": "on"}
    )
    assert call.transcript == "on"
    modify = ModifyCall.model_validate(
        {"channel": " PJSIP/101-0000023c", "modify_type": "0", "transfer_to": "102"}
    )
    assert (modify.channel, modify.modify_type) == ("PJSIP/101-0000023c", 0)
    cdr = CdrByDate.model_validate(
        {"start_call_date": "2023-06-13", "end_call_date": "2023-06-17", "record_count": "5",
         "offset": "1"}
    )
    assert (cdr.record_count, cdr.offset) == (5, 1)
