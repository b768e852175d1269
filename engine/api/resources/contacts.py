"""Contact lists and DND lists: create, list, and add contacts given in the request.

The seed's endpoints keep their shapes and messages; the answers of the adds also carry
``imported``, ``duplicates``, ``rejected`` and the first ``errors`` (beyond the seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import current_account
from engine.api.body import SeedModel, ShortStr, read_model
from engine.api.envelope import ok
from engine.api.routes import RouteSpec
from engine.domain.cdr import http_date
from engine.domain.contacts.model import MAX_CONTACTS_PER_REQUEST, ListKind
from engine.domain.contacts.report import ImportReport, imported_message, report_view
from engine.services.contacts import ContactListService
from engine.store.contacts import ListRow

_ITEMS = (f"at most {MAX_CONTACTS_PER_REQUEST} per request (and within the body size "
          "limit); each row is validated on its own: invalid rows are reported, not fatal")


class CreateListRequest(SeedModel):
    list_name: ShortStr = Field(description="A name of your choice, unique in the account "
                                "(1-128 characters)")


class CreateDndListRequest(SeedModel):
    dnd_list_name: ShortStr = Field(description="A name of your choice, unique among the "
                                    "account's DND lists (1-128 characters)")


class AddContactsRequest(SeedModel):
    list_id: ShortStr = Field(description="A list of the account (LS…)")
    contacts: list[Any] = Field(description="[{contact_name, contact_number, contact_fields: "
                                "{field1: …}, unique_id (optional)}] — " + _ITEMS)


class AddDndContactsRequest(SeedModel):
    dnd_list_id: ShortStr = Field(description="A DND list of the account (DN…)")
    dnd_contacts: list[Any] = Field(description="[{dnd_contact_name, dnd_contact_number}] — "
                                    + _ITEMS)


class ListCreatedResponse(BaseModel):
    list_id: str


class DndListCreatedResponse(BaseModel):
    dnd_list_id: str


class RowErrorView(BaseModel):
    row: str = Field(description="1-based: the array index, or the CSV file's line")
    field: str
    reason: str


class ImportReportResponse(BaseModel):
    message: str = Field(description='"(N) contacts imported successfully", N = imported')
    imported: str
    duplicates: str = Field(description="valid rows whose number the list already held")
    rejected: str = Field(description="invalid rows (the first 10 are in errors)")
    errors: list[RowErrorView]


def report_answer(kind: ListKind, report: ImportReport) -> dict[str, Any]:
    return {"message": imported_message(kind, report.imported), **report_view(report)}


def list_view(kind: ListKind, row: ListRow) -> dict[str, str]:
    if kind is ListKind.DND:
        return {"dnd_list_id": row.list_id, "dnd_list_name": row.name,
                "dnd_contact_count": str(row.entries), "created_date": http_date(row.created_at)}
    return {"list_id": row.list_id, "list_name": row.name,
            "contact_count": str(row.entries), "created_date": http_date(row.created_at)}


class ContactResources:
    def __init__(self, lists: ContactListService) -> None:
        self._lists = lists

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("POST", "/api/create_campaign_list", self.create_list,
                      "Create a contact list for campaigns", CreateListRequest,
                      ListCreatedResponse, example={"list_name": "my_campaign_list"}),
            RouteSpec("GET", "/api/campaign_lists", self.contact_lists,
                      "The account's contact lists with their contact counts"),
            RouteSpec("POST", "/api/add_contact_to_list", self.add_contacts,
                      "Add contacts to a list", AddContactsRequest, ImportReportResponse,
                      description="Numbers are validated and normalised (E.164 digits); a "
                      "number already in the list is a duplicate; invalid rows are counted "
                      "and the first 10 reported with their reason.",
                      example={"list_id": "LSaa8f9db7e6", "contacts": [
                          {"contact_name": "ankit", "contact_number": "919979271234",
                           "contact_fields": {"field1": "Ankit", "field2": "Jayswal",
                                              "field3": "500"}}]}),
            RouteSpec("POST", "/api/create_campaign_dnd_list", self.create_dnd_list,
                      "Create a DND (do not disturb) list", CreateDndListRequest,
                      DndListCreatedResponse, example={"dnd_list_name": "my_first_DND_list"}),
            RouteSpec("GET", "/api/campaign_dnd_lists", self.dnd_lists,
                      "The account's DND lists with their number counts"),
            RouteSpec("POST", "/api/add_dnd_contact_to_list", self.add_dnd_contacts,
                      "Add numbers to a DND list", AddDndContactsRequest, ImportReportResponse,
                      example={"dnd_list_id": "DN95716be314", "dnd_contacts": [
                          {"dnd_contact_name": "ankit",
                           "dnd_contact_number": "919979271234"}]}),
        )

    async def create_list(self, request: web.Request) -> web.Response:
        body = await read_model(request, CreateListRequest)
        row = await self._lists.create_list(current_account(request), ListKind.CONTACTS,
                                            body.list_name)
        return ok({"list_id": row.list_id})

    async def create_dnd_list(self, request: web.Request) -> web.Response:
        body = await read_model(request, CreateDndListRequest)
        row = await self._lists.create_list(current_account(request), ListKind.DND,
                                            body.dnd_list_name)
        return ok({"dnd_list_id": row.list_id})

    async def contact_lists(self, request: web.Request) -> web.Response:
        return await self._listing(request, ListKind.CONTACTS)

    async def dnd_lists(self, request: web.Request) -> web.Response:
        return await self._listing(request, ListKind.DND)

    async def add_contacts(self, request: web.Request) -> web.Response:
        body = await read_model(request, AddContactsRequest)
        report = await self._lists.add(current_account(request), ListKind.CONTACTS,
                                       body.list_id, body.contacts)
        return ok(report_answer(ListKind.CONTACTS, report))

    async def add_dnd_contacts(self, request: web.Request) -> web.Response:
        body = await read_model(request, AddDndContactsRequest)
        report = await self._lists.add(current_account(request), ListKind.DND,
                                       body.dnd_list_id, body.dnd_contacts)
        return ok(report_answer(ListKind.DND, report))

    async def _listing(self, request: web.Request, kind: ListKind) -> web.Response:
        rows = await self._lists.lists(current_account(request), kind)
        what = "DND lists" if kind is ListKind.DND else "lists"
        return ok({"message": f"{what} found" if rows else f"no {what}",
                   "result": [list_view(kind, row) for row in rows]})
