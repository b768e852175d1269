"""TemplateService over an in-memory repository: scoping, approval, approved_text's errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from engine.domain.accounts import Account
from engine.domain.errors import Conflict, InvalidField, NotFound
from engine.domain.templates import TemplateStatus
from engine.services.templates import TemplateService
from engine.store.templates import TemplateRepository, TemplateRow

ONE, TWO = Account("account_1"), Account("account_2")
TEXT = "Your one time password is {otp}"


class MemoryTemplates:
    """The repository's contract, in a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, TemplateRow] = {}

    async def insert(self, template_id: str, account_id: str, name: str,
                     text: str) -> TemplateRow | None:
        if template_id in self.rows:
            return None
        row = TemplateRow(template_id, account_id, name, text, TemplateStatus.PENDING,
                          datetime.now(UTC), None)
        self.rows[template_id] = row
        return row

    async def of_account(self, account_id: str) -> list[TemplateRow]:
        return [r for r in self.rows.values() if r.account_id == account_id]

    async def get(self, account_id: str, template_id: str) -> TemplateRow | None:
        row = self.rows.get(template_id)
        return row if row is not None and row.account_id == account_id else None

    async def delete(self, account_id: str, template_id: str) -> bool:
        if await self.get(account_id, template_id) is None:
            return False
        del self.rows[template_id]
        return True

    async def approve(self, template_id: str) -> TemplateRow | None:
        row = self.rows.get(template_id)
        if row is None:
            return None
        row = replace(row, status=TemplateStatus.APPROVED,
                      approved_at=row.approved_at or datetime.now(UTC))
        self.rows[template_id] = row
        return row

    async def pending(self) -> list[TemplateRow]:
        return [r for r in self.rows.values() if r.status is TemplateStatus.PENDING]


def service(ids: list[str] | None = None) -> TemplateService:
    repo = cast(TemplateRepository, MemoryTemplates())
    if ids is None:
        return TemplateService(repo)
    queue = iter(ids)
    return TemplateService(repo, new_id=lambda: next(queue))


async def test_approved_text_needs_an_approved_template_of_the_account() -> None:
    templates = service()
    row = await templates.create(ONE, " otp ", f" {TEXT} ")
    assert (row.name, row.text, row.status) == ("otp", TEXT, TemplateStatus.PENDING)

    with pytest.raises(InvalidField) as raised:
        await templates.approved_text("account_1", row.template_id)
    assert (raised.value.field, raised.value.code) == ("announce_template_id",
                                                       "template_not_approved")
    await templates.approve(row.template_id)
    assert await templates.approved_text("account_1", row.template_id) == TEXT
    assert await templates.approved_text("account_1", f" {row.template_id} ") == TEXT

    for account_id, template_id in (("account_2", row.template_id),
                                    ("account_1", "AN0000000000"), ("account_1", "junk")):
        with pytest.raises(InvalidField) as raised:
            await templates.approved_text(account_id, template_id)
        assert (raised.value.field, raised.value.code) == ("announce_template_id",
                                                           "template_not_found")


async def test_another_accounts_template_is_not_found() -> None:
    templates = service()
    row = await templates.create(ONE, "otp", TEXT)
    assert await templates.of_account(TWO) == []
    failures: list[Any] = []
    for call in (templates.get(TWO, row.template_id), templates.delete(TWO, row.template_id),
                 templates.get(TWO, "AN0000000000"), templates.delete(TWO, "nonsense")):
        with pytest.raises(NotFound) as raised:
            await call
        failures.append((raised.value.code, raised.value.message))
    assert set(failures) == {("template_not_found", "template not found")}
    assert await templates.get(ONE, row.template_id) == row


async def test_approval_is_idempotent_and_leaves_the_pending_list() -> None:
    templates = service()
    row = await templates.create(ONE, "otp", TEXT)
    assert [r.template_id for r in await templates.pending()] == [row.template_id]
    first = await templates.approve(row.template_id)
    again = await templates.approve(row.template_id)
    assert first.approved_at is not None and again.approved_at == first.approved_at
    assert await templates.pending() == []
    with pytest.raises(NotFound):
        await templates.approve("AN0000000000")


async def test_invalid_text_is_refused_before_anything_is_stored() -> None:
    templates = service()
    with pytest.raises(InvalidField) as raised:
        await templates.create(ONE, "otp", "no placeholder")
    assert raised.value.field == "text"
    assert await templates.of_account(ONE) == []


async def test_an_id_collision_draws_another_id() -> None:
    templates = service(["AN000000000a", "AN000000000a", "AN000000000b"])
    first = await templates.create(ONE, "a", TEXT)
    second = await templates.create(ONE, "b", TEXT)
    assert (first.template_id, second.template_id) == ("AN000000000a", "AN000000000b")
    stuck = service(["AN000000000a"] * 10)
    await stuck.create(ONE, "a", TEXT)
    with pytest.raises(Conflict):
        await stuck.create(ONE, "b", TEXT)
