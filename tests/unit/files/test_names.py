"""File names (pure): what the store accepts, and which names are checked as audio."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain.errors import InvalidField
from engine.domain.files import (
    MAX_NAME_BYTES,
    MAX_NAME_CHARS,
    account_folder,
    is_valid_file_name,
    is_wav_name,
    validate_file_name,
)


@pytest.mark.parametrize("name", ["list.csv", "Contacts 2024 (final).CSV", "a", "x" * 200,
                                  "é" * 120, "greeting.wav", "a..b", "a.", "file-1_2"])
def test_good_names_are_kept_unchanged(name: str) -> None:
    assert validate_file_name(name) == name


@pytest.mark.parametrize("name", ["", ".", "..", ".hidden", ".wav", "a/b", "/etc/passwd",
                                  "..\\x", "a\\b", "a\x00b", "\x00", "a\nb", "a\rb", "a\tb",
                                  "a\x7fb", "a\x85b", "x" * (MAX_NAME_CHARS + 1),
                                  "é" * (MAX_NAME_BYTES // 2 + 1), " lead", "trail ",
                                  "bad\udc80surrogate"])
def test_bad_names_are_invalid_field_name(name: str) -> None:
    with pytest.raises(InvalidField) as caught:
        validate_file_name(name)
    assert caught.value.field == "name"
    assert caught.value.code == "invalid_file_name"
    assert not is_valid_file_name(name)


@given(st.text(max_size=300))
def test_a_valid_name_is_one_safe_path_component(name: str) -> None:
    if not is_valid_file_name(name):
        return
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".")
    assert 1 <= len(name) <= MAX_NAME_CHARS
    assert len(name.encode()) <= MAX_NAME_BYTES


@pytest.mark.parametrize(("name", "wav"), [("a.wav", True), ("A.WAV", True),
                                            ("a.Wav", True), ("a.wav.csv", False),
                                            ("wav", False), ("a.wave", False)])
def test_wav_names(name: str, wav: bool) -> None:
    assert is_wav_name(name) is wav


def test_account_folders() -> None:
    assert account_folder("account_1") == "account_1"
    assert account_folder("acme.eu-1") == "acme.eu-1"
    for bad in ("..", ".", ".x", "a/b", "", "x" * 65):
        with pytest.raises(ValueError):
            account_folder(bad)
