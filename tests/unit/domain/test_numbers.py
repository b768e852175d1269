"""Phone numbers and extensions: only validated values ever reach a dial string."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.errors import InvalidField
from engine.domain.numbers import (
    Extension,
    External,
    dial_endpoint,
    normalize_number,
    parse_party,
)

EXTENSIONS = frozenset({"101", "102", "104"})


@pytest.mark.parametrize(("raw", "e164"), [
    ("919979271234", "919979271234"),  # the seed's 91997927XXXX: India, country code, no "+"
    ("15168148111", "15168148111"),  # the seed's US number
    ("+1 (516) 814-8111", "15168148111"),
    ("1-516-814-8111", "15168148111"),
    ("1.516.814.8111", "15168148111"),
    ("  15168148111  ", "15168148111"),
    ("+919979271234", "919979271234"),
    ("+91 99792 71234", "919979271234"),
    ("+44 20 7183 8750", "442071838750"),
    ("(516) 814-8111", "15168148111"),  # national number of the default region
])
def test_valid_numbers_are_normalised(raw: str, e164: str) -> None:
    assert normalize_number(raw, "customer_number") == e164


def test_national_numbers_follow_the_default_region() -> None:
    assert normalize_number("9979271234", "customer_number", "IN") == "919979271234"


@pytest.mark.parametrize("raw", [
    "", "   ", "+", "abc", "91997927XXXX", "15168148111x101", "1516814811", "151681481111",
    "123", "1" * 21, "9" * 16, "+1 516 814 8111 ext 5", "PJSIP/101", "101@carrier",
    "15168148111;",
    "".join(chr(0xFF10 + int(d)) for d in "15168148111"),  # full-width digits are not ASCII
    "+1+5168148111", "1516\n8148111x",
])
def test_invalid_numbers_name_the_field(raw: str) -> None:
    with pytest.raises(InvalidField) as info:
        normalize_number(raw, "customer_number")
    assert info.value.field == "customer_number"
    assert info.value.details == {"field": "customer_number"}
    assert info.value.code == "invalid_field"
    assert "customer_number" in info.value.message


def test_extension_only_when_known() -> None:
    assert parse_party("101", "agent_number", EXTENSIONS) == Extension("101")
    assert parse_party(" 102 ", "agent_number", EXTENSIONS) == Extension("102")
    with pytest.raises(InvalidField) as info:
        parse_party("103", "agent_number", EXTENSIONS)
    assert info.value.field == "agent_number"
    with pytest.raises(InvalidField):
        parse_party("101", "agent_number", frozenset())


def test_external_numbers_through_parse_party() -> None:
    assert parse_party("919979271234", "customer_number", EXTENSIONS) == External(
        "919979271234")
    assert parse_party("+1 (516) 814-8111", "customer_number", EXTENSIONS) == External(
        "15168148111")
    with pytest.raises(InvalidField) as info:
        parse_party("", "customer_number", EXTENSIONS)
    assert info.value.field == "customer_number"


def test_party_number() -> None:
    assert Extension("101").number == "101"
    assert External("15168148111").number == "15168148111"


def test_dial_endpoint_forms() -> None:
    assert dial_endpoint(Extension("101"), "carrier") == "PJSIP/101"
    assert dial_endpoint(External("15168148111"), "carrier") == "PJSIP/15168148111@carrier"
    assert dial_endpoint(parse_party("+91 99792 71234", "n", EXTENSIONS), "trunk") == (
        "PJSIP/919979271234@trunk")


@settings(max_examples=300, derandomize=True, database=None)
@given(st.one_of(
    st.text(max_size=24),
    st.text(alphabet="0123456789 +()-.", max_size=24),
    st.from_regex(r"\A(1[2-9][0-9]{9}|91[6-9][0-9]{9})\Z"),
))
def test_anything_is_valid_e164_digits_or_invalid_field(raw: str) -> None:
    try:
        digits = normalize_number(raw, "number")
    except InvalidField as exc:
        assert exc.field == "number"
        return
    assert re.fullmatch(r"[1-9][0-9]{6,14}", digits)
    assert normalize_number(digits, "number") == digits  # idempotent
    assert re.fullmatch(r"PJSIP/[0-9]+@carrier", dial_endpoint(External(digits), "carrier"))
