"""ARI's HTTP wire conventions: auth header, paths and query strings (pure)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Literal
from urllib.parse import quote

QueryValue = str | int | bool | None
SnoopDirection = Literal["none", "both", "out", "in"]
IfExists = Literal["fail", "overwrite", "append"]
HangupReason = Literal[
    "normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated",
    "normal_unspecified", "number_incomplete", "codec_mismatch", "interworking", "failure",
    "answered_elsewhere",
]


def path_segment(value: str) -> str:
    """One URL path segment: ids and recording names are quoted, '/' included.

    ARI splits the raw path on '/' before it decodes each segment, so a recording name
    with a sub-directory ("calls/req-1") stays one segment, and a Local channel's ";2"
    half arrives intact. '+' is quoted too: Asterisk decodes a bare '+' as a space.
    """
    return quote(value, safe="")


def channel_path(channel_id: str, tail: str = "") -> str:
    """``/channels/<quoted id><tail>``."""
    return f"/channels/{path_segment(channel_id)}{tail}"


def bridge_path(bridge_id: str, tail: str = "") -> str:
    """``/bridges/<quoted id><tail>``."""
    return f"/bridges/{path_segment(bridge_id)}{tail}"


def build_query(**params: QueryValue) -> dict[str, str]:
    """ARI query parameters: None dropped, booleans as ``true``/``false``."""
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        else:
            query[key] = str(value)
    return query


def join_list(values: Sequence[str] | str) -> str:
    """ARI's ``allowMultiple`` parameters take one comma-separated value."""
    return values if isinstance(values, str) else ",".join(values)


def basic_auth_header(user: str, password: str) -> dict[str, str]:
    """The ``Authorization`` header ARI's basic auth expects.

    Built by hand: aiohttp 3.14 deprecates its ``auth=``/``BasicAuth`` arguments, and its
    replacement helper does not exist in the older aiohttp releases we support.
    """
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}
