"""Who is calling: the ``account``/``auth`` header pair, checked by an injected service."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from engine.domain.accounts import Account

__all__ = [
    "ACCOUNT_HEADER",
    "ACCOUNT_KEY",
    "AUTH_HEADER",
    "Account",
    "Authenticator",
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


def current_account(request: web.Request) -> Account:
    """The account the auth middleware admitted; only valid on routes that need auth."""
    try:
        return request[ACCOUNT_KEY]
    except KeyError:
        raise RuntimeError(
            f"{request.method} {request.path} reads the account but is declared auth=False"
        ) from None
