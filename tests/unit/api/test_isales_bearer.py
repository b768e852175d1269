"""Who an iSales bearer token is: the header's shape (401) and the account whose API token
it is (none: 403), with the account rows kept briefly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.api.resources.isales import IsalesProblem, bearer_token
from engine.domain.accounts import Account, new_salted_hash
from engine.services.isales import BearerAccounts
from engine.store.accounts import AccountRow


@pytest.mark.parametrize("header", [None, "", "  ", "Bearer", "Bearer  ", "Basic abc",
                                    "Bearer a b", "Token abc"])
def test_no_or_garbled_authorization_is_401(header: str | None) -> None:
    with pytest.raises(IsalesProblem) as caught:
        bearer_token(header)
    assert (caught.value.status, caught.value.code) == (401, "unauthenticated")


@pytest.mark.parametrize("header", ["Bearer abc", "bearer abc", " Bearer  abc "])
def test_the_token_of_a_bearer_header(header: str) -> None:
    assert bearer_token(header) == "abc"


class Rows:
    def __init__(self, tokens: dict[str, str]) -> None:
        now = datetime.now(UTC)
        self.rows = [AccountRow(account_id, *new_salted_hash(token), now, now)
                     for account_id, token in tokens.items()]
        self.reads = 0

    async def list(self) -> list[AccountRow]:
        self.reads += 1
        return list(self.rows)


async def test_a_token_names_its_account_and_rows_are_reused_briefly() -> None:
    rows = Rows({"a1": "tok-1", "a2": "tok-2"})
    now = [0.0]
    bearers = BearerAccounts(rows, cache_seconds=5.0, clock=lambda: now[0])
    assert await bearers.authenticate("tok-2") == Account("a2")
    assert await bearers.authenticate("tok-1") == Account("a1")
    assert await bearers.authenticate("nope") is None
    assert await bearers.authenticate("") is None
    assert await bearers.authenticate("x" * 300) is None
    assert rows.reads == 1
    now[0] = 6.0
    rows.rows = rows.rows[:1]  # a2 was deleted (or rotated) meanwhile
    assert await bearers.authenticate("tok-2") is None
    assert rows.reads == 2
