"""An application on Plivo's Call API for the real-stack tests of verbs and call parameters:
it makes calls (``POST /v1/Account/{id}/Call/`` with Basic auth), serves its documents from
the test's webhook server, and reads what the simulated carrier logged about each call.

The carrier's logs (asterisk-conf/carrier/extensions.conf) are the reference: ``calls.log``
(every call reaching it), ``answered.log`` (answered and ended, on its own clock),
``dtmf.log`` (digits heard, with the phase), ``headers.log`` and ``names.log``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from plivo.utils.signature_v3 import validate_v3_signature

from engine.ari.query import basic_auth_header
from engine.settings import Settings
from tests.integration.helpers import CALLER_ID, eventually, number
from tests.integration.webhook_server import Received, WebhookServer

ACCOUNT, TOKEN = "account_1", "test-token-1"
AUTH = basic_auth_header(ACCOUNT, TOKEN)
CALLS = f"/v1/Account/{ACCOUNT}/Call/"
SLACK = 1.5  # seconds either side of "the right second"


@dataclass(frozen=True)
class Answered:
    """One line of the carrier's answered.log."""

    uniqueid: str
    answered: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.answered


@dataclass(frozen=True)
class Digit:
    """One line of the carrier's dtmf.log."""

    digit: str
    at: float
    phase: str  # "early" (before the carrier answered) or "up"


class Carrier:
    """What the simulated carrier logged, per dialled number."""

    def __init__(self, settings: Settings) -> None:
        self.heard = settings.var_dir / "asterisk" / "carrier" / "spool" / "heard"

    def _rows(self, name: str, to: str) -> list[list[str]]:
        log: Path = self.heard / name
        if not log.exists():
            return []
        rows = [line.split() for line in log.read_text().splitlines()]
        return [row for row in rows if row and row[0] == to]

    def reached(self, to: str) -> bool:
        return bool(self._rows("calls.log", to))

    def answered(self, to: str) -> list[Answered]:
        return [Answered(row[1], float(row[2]), float(row[3]))
                for row in self._rows("answered.log", to) if len(row) >= 4]

    async def answered_once(self, to: str, timeout: float = 40) -> Answered:
        async def probe() -> Answered | None:
            rows = self.answered(to)
            return rows[0] if rows else None
        return await eventually(probe, timeout=timeout, what=f"the carrier to log {to} ended")

    def digits(self, to: str) -> list[Digit]:
        return [Digit(row[2], float(row[3]), row[4])
                for row in self._rows("dtmf.log", to) if len(row) >= 5]

    async def digits_heard(self, to: str, count: int, timeout: float = 30) -> list[Digit]:
        async def probe() -> list[Digit] | None:
            heard = self.digits(to)
            return heard if len(heard) >= count else None
        return await eventually(probe, timeout=timeout, what=f"{count} digits heard by {to}")

    async def headers(self, to: str, timeout: float = 30) -> dict[str, str]:
        async def probe() -> list[list[str]] | None:
            return self._rows("headers.log", to) or None
        (row, *_) = await eventually(probe, timeout=timeout, what=f"headers heard by {to}")
        return dict(item.partition("=")[::2] for item in row[2:])

    async def caller_name(self, to: str, timeout: float = 30) -> str:
        log = self.heard / "names.log"

        async def probe() -> str | None:
            if not log.exists():
                return None
            for line in log.read_text().splitlines():
                parts = line.split(" ", 2)
                if parts[0] == to:
                    return parts[2] if len(parts) > 2 else " "
            return None
        return (await eventually(probe, timeout=timeout, what=f"name heard by {to}")).strip()


class App:
    """An application of account_1: makes calls, serves documents, reads its webhooks."""

    def __init__(self, http: aiohttp.ClientSession, webhooks: WebhookServer) -> None:
        self.http = http
        self.webhooks = webhooks

    async def send(self, method: str, path: str = "", body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, CALLS + path, json=body, headers=AUTH) as r:
            text = await r.text()
            return r.status, (await r.json() if text else None)

    async def call(self, line: str, answer: str, **params: str) -> tuple[str, str]:
        """A call to a fresh number on carrier ``line`` whose answer_url serves ``answer``
        (a document; "" leaves /answer as already served), with hangup_url and ring_url
        on the webhook server; (request_uuid, the number dialled)."""
        to = line if line.startswith("sip:") else number(line)
        if answer:
            self.webhooks.serve("/answer", answer)
        body = {"from": CALLER_ID, "to": to, "answer_url": self.webhooks.url("/answer"),
                "hangup_url": self.webhooks.url("/hangup"), "ring_url": self.webhooks.url("/ring"),
                **params}
        status, fired = await self.send("POST", body=body)
        assert status == 201, fired
        assert fired["message"] == "call fired"
        return str(fired["request_uuid"]), to

    async def hangup_of(self, uuid: str, timeout: float = 60) -> Received:
        """What hangup_url received about call ``uuid``."""
        return await self.first("/hangup", uuid, timeout)

    async def first(self, path: str, uuid: str, timeout: float = 40) -> Received:
        async def probe() -> Received | None:
            return next((r for r in self.webhooks.requests_to(path)
                         if r.params.get("CallUUID") == uuid), None)
        return await eventually(probe, timeout=timeout, what=f"{path} about {uuid}")

    async def record(self, uuid: str) -> dict[str, Any]:
        """The call's record once it has ended (``GET …/Call/{uuid}/``)."""
        async def probe() -> dict[str, Any] | None:
            status, body = await self.send("GET", f"{uuid}/")
            return body if status == 200 and "call_direction" in body else None
        return await eventually(probe, timeout=40, what=f"{uuid} to end")


def signed(request: Received, token: str = TOKEN) -> bool:
    """Plivo's own SDK validator accepts the request's X-Plivo-Signature-V3."""
    return bool(validate_v3_signature(
        request.method, request.url, request.headers["X-Plivo-Signature-V3-Nonce"], token,
        request.headers["X-Plivo-Signature-V3"],
        request.params if request.method == "POST" else None))


def core_params(request: Received, uuid: str, to: str, status: str) -> None:
    """The parameters every request about a call carries, as Plivo sends them."""
    params = request.params
    assert (params["CallUUID"], params["RequestUUID"]) == (uuid, uuid), params
    assert (params["From"], params["To"]) == (CALLER_ID, to), params
    assert params["Direction"] == "outbound", params
    assert params["CallStatus"] == status, params


# The fixtures of the Plivo test files (import them by name into a test module).
@pytest.fixture
def app(http: aiohttp.ClientSession, webhooks: WebhookServer) -> App:
    return App(http, webhooks)


@pytest.fixture
def carrier(settings: Settings) -> Carrier:
    return Carrier(settings)
