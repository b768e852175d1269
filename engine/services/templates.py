"""Announce templates: an account creates, lists and deletes its own; an operator approves.

Another account's template looks exactly like a missing one. Approval is not an API action
of the account (``python -m engine templates approve``), so an account cannot approve the
text it wrote itself. An OTP call asks ``approved_text`` for the text to speak.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.domain.accounts import Account
from engine.domain.errors import Conflict, InvalidField, NotFound
from engine.domain.templates import (
    TemplateStatus,
    is_template_id,
    new_template_id,
    validate_name,
    validate_text,
)
from engine.store.templates import TemplateRepository, TemplateRow

NOT_FOUND = "template_not_found"
NOT_APPROVED = "template_not_approved"
_ID_ATTEMPTS = 5


def _not_found() -> NotFound:
    return NotFound("template not found", code=NOT_FOUND)


class TemplateService:
    def __init__(
        self, repo: TemplateRepository, *, new_id: Callable[[], str] = new_template_id
    ) -> None:
        self._repo = repo
        self._new_id = new_id

    async def create(self, account: Account, name: str, text: str) -> TemplateRow:
        """A new pending template; raises InvalidField naming ``name`` or ``text``."""
        name = validate_name(name)
        text = validate_text(text)
        for _ in range(_ID_ATTEMPTS):  # 40 random bits: a collision is rare, never fatal
            row = await self._repo.insert(self._new_id(), account.account_id, name, text)
            if row is not None:
                return row
        raise Conflict("could not allocate a template id; retry", code="template_id_conflict")

    async def of_account(self, account: Account) -> list[TemplateRow]:
        return await self._repo.of_account(account.account_id)

    async def get(self, account: Account, template_id: str) -> TemplateRow:
        row = await self._find(account.account_id, template_id)
        if row is None:
            raise _not_found()
        return row

    async def delete(self, account: Account, template_id: str) -> None:
        template_id = template_id.strip()
        if not is_template_id(template_id) or not await self._repo.delete(
            account.account_id, template_id
        ):
            raise _not_found()

    async def approve(self, template_id: str) -> TemplateRow:
        """Approve a template of any account (operator action; approving twice is fine)."""
        template_id = template_id.strip()
        row = await self._repo.approve(template_id) if is_template_id(template_id) else None
        if row is None:
            raise _not_found()
        return row

    async def pending(self) -> list[TemplateRow]:
        """Every account's templates awaiting approval, oldest first."""
        return await self._repo.pending()

    async def approved_text(self, account_id: str, template_id: str) -> str:
        """The text of the account's approved template ``template_id``, for an OTP call.

        Raises ``InvalidField("announce_template_id", …)``: ``template_not_found`` for a
        missing or another account's template, ``template_not_approved`` for a pending one.
        """
        field = "announce_template_id"
        row = await self._find(account_id, template_id)
        if row is None:
            raise InvalidField(field, "announce_template_id is not a template of this account",
                               code=NOT_FOUND)
        if row.status is not TemplateStatus.APPROVED:
            raise InvalidField(field, "announce_template_id is not approved yet",
                               code=NOT_APPROVED)
        return row.text

    async def _find(self, account_id: str, template_id: str) -> TemplateRow | None:
        template_id = template_id.strip()
        if not is_template_id(template_id):
            return None
        return await self._repo.get(account_id, template_id)
