"""Account use cases: authenticate, create, rotate, list, first-start bootstrap, and the
token to sign an account's webhooks with.

With a ``TokenSealer``, every token set here is also stored sealed (Fernet), so webhooks can
be signed with it while the database holds no token in the clear. Accounts whose token was
set without the key (before migration 008, or by a process without a sealer) get it sealed
at their next successful login.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from engine.domain.accounts import (
    DEFAULT_ACCOUNTS,
    Account,
    new_salted_hash,
    new_token,
    parse_bootstrap,
    token_matches,
    validate_account_id,
)
from engine.domain.errors import Conflict, NotFound
from engine.store.accounts import AccountRepository, AccountRow
from engine.webhooks.sealing import TokenSealer

log = logging.getLogger(__name__)


class AccountService:
    """``cache_seconds``: how long a looked-up account row is reused for authentication.

    Every API request authenticates, so rows are kept briefly in memory; a token rotated
    by another process (the CLI) stops working within that time.
    """

    def __init__(self, repo: AccountRepository, *, cache_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic,
                 sealer: TokenSealer | None = None) -> None:
        self._repo = repo
        self._sealer = sealer
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._rows: dict[str, tuple[float, AccountRow | None]] = {}

    async def authenticate(self, account: str, token: str) -> Account | None:
        """The account if ``token`` is its current token; None otherwise (never says why)."""
        if not account or not token or len(account) > 64 or len(token) > 256:
            return None
        row = await self._row(account)
        if row is None or not token_matches(token, row.token_salt, row.token_hash):
            return None
        if row.token_sealed is None and self._sealer is not None:
            await self._seal_late(row, token)
        return Account(row.account_id)

    async def _seal_late(self, row: AccountRow, token: str) -> None:
        assert self._sealer is not None
        try:
            await self._repo.set_sealed(row.account_id, row.token_hash, self._sealer.seal(token))
        except Exception as exc:  # a login must not fail for this; the next one tries again
            log.warning("could not seal an account token",
                        extra={"account": row.account_id, "error": type(exc).__name__})
            return
        self._forget(row.account_id)
        log.info("account token sealed for signing", extra={"account": row.account_id})

    async def signing_token(self, account_id: str) -> str | None:
        """The account's token, to sign its webhooks with; None if unknown or not sealed
        yet (or sealed with another key)."""
        if self._sealer is None or not account_id:
            return None
        row = await self._row(account_id)
        if row is None or row.token_sealed is None:
            return None
        return self._sealer.unseal(row.token_sealed)

    def _sealed(self, token: str) -> tuple[bytes, ...]:
        """The extra repository argument: the sealed token, when there is a sealer."""
        return () if self._sealer is None else (self._sealer.seal(token),)

    async def _row(self, account: str) -> AccountRow | None:
        now = self._clock()
        cached = self._rows.get(account)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        row = await self._repo.get(account)
        if len(self._rows) > 10_000:  # unknown account names must not grow it forever
            self._rows.clear()
        self._rows[account] = (now, row)
        return row

    def _forget(self, account_id: str) -> None:
        self._rows.pop(account_id, None)

    async def create(self, account_id: str, token: str | None = None) -> str:
        validate_account_id(account_id)
        token = token or new_token()
        if not await self._repo.insert(account_id, *new_salted_hash(token),
                                       *self._sealed(token)):
            raise Conflict(f"account {account_id} already exists", code="account_exists")
        self._forget(account_id)
        return token

    async def rotate(self, account_id: str, token: str | None = None) -> str:
        token = token or new_token()
        # Without a sealer the old sealed token is cleared (the repository's default).
        if not await self._repo.set_token(account_id, *new_salted_hash(token),
                                          *self._sealed(token)):
            raise NotFound(f"no account {account_id}")
        self._forget(account_id)
        return token

    async def list_ids(self) -> list[str]:
        return [row.account_id for row in await self._repo.list()]

    async def bootstrap(self, spec: str, credentials_file: Path) -> dict[str, str]:
        """Make sure the seed's accounts exist; return tokens that were generated now.

        With ``spec`` (ENGINE_BOOTSTRAP_ACCOUNTS) the listed tokens are imposed. Without it,
        missing default accounts get random tokens, written once to ``credentials_file``.
        """
        if spec:
            for account_id, token in parse_bootstrap(spec).items():
                existing = await self._repo.get(account_id)
                if existing is None:
                    await self.create(account_id, token)
                elif not token_matches(token, existing.token_salt, existing.token_hash):
                    await self.rotate(account_id, token)
                elif existing.token_sealed is None and self._sealer is not None:
                    await self._seal_late(existing, token)
            return {}
        generated: dict[str, str] = {}
        for account_id in DEFAULT_ACCOUNTS:
            if await self._repo.get(account_id) is None:
                generated[account_id] = await self.create(account_id)
        if generated:
            write_credentials(credentials_file, generated)
        return generated


def write_credentials(path: Path, tokens: dict[str, str]) -> None:
    """Merge tokens into a 0600 JSON file (created with that mode, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing: dict[str, str] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text())
        except (OSError, ValueError):
            log.warning("credentials file unreadable; rewriting", extra={"path": str(path)})
    existing.update(tokens)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(existing, handle, indent=2, sort_keys=True)
        handle.write("\n")
    path.chmod(0o600)
