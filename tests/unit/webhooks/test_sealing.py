"""Account tokens sealed for signing: the key file, and the account service's use of it."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.services.accounts import AccountService
from engine.store.accounts import AccountRow
from engine.webhooks.sealing import TokenSealer, load_or_create_key


class SealingAccounts:
    """The repository's token writes, in memory."""

    def __init__(self) -> None:
        self.rows: dict[str, AccountRow] = {}

    async def get(self, account_id: str) -> AccountRow | None:
        return self.rows.get(account_id)

    async def list(self) -> list[AccountRow]:
        return list(self.rows.values())

    async def insert(self, account_id: str, salt: bytes, token_hash: bytes,
                     sealed: bytes | None = None) -> bool:
        if account_id in self.rows:
            return False
        now = datetime.now(UTC)
        self.rows[account_id] = AccountRow(account_id, salt, token_hash, now, now, sealed)
        return True

    async def set_token(self, account_id: str, salt: bytes, token_hash: bytes,
                        sealed: bytes | None = None) -> bool:
        old = self.rows.get(account_id)
        if old is None:
            return False
        self.rows[account_id] = replace(old, token_salt=salt, token_hash=token_hash,
                                        token_sealed=sealed)
        return True

    async def set_sealed(self, account_id: str, token_hash: bytes, sealed: bytes) -> bool:
        old = self.rows.get(account_id)
        if old is None or old.token_hash != token_hash:
            return False
        self.rows[account_id] = replace(old, token_sealed=sealed)
        return True


def test_the_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret.key"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    path.chmod(0o644)
    assert load_or_create_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sealer = TokenSealer.from_file(path)
    sealed = sealer.seal("tok-1")
    assert b"tok-1" not in sealed and sealer.unseal(sealed) == "tok-1"
    other = TokenSealer.from_file(tmp_path / "other.key")
    assert other.unseal(sealed) is None
    assert sealer.unseal(b"garbage") is None


def test_a_file_without_a_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("not a key\n")
    with pytest.raises(ValueError):
        load_or_create_key(path)


@pytest.fixture
def sealer(tmp_path: Path) -> TokenSealer:
    return TokenSealer.from_file(tmp_path / "secret.key")


async def test_tokens_are_sealed_on_create_rotate_and_bootstrap(sealer: TokenSealer,
                                                                tmp_path: Path) -> None:
    repo = SealingAccounts()
    service = AccountService(repo, sealer=sealer, cache_seconds=0)  # type: ignore[arg-type]
    token = await service.create("acme")
    row = repo.rows["acme"]
    assert row.token_sealed is not None and token.encode() not in row.token_sealed
    assert await service.signing_token("acme") == token
    new = await service.rotate("acme")
    assert await service.signing_token("acme") == new
    generated = await service.bootstrap("", tmp_path / "c.json")
    for account_id, tok in generated.items():
        assert await service.signing_token(account_id) == tok
    await service.bootstrap("acme:FIXED", tmp_path / "c.json")
    assert await service.signing_token("acme") == "FIXED"
    assert await service.signing_token("nobody") is None


async def test_old_accounts_are_sealed_at_their_first_login(sealer: TokenSealer) -> None:
    repo = SealingAccounts()
    without = AccountService(repo, cache_seconds=0)  # type: ignore[arg-type]
    token = await without.create("old")  # as before the migration: nothing sealed
    assert repo.rows["old"].token_sealed is None
    assert await without.signing_token("old") is None
    service = AccountService(repo, sealer=sealer, cache_seconds=0)  # type: ignore[arg-type]
    assert await service.signing_token("old") is None
    assert await service.authenticate("old", token + "x") is None
    assert repo.rows["old"].token_sealed is None
    assert await service.authenticate("old", token) is not None
    assert await service.signing_token("old") == token


async def test_a_bootstrap_spec_seals_an_unsealed_matching_token(sealer: TokenSealer,
                                                                 tmp_path: Path) -> None:
    repo = SealingAccounts()
    await AccountService(repo).create("account_1", "T1")  # type: ignore[arg-type]
    service = AccountService(repo, sealer=sealer, cache_seconds=0)  # type: ignore[arg-type]
    await service.bootstrap("account_1:T1", tmp_path / "c.json")
    assert await service.signing_token("account_1") == "T1"


async def test_a_rotation_without_the_key_drops_the_sealed_token(sealer: TokenSealer) -> None:
    repo = SealingAccounts()
    service = AccountService(repo, sealer=sealer, cache_seconds=0)  # type: ignore[arg-type]
    await service.create("acme")
    await AccountService(repo).rotate("acme", "NEW")  # type: ignore[arg-type]
    assert await service.signing_token("acme") is None  # never signs with the old token
    assert await service.authenticate("acme", "NEW")
    assert await service.signing_token("acme") == "NEW"
