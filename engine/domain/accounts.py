"""Accounts and API tokens (pure)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from engine.domain.errors import InvalidField

ACCOUNT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
DEFAULT_ACCOUNTS = ("account_1", "account_2")


@dataclass(frozen=True)
class Account:
    """An authenticated API user. Every call, CDR and recording belongs to one."""

    account_id: str


def validate_account_id(account_id: str) -> str:
    if not ACCOUNT_ID_PATTERN.fullmatch(account_id):
        raise InvalidField("account", "account ids are 1-64 letters, digits, '_', '.' or '-'")
    return account_id


def new_token() -> str:
    """A random API token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str, salt: bytes) -> bytes:
    # Tokens are 256-bit random secrets, not passwords, so one salted SHA-256 is enough to
    # make a leaked table useless, while keeping per-request authentication in microseconds.
    return hashlib.sha256(salt + token.encode()).digest()


def new_salted_hash(token: str) -> tuple[bytes, bytes]:
    salt = secrets.token_bytes(16)
    return salt, hash_token(token, salt)


def token_matches(token: str, salt: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(hash_token(token, salt), expected)


def parse_bootstrap(spec: str) -> dict[str, str]:
    """Parse ``"account_1:TOKEN1,account_2:TOKEN2"`` into {account: token}."""
    accounts: dict[str, str] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, token = item.partition(":")
        if not sep or not token.strip() or not ACCOUNT_ID_PATTERN.fullmatch(name.strip()):
            raise ValueError(f"bootstrap entry {item!r} is not ACCOUNT:TOKEN")
        if name.strip() in accounts:
            raise ValueError(f"bootstrap names {name.strip()!r} twice")
        accounts[name.strip()] = token.strip()
    return accounts
