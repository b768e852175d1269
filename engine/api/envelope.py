"""The seed's response envelope: ``{"response": {..., "success": "true"}}``.

Every API answer, success or error, is one JSON object under the key ``response``. The seed
types ``success`` as a string (``"true"``/``"false"``), and clients compare it as such.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from engine.logs import request_id_var

JSON_CONTENT_TYPE = "application/json"


def json_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A plain JSON response (no envelope); the building block of the two below."""
    return web.Response(
        text=json.dumps(body, allow_nan=False),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )


def success_body(payload: Mapping[str, Any] | BaseModel | None = None) -> dict[str, Any]:
    """``{"response": {...payload, "success": "true"}}`` with ``success`` always last."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json", by_alias=True)
    fields = {key: value for key, value in (payload or {}).items() if key != "success"}
    return {"response": {**fields, "success": "true"}}


def ok(payload: Mapping[str, Any] | BaseModel | None = None, status: int = 200) -> web.Response:
    """A successful answer in the seed's envelope.

    ``payload`` is a mapping or a pydantic model (dumped in JSON mode, by alias); a
    ``success`` key in it is ignored so that the envelope's own always comes last.
    """
    return json_response(success_body(payload), status=status)


def error_body(
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The error envelope; ``request_id`` defaults to the current HTTP request's id."""
    return {
        "response": {
            "success": "false",
            "error": code,
            "message": message,
            "details": dict(details or {}),
            "request_id": request_id if request_id is not None else request_id_var.get(),
        }
    }


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    *,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An error answer: ``{"response": {"success": "false", "error": code, ...}}``.

    ``code`` is stable snake_case that clients may branch on; ``message`` is for humans.
    ``request_id`` is the HTTP request id (the ``X-Request-Id`` header), not a call id.
    """
    return json_response(error_body(code, message, details, request_id), status, headers)
