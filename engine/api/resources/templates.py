"""OTP announce templates: create, list, read and delete the account's own.

Approval is an operator's action (``python -m engine templates approve ID``), never an
account's: no route here changes a template's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import current_account
from engine.api.body import SeedModel, ShortStr, read_model
from engine.api.envelope import ok
from engine.api.resources.schemas import MessageResponse
from engine.api.routes import RouteSpec
from engine.domain.cdr import http_date
from engine.domain.templates import MAX_TEXT_CHARS
from engine.services.templates import TemplateService
from engine.store.templates import TemplateRow


class TemplateCreateRequest(SeedModel):
    name: ShortStr = Field(description="A name of your choice, 1-128 characters")
    text: str = Field(description=f"What the call says, 1-{MAX_TEXT_CHARS} characters, with "
                      "the placeholder {otp} exactly once (spoken digit by digit)")


class TemplateCreatedResponse(BaseModel):
    template_id: str
    status: str


class TemplateView(BaseModel):
    template_id: str
    name: str
    text: str
    status: str = Field(description="pending or approved")
    created_at: str
    approved_at: str = Field(description="empty while pending")


def template_view(row: TemplateRow) -> dict[str, Any]:
    """A template as the API shows it: every value a string, dates like the CDRs'."""
    return TemplateView(
        template_id=row.template_id, name=row.name, text=row.text, status=row.status.value,
        created_at=http_date(row.created_at),
        approved_at=http_date(row.approved_at) if row.approved_at else "",
    ).model_dump()


class TemplateResources:
    def __init__(self, templates: TemplateService) -> None:
        self._templates = templates

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("POST", "/api/templates", self.create,
                      "Create an OTP announce template (pending until an operator approves it)",
                      TemplateCreateRequest, TemplateCreatedResponse,
                      description="The template's text is what an OTP call says; {otp} marks "
                      "where the OTP is spoken. Use the returned template_id as "
                      "announce_template_id once it is approved.",
                      example={"name": "default otp",
                               "text": "Your one time password is {otp}"}),
            RouteSpec("GET", "/api/templates", self.list_templates,
                      "The account's announce templates, oldest first"),
            RouteSpec("GET", "/api/templates/{template_id}", self.get,
                      "One of the account's announce templates", response_model=TemplateView),
            RouteSpec("DELETE", "/api/templates/{template_id}", self.delete,
                      "Delete one of the account's announce templates",
                      response_model=MessageResponse),
        )

    async def create(self, request: web.Request) -> web.Response:
        body = await read_model(request, TemplateCreateRequest)
        row = await self._templates.create(current_account(request), body.name, body.text)
        return ok({"template_id": row.template_id, "status": row.status.value})

    async def list_templates(self, request: web.Request) -> web.Response:
        rows = await self._templates.of_account(current_account(request))
        message = "templates found" if rows else "no templates"
        return ok({"message": message, "result": [template_view(r) for r in rows]})

    async def get(self, request: web.Request) -> web.Response:
        row = await self._templates.get(current_account(request),
                                        request.match_info["template_id"])
        return ok(template_view(row))

    async def delete(self, request: web.Request) -> web.Response:
        await self._templates.delete(current_account(request),
                                     request.match_info["template_id"])
        return ok({"message": "template deleted successfully"})
