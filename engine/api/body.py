"""Request bodies: read, size-check, parse and validate JSON into the seed's models.

Choices (documented for the README):

* Only ``application/json`` (optionally ``; charset=utf-8``) is accepted: 415 otherwise.
* Bodies are UTF-8 (a BOM is tolerated); invalid UTF-8, empty bodies, ``NaN``/``Infinity``,
  absurd nesting and lone surrogate escapes are 400 ``malformed_json``.
* A body that parses but is not an object (``[]``, ``"x"``, ``1``) is 422 ``invalid_body``.
* ``SeedModel`` forbids unknown fields (422 naming the field): a typo such as
  ``recording_options`` would otherwise silently place a call without recording.
* Strings are stripped (the seed sends ``" PJSIP/101-0000023c"``) and capped at
  ``MAX_STR_CHARS``; JSON numbers are accepted where the seed types a field as String.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, GetJsonSchemaHandler
from pydantic import StringConstraints as Constraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from engine.api.deps import DEPS_KEY
from engine.api.errors import InvalidBody, MalformedJson, PayloadTooLarge, UnsupportedMediaType

JSON_TYPE = "application/json"
MAX_STR_CHARS = 4096
SHORT_STR_CHARS = 128
INT_LIMIT = 2**63 - 1

ModelT = TypeVar("ModelT", bound=BaseModel)

_INT_TEXT = re.compile(r"[+-]?[0-9]{1,19}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class SeedModel(BaseModel):
    """Base of every request body: the seed's string-typed JSON, validated strictly.

    Unknown fields are rejected (422 naming the field); strings are stripped and at most
    ``MAX_STR_CHARS`` long; numbers are accepted for string fields; inputs are never echoed
    back in errors. Models are frozen: a validated request is a value.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        str_max_length=MAX_STR_CHARS,
        coerce_numbers_to_str=True,
        hide_input_in_errors=True,
    )


def _parse_int(value: object) -> object:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", 'must be a whole number such as "1"')
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise PydanticCustomError("int_parsing", 'must be a whole number such as "1"')
    if abs(value) > INT_LIMIT:
        raise PydanticCustomError("int_range", "number is out of range")
    return value


class _DigitStringsToo:
    """Documents StrInt as "integer or a string of digits" in the JSON schema."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), {"type": "string", "pattern": r"^\s*[+-]?[0-9]+\s*$"}]}


def _lower_stripped(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _no_control_chars(value: str) -> str:
    # These strings end up in AMI/ARI commands and dial strings; a CR/LF would inject lines.
    if _CONTROL_CHARS.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


StrInt = Annotated[int, BeforeValidator(_parse_int), _DigitStringsToo()]
"""An int sent as ``"1"`` or ``1`` (not ``true``, not ``1.5``); bound it with Field(ge=, le=)."""

OnOff = Annotated[Literal["on", "off"], BeforeValidator(_lower_stripped)]
"""``"on"`` or ``"off"`` (case and surrounding spaces ignored)."""

ShortStr = Annotated[
    str,
    Constraints(strip_whitespace=True, max_length=SHORT_STR_CHARS),
    AfterValidator(_no_control_chars),
]
"""A stripped single-line string of at most ``SHORT_STR_CHARS`` characters (ids, numbers)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _json_kind(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "boolean"
    if isinstance(data, list):
        return "array"
    return "string" if isinstance(data, str) else "number"


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Decode a request body that must be one JSON object (400/422 ``ApiError`` otherwise)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedJson(
            "request body is not valid UTF-8", details={"position": exc.start}
        ) from None
    if not text.strip():
        raise MalformedJson("request body is empty; send a JSON object")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            details={"line": exc.lineno, "column": exc.colno},
        ) from None
    except (ValueError, RecursionError):
        raise MalformedJson("request body is not valid JSON") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        raise MalformedJson("request body has an unpaired \\u surrogate escape")
    if not isinstance(data, dict):
        kind = _json_kind(data)
        raise InvalidBody(
            f"request body must be a JSON object, not {'an' if kind[0] in 'aeiou' else 'a'} "
            f"{kind}",
            details={"expected": "object", "received": kind},
        )
    return data


async def read_body(request: web.Request) -> bytes:
    """The raw body of a JSON request: 415 on another type, 413 above the size limit."""
    if request.content_type != JSON_TYPE or (request.charset or "utf-8").lower() != "utf-8":
        raise UnsupportedMediaType(
            "send the body as JSON with the header 'Content-Type: application/json'",
            details={"expected": JSON_TYPE},
        )
    limit = request.config_dict[DEPS_KEY].max_body_bytes
    too_large = PayloadTooLarge(
        f"request body is over the limit of {limit} bytes", details={"max_bytes": limit}
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        raw = await request.read()  # aiohttp stops at client_max_size (== limit)
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    if len(raw) > limit:
        raise too_large
    return raw


async def read_model(request: web.Request, model: type[ModelT]) -> ModelT:
    """The request's JSON body validated as ``model``.

    Raises 415 / 413 / 400 / 422 ``ApiError``s, and pydantic's ``ValidationError`` (mapped to
    422 ``invalid_field`` naming the field) when the object does not fit ``model``.
    """
    return model.model_validate(parse_json_object(await read_body(request)))
