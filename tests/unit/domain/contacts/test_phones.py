"""A contact's number and zones from one parse: exactly normalize_number + phonenumbers."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers.timezone import time_zones_for_number

from engine.domain.contacts.phones import UNKNOWN_ZONE, is_phone_number, number_and_zones
from engine.domain.errors import InvalidField
from engine.domain.numbers import normalize_number


def reference(raw: str, region: str) -> tuple[str, tuple[str, ...]] | str:
    """What the slow path gives: normalize_number, then time_zones_for_number."""
    try:
        digits = normalize_number(raw, "contact_number", region)
    except InvalidField as exc:
        return exc.message
    zones = time_zones_for_number(phonenumbers.parse("+" + digits))
    return digits, tuple(z for z in zones if z != UNKNOWN_ZONE)


def fast(raw: str, region: str) -> tuple[str, tuple[str, ...]] | str:
    try:
        return number_and_zones(raw, "contact_number", region)
    except InvalidField as exc:
        assert exc.field == "contact_number"
        return exc.message


@pytest.mark.parametrize(("raw", "digits", "zones"), [
    ("919979271234", "919979271234", ("Asia/Calcutta",)),
    ("15168148111", "15168148111", ("America/New_York",)),
    ("+1 (516) 814-8111", "15168148111", ("America/New_York",)),
    ("5168148111", "15168148111", ("America/New_York",)),  # national, default region US
    ("447911123456", "447911123456", ("Europe/Guernsey", "Europe/Isle_of_Man",
                                      "Europe/Jersey", "Europe/London")),  # a UK mobile
])
def test_known_numbers(raw: str, digits: str, zones: tuple[str, ...]) -> None:
    assert number_and_zones(raw, "contact_number", "US") == (digits, zones)
    assert reference(raw, "US") == (digits, zones)


def test_unknown_zone_is_an_empty_tuple() -> None:
    # +800 (international freephone) has no zone in phonenumbers' data: "Etc/Unknown".
    raw = "80012345678"
    assert time_zones_for_number(phonenumbers.parse("+" + raw)) == (UNKNOWN_ZONE,)
    assert number_and_zones(raw, "n", "US") == (raw, ())


@pytest.mark.parametrize(("raw", "message"), [
    ("", "contact_number must be a phone number with country code"),
    ("abc", "contact_number must be a phone number with country code"),
    ("91997927XXXX", "contact_number must be a phone number with country code"),
    ("12", "contact_number must be a phone number with country code"),
    ("99999999999", "contact_number is not a valid phone number"),
])
def test_invalid_numbers_keep_normalize_numbers_messages(raw: str, message: str) -> None:
    assert fast(raw, "US") == message == reference(raw, "US")


@settings(max_examples=600, deadline=None)
@given(raw=st.one_of(
    st.text(alphabet="0123456789", min_size=3, max_size=16),
    st.from_regex(r"\+?[0-9 ().-]{3,22}", fullmatch=True),
    st.sampled_from(["1", "44", "91", "7", "86", "33", "49", "61", "55", "800", "882"]).flatmap(
        lambda cc: st.text(alphabet="0123456789", min_size=6, max_size=12).map(
            lambda rest: cc + rest)),
), region=st.sampled_from(["US", "IN", "GB", "DE"]))
@example(raw="12025550143", region="US")
@example(raw="+61 2 9876 5432", region="US")
def test_same_answer_as_the_slow_path(raw: str, region: str) -> None:
    assert fast(raw, region) == reference(raw, region)


def test_is_phone_number() -> None:
    assert is_phone_number("15168148111", "US")
    assert not is_phone_number("contact_number", "US")
    assert not is_phone_number("", "US")
