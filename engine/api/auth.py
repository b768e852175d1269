"""Who is calling: the ``account``/``auth`` header pair, checked by an injected service."""

from __future__ import annotations

import base64
from typing import Protocol

from aiohttp import web

from engine.domain.accounts import Account

__all__ = [
    "ACCOUNT_HEADER",
    "ACCOUNT_KEY",
    "AUTH_HEADER",
    "Account",
    "Authenticator",
    "basic_login",
    "current_account",
]

ACCOUNT_HEADER = "account"
AUTH_HEADER = "auth"

# Account is the domain's own frozen dataclass (``account_id: str``), re-exported here so
# that the service returning it (engine.services.accounts) satisfies Authenticator as is.
ACCOUNT_KEY = web.RequestKey("account", Account)


class Authenticator(Protocol):
    """Checks a header pair; the real one lives in engine.services.accounts."""

    async def authenticate(self, account: str, token: str) -> Account | None:
        """The account when ``token`` is its current token, else None (never says why)."""
        ...


def basic_login(header: str) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic …`` header; None if it is not one.

    Decoded by hand: aiohttp 3.14 deprecates ``BasicAuth``."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def current_account(request: web.Request) -> Account:
    """The account the auth middleware admitted; only valid on routes that need auth."""
    try:
        return request[ACCOUNT_KEY]
    except KeyError:
        raise RuntimeError(
            f"{request.method} {request.path} reads the account but is declared auth=False"
        ) from None
