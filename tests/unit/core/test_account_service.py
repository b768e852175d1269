from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.domain.accounts import hash_token
from engine.domain.errors import Conflict, NotFound
from engine.services.accounts import AccountService
from engine.store.accounts import AccountRow


class MemoryAccounts:
    """Just enough of AccountRepository, in memory, counting reads."""

    def __init__(self) -> None:
        self.rows: dict[str, AccountRow] = {}
        self.reads = 0

    async def get(self, account_id: str) -> AccountRow | None:
        self.reads += 1
        return self.rows.get(account_id)

    async def list(self) -> list[AccountRow]:
        return sorted(self.rows.values(), key=lambda r: r.account_id)

    async def insert(self, account_id: str, salt: bytes, token_hash: bytes) -> bool:
        if account_id in self.rows:
            return False
        now = datetime.now(UTC)
        self.rows[account_id] = AccountRow(account_id, salt, token_hash, now, now)
        return True

    async def set_token(self, account_id: str, salt: bytes, token_hash: bytes) -> bool:
        if account_id not in self.rows:
            return False
        old = self.rows[account_id]
        self.rows[account_id] = AccountRow(account_id, salt, token_hash, old.created_at,
                                           datetime.now(UTC))
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def repo() -> MemoryAccounts:
    return MemoryAccounts()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(repo: MemoryAccounts, clock: Clock) -> AccountService:
    return AccountService(repo, clock=clock)  # type: ignore[arg-type]


async def test_tokens_are_stored_only_as_salted_hashes(
    service: AccountService, repo: MemoryAccounts
) -> None:
    token = await service.create("acme")
    row = repo.rows["acme"]
    assert token.encode() not in row.token_hash
    assert row.token_hash == hash_token(token, row.token_salt)
    assert await service.authenticate("acme", token) is not None
    assert await service.authenticate("acme", token + "x") is None
    assert await service.authenticate("nobody", token) is None


async def test_rotation_replaces_the_token_at_once(service: AccountService) -> None:
    old = await service.create("acme")
    assert await service.authenticate("acme", old)
    new = await service.rotate("acme")
    assert await service.authenticate("acme", old) is None
    assert await service.authenticate("acme", new)


async def test_rows_are_cached_briefly(
    service: AccountService, repo: MemoryAccounts, clock: Clock
) -> None:
    token = await service.create("acme")
    for _ in range(5):
        await service.authenticate("acme", token)
    assert repo.reads == 1
    clock.now = 6.0
    await service.authenticate("acme", token)
    assert repo.reads == 2


async def test_create_twice_and_rotate_unknown_fail(service: AccountService) -> None:
    await service.create("acme")
    with pytest.raises(Conflict):
        await service.create("acme")
    with pytest.raises(NotFound):
        await service.rotate("ghost")


async def test_bootstrap_generates_once_into_a_private_file(
    service: AccountService, tmp_path: Path
) -> None:
    path = tmp_path / "credentials.json"
    first = await service.bootstrap("", path)
    assert set(first) == {"account_1", "account_2"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == first
    assert await service.bootstrap("", path) == {}
    assert await service.authenticate("account_1", first["account_1"])


async def test_bootstrap_spec_fixes_tokens(service: AccountService, tmp_path: Path) -> None:
    await service.create("account_1", "old")
    await service.bootstrap("account_1:TOKEN1,account_2:TOKEN2", tmp_path / "c.json")
    assert await service.authenticate("account_1", "TOKEN1")
    assert await service.authenticate("account_1", "old") is None
    assert await service.authenticate("account_2", "TOKEN2")
    assert not (tmp_path / "c.json").exists()
