"""Identifiers in the seed's formats."""

from __future__ import annotations

import re
import secrets
import uuid

REQUEST_ID = re.compile(r"[0-9a-f]{10}")
# Calls of the Plivo-compatible API are named by a UUID (their request_uuid and call_uuid).
CALL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_request_id() -> str:
    """10 lowercase hex characters, like the seed's "57362de4f0"."""
    return secrets.token_hex(5)


def new_call_uuid() -> str:
    """A Plivo API call's id: a lowercase UUID, as Plivo's request_uuid/call_uuid."""
    return str(uuid.uuid4())


def is_call_uuid(value: str) -> bool:
    return bool(CALL_UUID.fullmatch(value))


_LEADING_ID = re.compile(rf"(?:{CALL_UUID.pattern}|{REQUEST_ID.pattern})(?![0-9a-f])")


def leading_request_id(name: str) -> str | None:
    """The call id a resource name starts with (``<request_id>-rec2``, ``<uuid>-api-rec1``)."""
    match = _LEADING_ID.match(name)
    return match.group(0) if match else None


def is_request_id(value: str) -> bool:
    """A call id of any origin: the seed's 10 hex characters, or an API call's UUID."""
    return bool(REQUEST_ID.fullmatch(value) or CALL_UUID.fullmatch(value))


# Campaign objects: a two-letter kind and 10 lowercase hex characters ("LSdb6a12e1f1").
LIST_ID = re.compile(r"LS[0-9a-f]{10}")
DND_LIST_ID = re.compile(r"DN[0-9a-f]{10}")
CAMPAIGN_ID = re.compile(r"CM[0-9a-f]{10}")
IMPORT_JOB_ID = re.compile(r"IJ[0-9a-f]{10}")


def new_list_id() -> str:
    return "LS" + secrets.token_hex(5)


def new_dnd_list_id() -> str:
    return "DN" + secrets.token_hex(5)


def new_campaign_id() -> str:
    return "CM" + secrets.token_hex(5)


def new_import_job_id() -> str:
    return "IJ" + secrets.token_hex(5)
