"""ARI failures -> the engine's error tree, decided once, here, at the boundary.

Callers of :class:`engine.ari.client.AriClient` only ever see
:class:`~engine.domain.errors.EngineError` subclasses, never aiohttp's exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

from engine.domain.errors import Conflict, EngineError, NotFound, Rejected, TimedOut, Unavailable


class AriUnreachable(Unavailable):
    """No answer from Asterisk at all (connection refused or lost): the PBX is away, as
    opposed to Asterisk answering with an error."""


def ari_error_message(body: bytes) -> str:
    """ARI's own explanation from an error body (``{"message": "Channel not found"}``)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", "replace").strip()[:200]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return ""


def error_for_status(status: int, message: str) -> EngineError:
    """The engine error for an ARI HTTP error status, keeping ARI's message.

    - 404 -> NotFound. So is a 400 or 422 whose message says "not found" / "does not
      exist": ARI answers that way when the missing object is named in the query rather
      than the path (``addChannel``: 400 "Channel not found"; a subscription: 422 "Event
      source does not exist"), and for call control a leg that already hung up is the
      same case.
    - 409, 412 -> Conflict: the object exists but its state forbids it (not in Stasis,
      channel not up yet, recording already in progress). So is a 422 that says "not in
      Stasis": ``addChannel`` answers that way for a channel answered a moment before it
      entered the application, and a retry a few milliseconds later succeeds.
    - other 4xx -> Rejected: the request itself is wrong (bad parameters, unknown format).
    - 401, 403 -> Unavailable: bad ARI credentials are our misconfiguration, not the
      caller's fault, and nothing they change will fix it.
    - 5xx -> Unavailable.
    """
    text = message or f"ARI answered HTTP {status}"
    details = {"ari_status": status}
    missing = any(hint in message.lower() for hint in ("not found", "does not exist"))
    if status == 404 or (status in (400, 422) and missing):
        return NotFound(text, details=details)
    if status in (401, 403):
        return Unavailable(f"ARI refused our credentials: {text}", details=details)
    if status in (409, 412) or (status == 422 and "not in stasis" in message.lower()):
        return Conflict(text, details=details)
    if 400 <= status < 500:
        return Rejected(text, details=details)
    return Unavailable(f"Asterisk failed: {text}", details=details)


@contextmanager
def map_errors(what: str) -> Iterator[None]:
    """Turn transport failures inside the block into Unavailable / TimedOut.

    ``what`` names the request in the message ("POST /channels"). Engine errors raised
    inside the block pass through unchanged.
    """
    try:
        yield
    except EngineError:
        raise
    # TimeoutError first: in Python 3.11 it is also an OSError, and aiohttp's
    # ServerTimeoutError is both a ClientConnectionError and a TimeoutError.
    except TimeoutError as exc:
        raise TimedOut(f"ARI did not answer {what} in time") from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise AriUnreachable(f"ARI unreachable for {what}: {exc or type(exc).__name__}") from exc
    except ValueError as exc:
        # Undecodable JSON or a body that does not match the swagger: a version mismatch
        # or a broken proxy; either way Asterisk is not usable as we expect right now.
        raise Unavailable(f"ARI sent an unexpected answer to {what}: {exc}") from exc
