"""OTP announce templates (pure): ids, text and name validation, the split around {otp}."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain.errors import InvalidField
from engine.domain.templates import (
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    PLACEHOLDER,
    is_template_id,
    new_template_id,
    split_template,
    validate_name,
    validate_text,
)


def test_ids_have_the_seeds_shape() -> None:
    ids = {new_template_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(is_template_id(i) for i in ids)
    assert is_template_id("AN2222314c96")
    for wrong in ("", "AN2222314C96", "an2222314c96", "AN2222314c9", "AN2222314c96a",
                  "2222314c96", "AN2222314c9g", " AN2222314c96"):
        assert not is_template_id(wrong), wrong


@pytest.mark.parametrize("text", [
    "Your one time password is {otp}",
    "{otp}",
    "{otp} is your code",
    "Code: {otp}. Again: do not share it.",
    "x" * (MAX_TEXT_CHARS - len(PLACEHOLDER)) + PLACEHOLDER,
])
def test_valid_texts_are_accepted(text: str) -> None:
    assert validate_text(text) == text


def test_text_is_trimmed() -> None:
    assert validate_text("  Your code is {otp}  ") == "Your code is {otp}"


@pytest.mark.parametrize(("text", "words"), [
    ("", "must not be empty"),
    ("   ", "must not be empty"),
    ("x" * MAX_TEXT_CHARS + PLACEHOLDER, f"at most {MAX_TEXT_CHARS} characters"),
    ("Your one time password is", "must contain the placeholder {otp}"),
    ("Your code is {otp}, again {otp}", "exactly once, not 2 times"),
    ("Hello {name}, your code is {otp}", "unknown placeholder {name}"),
    ("Your code is {OTP}", "unknown placeholder {OTP}"),
    ("Your code is { otp }", "unknown placeholder { otp }"),
    ("Your code is {}", "unknown placeholder {}"),
    ("Your code is {otp", "stray"),
    ("Your code is otp}", "stray"),
    ("Your code is {{otp}}", "stray"),
    ("Your code is {otp} }", "stray"),
    ("Your code is\n{otp}", "control characters or line breaks"),
    ("Your code is \x00{otp}", "control characters"),
])
def test_invalid_texts_name_the_field_and_say_why(text: str, words: str) -> None:
    with pytest.raises(InvalidField) as raised:
        validate_text(text)
    assert raised.value.field == "text"
    assert raised.value.code == "invalid_field"
    assert words in raised.value.message


def test_names_are_trimmed_and_bounded() -> None:
    assert validate_name("  default otp ") == "default otp"
    assert validate_name("n" * MAX_NAME_CHARS) == "n" * MAX_NAME_CHARS
    for wrong in ("", "  ", "n" * (MAX_NAME_CHARS + 1), "a\tb"):
        with pytest.raises(InvalidField) as raised:
            validate_name(wrong)
        assert raised.value.field == "name"


@pytest.mark.parametrize(("text", "before", "after"), [
    ("Your one time password is {otp}", "Your one time password is ", ""),
    ("{otp} is your code", "", " is your code"),
    ("Code {otp}. Do not share it.", "Code ", ". Do not share it."),
    ("{otp}", "", ""),
])
def test_split_template_around_the_otp(text: str, before: str, after: str) -> None:
    assert split_template(text) == (before, after)


def test_split_template_refuses_an_invalid_text() -> None:
    with pytest.raises(InvalidField):
        split_template("no placeholder here")


_plain = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"),
                                        blacklist_characters="{}"), max_size=200)


@given(_plain, _plain)
def test_split_rebuilds_any_valid_text(before: str, after: str) -> None:
    text = (before + PLACEHOLDER + after).strip()
    head, tail = split_template(text)
    assert head + PLACEHOLDER + tail == text
    assert PLACEHOLDER not in head + tail
