"""The OpenAPI 3.1 document, built from the route registry and the pydantic models.

Success bodies are documented inside the seed's envelope (the response model's fields plus
``"success": "true"``); every error status shares one error-envelope schema. Credentials are
two ``apiKey`` header schemes, ``account`` and ``auth``, required together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from engine.api.auth import ACCOUNT_HEADER, AUTH_HEADER
from engine.api.docs import render_docs
from engine.api.envelope import json_response
from engine.api.routes import RouteSpec

OPENAPI_VERSION = "3.1.0"
SCHEMA_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)[^}]*}")

ModelKey = tuple[type[BaseModel], JsonSchemaMode]


class ErrorBody(BaseModel):
    """What every failed request answers, inside ``response``."""

    success: Literal["false"]
    error: str = Field(description="Stable snake_case error code, e.g. invalid_field")
    message: str = Field(description="Human-readable explanation")
    details: dict[str, Any] = Field(description="Structured context, e.g. {'field': ...}")
    request_id: str | None = Field(description="HTTP request id (X-Request-Id), not a call id")


class ErrorEnvelope(BaseModel):
    """``{"response": {"success": "false", "error": ..., ...}}``."""

    response: ErrorBody


# (status, component name, description, when it applies: "always" | "auth" | "body")
_ERRORS: tuple[tuple[int, str, str, str], ...] = (
    (400, "MalformedJson", "Body is not valid UTF-8 JSON (malformed_json)", "body"),
    (401, "Unauthorized", "Missing or wrong account/auth headers (unauthorized)", "auth"),
    (404, "NotFound", "No such endpoint or object (not_found)", "always"),
    (405, "MethodNotAllowed", "Method not allowed on this path (method_not_allowed)", "always"),
    (413, "PayloadTooLarge", "Body over the size limit (payload_too_large)", "body"),
    (415, "UnsupportedMediaType", "Content-Type is not application/json", "body"),
    (422, "InvalidField", "A field is missing or invalid (invalid_field, invalid_body)", "body"),
    (431, "HeadersTooLarge", "Headers together over the size limit (headers_too_large)", "always"),
    (500, "InternalError", "Unexpected failure; quote the request id (internal_error)", "always"),
    (503, "Unavailable", "Shutting down or a dependency is down; retry later", "always"),
)

_SUCCESS_FLAG = {
    "type": "object",
    "required": ["success"],
    "properties": {"success": {"type": "string", "const": "true"}},
}

_PLACEHOLDERS: dict[str, Any] = {
    "string": "string", "integer": "1", "number": "1", "boolean": False, "array": [],
    "object": {},
}


def _ref_name(schema: Mapping[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def example_for(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Any:
    """A plausible example value for ``schema``: examples, then defaults, then placeholders.

    Integers are shown as strings, like the seed sends them.
    """
    if "$ref" in schema:
        return example_for(schemas[_ref_name(schema)], schemas)
    if "examples" in schema:
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        variants = [v for v in schema["anyOf"] if v.get("type") != "null"] or [{}]
        return example_for(variants[0], schemas)
    if schema.get("type") == "object" and "properties" in schema:
        required = set(schema.get("required", ()))
        return {
            name: example_for(prop, schemas)
            for name, prop in schema["properties"].items()
            if name in required or "examples" in prop
        }
    if schema.get("type") == "array" and "items" in schema:
        return [example_for(schema["items"], schemas)]
    return _PLACEHOLDERS.get(str(schema.get("type")), "string")


def _success_schema(ref: str | None) -> dict[str, Any]:
    flag = {"$ref": SCHEMA_REF.format(model="SuccessFlag")}
    inner: dict[str, Any] = {"allOf": [{"$ref": ref}, flag]} if ref else flag
    return {"type": "object", "required": ["response"], "properties": {"response": inner}}


def _operation(
    route: RouteSpec, refs: Mapping[ModelKey, str], schemas: Mapping[str, Any]
) -> dict[str, Any]:
    response_ref = refs[(route.response_model, "serialization")] if route.response_model else None
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "security": [{ACCOUNT_HEADER: [], AUTH_HEADER: []}] if route.auth else [],
        "responses": {
            "200": {
                "description": "Success, in the seed's envelope",
                "content": {"application/json": {"schema": _success_schema(response_ref)}},
            }
        },
    }
    if route.description:
        operation["description"] = route.description
    params = _PATH_PARAM.findall(route.path)
    if params:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in params
        ]
    if route.request_model is not None:
        request_ref = refs[(route.request_model, "validation")]
        example = route.example
        if example is None:
            example = example_for({"$ref": request_ref}, schemas)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": request_ref}, "example": example}},
        }
    applies = {"always", "auth" if route.auth else "", "body" if route.request_model else ""}
    for status, name, _, when in _ERRORS:
        if when in applies:
            operation["responses"][str(status)] = {"$ref": f"#/components/responses/{name}"}
    return operation


def build_openapi(
    routes: Sequence[RouteSpec], *, title: str = "cpaas-engine API", version: str = "0.1.0"
) -> dict[str, Any]:
    """An OpenAPI 3.1 document for ``routes`` (those declared ``in_schema``)."""
    documented = [route for route in routes if route.in_schema]
    wanted: dict[ModelKey, None] = {(ErrorEnvelope, "validation"): None}
    for route in documented:
        if route.request_model is not None:
            wanted[(route.request_model, "validation")] = None
        if route.response_model is not None:
            wanted[(route.response_model, "serialization")] = None
    key_map, definitions = models_json_schema(list(wanted), ref_template=SCHEMA_REF)
    schemas: dict[str, Any] = {**definitions.get("$defs", {}), "SuccessFlag": _SUCCESS_FLAG}
    refs: dict[ModelKey, str] = {
        (model, mode): str(value["$ref"])
        for (model, mode), value in key_map.items()
        if isinstance(model, type) and issubclass(model, BaseModel)
    }
    paths: dict[str, dict[str, Any]] = {}
    for route in documented:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs, schemas)
    error_schema = {"$ref": refs[(ErrorEnvelope, "validation")]}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "Every answer is {\"response\": {...}} with \"success\": \"true\" or "
            "\"false\". Send the headers 'account' and 'auth' on every /api call.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                name: {"type": "apiKey", "in": "header", "name": name}
                for name in (ACCOUNT_HEADER, AUTH_HEADER)
            },
            "responses": {
                name: {
                    "description": description,
                    "content": {"application/json": {"schema": error_schema}},
                }
                for _, name, description, _ in _ERRORS
            },
        },
    }


class ApiDocs:
    """``GET /api/openapi.json`` and ``GET /api/docs`` (public, drawn from one document)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document

    def routes(self) -> list[RouteSpec]:
        return [
            RouteSpec("GET", "/api/openapi.json", self.openapi_json, "OpenAPI document",
                      auth=False, tag="docs", in_schema=False),
            RouteSpec("GET", "/api/docs", self.docs_page, "API reference (HTML)",
                      auth=False, tag="docs", in_schema=False),
        ]

    async def openapi_json(self, request: web.Request) -> web.Response:
        """The OpenAPI 3.1 document as JSON."""
        return json_response(self._document)

    async def docs_page(self, request: web.Request) -> web.Response:
        """The reference as self-contained HTML (no scripts, no external assets)."""
        html = render_docs(self._document, f"{request.scheme}://{request.host}")
        return web.Response(text=html, content_type="text/html", charset="utf-8")
