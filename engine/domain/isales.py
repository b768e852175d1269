"""The iSales write-back, pure: the midresult body both ways, result codes, final statuses.

Server side (``POST /rest/isales/v1/openapi/obs/business/push/midresult``): ``parse_midresult``
checks a body against the seed's fields and types (``subCCNo``, ``vdnId`` and ``deviceType``
JSON integers; every other field a string; ``uniqueId`` and ``serviceId`` required and
non-empty; nothing else). ``is_final`` says whether a written-back status closes the contact
(no more retries).

Client side (the push after each campaign attempt): ``push_body`` builds the same body from
the attempt; ``push_status`` and ``fail_code`` map the attempt's dial status and Q.850 cause.
``validate_target`` checks create_campaign's ``isales_*`` fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.domain.errors import InvalidField
from engine.domain.urls import is_absolute_http_url

# Result codes of a 200 answer (the seed: 0 success, anything else a failure).
RESULT_OK = 0
RESULT_UNKNOWN_TASK = 1  # serviceId names no campaign of the token's account
RESULT_UNKNOWN_CONTACT = 2  # uniqueId names no contact of that campaign

INT_FIELDS = ("subCCNo", "vdnId", "deviceType")
REQUIRED = ("subCCNo", "vdnId", "uniqueId", "serviceId")
STRING_FIELDS = ("uniqueId", "serviceId", "status", "phoneNumber", "failCode", "asrResult",
                 "fetchTime", "writeStartTime", "endCallTime", "callId")
FIELDS = frozenset(INT_FIELDS + STRING_FIELDS)
MAX_ID_CHARS = 128
MAX_STRING_CHARS = 256
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Written-back statuses that close a contact (compared case-insensitively, stripped): it
# was reached, or must never be called again. Any other status (empty, busy, no_answer,
# failed, …) is recorded and shown, and the campaign's own retry policy goes on.
FINAL_STATUSES = frozenset({"0", "success", "answered", "completed", "refused",
                            "do_not_call", "invalid_number"})

# The status the engine pushes for an attempt's dial status.
PUSH_STATUS = {"ANSWER": "success", "BUSY": "busy", "NOANSWER": "no_answer",
               "CANCEL": "no_answer", "CONGESTION": "failed", "CHANUNAVAIL": "failed"}
# failCode when the leg has no hangup cause: the Q.850 cause each dial status stands for.
NORMAL_CLEARING = 16
FALLBACK_CAUSE = {"BUSY": 17, "NOANSWER": 19, "CANCEL": 19, "CONGESTION": 34,
                  "CHANUNAVAIL": 20}

MAX_TOKEN_CHARS = 512
SERVICE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: it travels in a header


class BodyError(ValueError):
    """The body does not fit the seed (HTTP 400); ``field`` is the first field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class MidResult:
    """A validated midresult body; ``fields`` holds every field sent, as sent."""

    sub_cc_no: int
    vdn_id: int
    unique_id: str
    service_id: str
    status: str
    fields: Mapping[str, Any]

    @property
    def final(self) -> bool:
        return is_final(self.status)


def parse_midresult(data: Mapping[str, Any]) -> MidResult:
    """The body's result, or ``BodyError`` naming the first field that does not fit."""
    for key in data:
        if key not in FIELDS:
            raise BodyError(str(key)[:64], f"unknown field {str(key)[:64]!r}")
    for key in REQUIRED:
        if data.get(key) is None:
            raise BodyError(key, f"{key} is required")
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        clean[key] = _integer(key, value) if key in INT_FIELDS else _string(key, value)
    for key in ("uniqueId", "serviceId"):
        if not clean[key]:
            raise BodyError(key, f"{key} must not be empty")
    return MidResult(sub_cc_no=clean["subCCNo"], vdn_id=clean["vdnId"],
                     unique_id=clean["uniqueId"], service_id=clean["serviceId"],
                     status=clean.get("status", ""), fields=clean)


def _integer(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BodyError(key, f"{key} must be a JSON integer")
    if not INT_MIN <= value <= INT_MAX:
        raise BodyError(key, f"{key} is out of the 32-bit integer range")
    return value


def _string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise BodyError(key, f"{key} must be a JSON string")
    text = value.strip()
    limit = MAX_ID_CHARS if key in ("uniqueId", "serviceId") else MAX_STRING_CHARS
    if len(text) > limit:
        raise BodyError(key, f"{key} is longer than {limit} characters")
    if _CONTROL.search(text):
        raise BodyError(key, f"{key} must not contain control characters")
    return text


def is_final(status: str) -> bool:
    """True if a written-back ``status`` closes its contact (see ``FINAL_STATUSES``)."""
    return status.strip().lower() in FINAL_STATUSES


# ---- the push -------------------------------------------------------------------------


def push_status(dial_status: str) -> str:
    """The pushed ``status`` of an attempt that ended with ``dial_status``."""
    return PUSH_STATUS.get(dial_status, "failed")


def fail_code(dial_status: str, hangup_cause: int | None) -> str:
    """``failCode``: empty for an answered call, else the Q.850 cause of the leg; the cause
    its dial status stands for when the leg has none, or only 16 (normal clearing: the
    engine itself hung up an unanswered leg, at the ring timeout)."""
    if dial_status == "ANSWER":
        return ""
    if hangup_cause and hangup_cause != NORMAL_CLEARING:
        return str(hangup_cause)
    return str(FALLBACK_CAUSE.get(dial_status, 41))  # 41: temporary failure


def isales_time(moment: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC; empty when unknown."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class PushedAttempt:
    """What the push tells about one settled attempt."""

    request_id: str
    unique_id: str
    number: str
    dial_status: str
    hangup_cause: int | None
    claimed_at: datetime
    ended_at: datetime


def push_body(target: PushTarget, attempt: PushedAttempt) -> dict[str, Any]:
    """The seed's midresult body for ``attempt`` (deviceType is not sent: the engine has no
    device types)."""
    return {
        "subCCNo": target.sub_cc_no,
        "vdnId": target.vdn_id,
        "uniqueId": attempt.unique_id,
        "serviceId": target.service_id,
        "status": push_status(attempt.dial_status),
        "phoneNumber": attempt.number,
        "failCode": fail_code(attempt.dial_status, attempt.hangup_cause),
        "asrResult": "",
        "fetchTime": isales_time(attempt.claimed_at),
        "writeStartTime": isales_time(attempt.claimed_at),
        "endCallTime": isales_time(attempt.ended_at),
        "callId": attempt.request_id,
    }


@dataclass(frozen=True)
class PushTarget:
    """Where a campaign's results are pushed (the token travels apart, sealed)."""

    sub_cc_no: int
    vdn_id: int
    service_id: str


@dataclass(frozen=True)
class WritebackSettings:
    """create_campaign's validated ``isales_*`` fields (``url`` None: no push)."""

    url: str | None = None
    token: str | None = None
    sub_cc_no: int = 1
    vdn_id: int = 1
    service_id: str | None = None


def validate_target(url: str | None, token: str | None, sub_cc_no: str | None,
                    vdn_id: str | None, service_id: str | None) -> WritebackSettings:
    """create_campaign's ``isales_*`` fields, or ``InvalidField``. ``isales_url`` and
    ``isales_token`` go together; ``isales_service_id`` may come alone (the server side)."""
    clean_url = (url or "").strip()
    clean_token = (token or "").strip()
    if clean_url and not clean_token:
        raise InvalidField("isales_token", "isales_token is required with isales_url",
                           code="invalid_isales_token")
    if clean_token and not clean_url:
        raise InvalidField("isales_url", "isales_url is required with isales_token",
                           code="invalid_isales_url")
    if clean_url:
        _check_url(clean_url)
        if len(clean_token) > MAX_TOKEN_CHARS or not _TOKEN.fullmatch(clean_token):
            raise InvalidField("isales_token", f"isales_token must be 1-{MAX_TOKEN_CHARS} "
                               "visible ASCII characters", code="invalid_isales_token")
    sid = (service_id or "").strip()
    if sid and not SERVICE_ID.fullmatch(sid):
        raise InvalidField("isales_service_id", "isales_service_id must be 1-64 letters, "
                           "digits or _ . : -", code="invalid_isales_service_id")
    return WritebackSettings(
        url=clean_url or None, token=clean_token or None,
        sub_cc_no=_field_int("isales_sub_cc_no", sub_cc_no),
        vdn_id=_field_int("isales_vdn_id", vdn_id), service_id=sid or None)


def _check_url(url: str) -> None:
    if not is_absolute_http_url(url):
        raise InvalidField("isales_url", "isales_url must be an absolute http or https URL",
                           code="invalid_isales_url")


def _field_int(field: str, value: str | None) -> int:
    text = (value or "").strip()
    if not text:
        return 1
    if not re.fullmatch(r"[0-9]{1,10}", text) or int(text) > INT_MAX:
        raise InvalidField(field, f"{field} must be an integer from 0 to {INT_MAX}",
                           code=f"invalid_{field}")
    return int(text)
