"""Accounts and API tokens: hashing, verification, bootstrap spec parsing."""

from __future__ import annotations

import pytest

from engine.domain.accounts import (
    DEFAULT_ACCOUNTS,
    hash_token,
    new_salted_hash,
    new_token,
    parse_bootstrap,
    token_matches,
    validate_account_id,
)
from engine.domain.errors import InvalidField


def test_hash_is_salted_and_deterministic() -> None:
    salt = b"\x00" * 16
    assert hash_token("secret", salt) == hash_token("secret", salt)
    assert hash_token("secret", salt) != hash_token("secret", b"\x01" * 16)
    assert hash_token("secret", salt) != hash_token("secret2", salt)
    assert len(hash_token("secret", salt)) == 32  # SHA-256


def test_salted_hash_verifies_only_the_token() -> None:
    token = new_token()
    salt, digest = new_salted_hash(token)
    assert len(salt) == 16
    assert token_matches(token, salt, digest)
    assert not token_matches(token + "x", salt, digest)
    assert not token_matches("", salt, digest)
    assert not token_matches(token, b"other-salt", digest)


def test_the_same_token_hashes_differently_each_time() -> None:
    assert new_salted_hash("t") != new_salted_hash("t")


def test_new_tokens_are_long_url_safe_and_unique() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) >= 43
        assert set(token) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("account_id", ["account_1", "a", "A.b-c_9", "x" * 64,
                                        *DEFAULT_ACCOUNTS])
def test_valid_account_ids(account_id: str) -> None:
    assert validate_account_id(account_id) == account_id


@pytest.mark.parametrize("account_id", [
    "", "x" * 65, "has space", "a/b", "a:b", "é", "a\tb",
    "a\n",
])
def test_invalid_account_ids(account_id: str) -> None:
    with pytest.raises(InvalidField) as info:
        validate_account_id(account_id)
    assert info.value.field == "account"


@pytest.mark.parametrize(("spec", "accounts"), [
    ("account_1:TOKEN1,account_2:TOKEN2", {"account_1": "TOKEN1", "account_2": "TOKEN2"}),
    (" account_1 : TOKEN1 , account_2:TOKEN2 ,", {"account_1": "TOKEN1", "account_2": "TOKEN2"}),
    ("", {}),
    ("  ,  , ", {}),
    ("acme:a:b:c", {"acme": "a:b:c"}),  # a token may itself hold ':'
])
def test_parse_bootstrap(spec: str, accounts: dict[str, str]) -> None:
    assert parse_bootstrap(spec) == accounts


@pytest.mark.parametrize("spec", ["account_1", "account_1:", "account_1:   ", "a:t,b"])
def test_parse_bootstrap_rejects_entries_without_a_token(spec: str) -> None:
    with pytest.raises(ValueError, match="ACCOUNT:TOKEN"):
        parse_bootstrap(spec)


@pytest.mark.parametrize("spec", [":TOKEN", "bad name:TOKEN", "a/b:TOKEN", "a:1,a:2"])
def test_parse_bootstrap_rejects_bad_or_repeated_account_ids(spec: str) -> None:
    # One error type for every bad spec: the daemon refuses to start with a clear message.
    with pytest.raises(ValueError, match=r"ACCOUNT:TOKEN|twice"):
        parse_bootstrap(spec)
