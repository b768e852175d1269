"""Fakes and a tiny example resource that exercise the HTTP façade in tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import BaseModel, Field

from engine.api.auth import Account, current_account
from engine.api.body import OnOff, SeedModel, ShortStr, StrInt, read_model
from engine.api.envelope import ok
from engine.api.routes import RouteSpec
from engine.domain.errors import Conflict, InvalidField, NotFound, Rejected, TimedOut, Unavailable
from engine.lifecycle import Lifecycle
from engine.logs import account_var, request_id_var

TOKENS = {"account_1": "token-one", "account_2": "token-two"}
AUTH = {"account": "account_1", "auth": "token-one"}
JSON = {"Content-Type": "application/json"}
AUTH_JSON = {**AUTH, **JSON}


class FakeAuthenticator:
    """In-memory accounts; records every call so tests can check it was (not) consulted."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self.tokens = dict(tokens)
        self.calls: list[tuple[str, str]] = []
        self.failure: Exception | None = None

    async def authenticate(self, account: str, token: str) -> Account | None:
        self.calls.append((account, token))
        if self.failure is not None:
            raise self.failure
        return Account(account) if self.tokens.get(account) == token else None


class FakeReadiness:
    def __init__(self, **components: bool) -> None:
        self.state = dict(components)
        self.failure: Exception | None = None

    def components(self) -> Mapping[str, bool]:
        if self.failure is not None:
            raise self.failure
        return dict(self.state)


class Tag(SeedModel):
    name: ShortStr = Field(description="A tag name")


class EchoBody(SeedModel):
    count: StrInt = Field(ge=1, le=10, description="How many times", examples=["3"])
    loud: OnOff = Field(default="off", description="Shout <or> whisper")
    channel: ShortStr = Field(default="", description="An Asterisk channel name")
    note: str = Field(default="", description="Free text")
    tags: list[Tag] = Field(default_factory=list, description="Optional tags")


class EchoResult(BaseModel):
    account_id: str
    count: int
    loud: str
    channel: str


_FAILURES: dict[str, Exception] = {
    "invalid_field": InvalidField("agent_number", "agent_number must be an extension"),
    "rejected": Rejected("that cannot be done"),
    "not_found": NotFound("no call 0123456789"),
    "conflict": Conflict("call already ended"),
    "unavailable": Unavailable("Asterisk is down"),
    "timed_out": TimedOut("Asterisk did not answer"),
    "runtime": RuntimeError("secret internals: password=hunter2"),
}


class EchoResource:
    """POST /api/echo and a few routes that fail on purpose."""

    def routes(self) -> list[RouteSpec]:
        return [
            RouteSpec("POST", "/api/echo", self.echo, "Echo a body back",
                      request_model=EchoBody, response_model=EchoResult, tag="test"),
            RouteSpec("GET", "/api/raise/{kind}", self.fail, "Raise an error", tag="test"),
            RouteSpec("GET", "/api/context", self.context, "Report the log context",
                      auth=False, tag="test"),
        ]

    async def echo(self, request: web.Request) -> web.Response:
        body = await read_model(request, EchoBody)
        account = current_account(request)
        return ok(EchoResult(account_id=account.account_id, count=body.count, loud=body.loud,
                             channel=body.channel))

    async def fail(self, request: web.Request) -> web.Response:
        raise _FAILURES[request.match_info["kind"]]

    async def context(self, request: web.Request) -> web.Response:
        return ok({"request_id": request_id_var.get(), "account": account_var.get()})


@dataclass
class Api:
    """A running test server with its fakes."""

    client: TestClient[web.Request, web.Application]
    authenticator: FakeAuthenticator
    readiness: FakeReadiness
    lifecycle: Lifecycle
    extra: dict[str, Any] = field(default_factory=dict)


async def envelope(response: Any) -> dict[str, Any]:
    """The ``response`` object of an enveloped answer."""
    body = await response.json()
    assert list(body) == ["response"], body
    inner: dict[str, Any] = body["response"]
    return inner
