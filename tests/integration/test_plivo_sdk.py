"""An application written on Plivo's own Python SDK, pointed at this engine by its base URLs.

It makes a call, its answer_url document runs (the carrier hears the speech), it receives
signed callbacks that the SDK's own validator accepts, and it posts call feedback.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import plivo
import pytest
from plivo import plivoxml
from plivo.rest import client as plivo_client
from plivo.utils.signature_v3 import validate_v3_signature

from tests.integration.helpers import ANSWER, CALLER_ID, carrier_calls, eventually, number
from tests.integration.stack import BASE_URL
from tests.integration.webhook_server import Received, WebhookServer

pytestmark = pytest.mark.integration

# Plivo's SDK accepts only auth ids shaped like Plivo's own ("MA" + 18 characters).
AUTH_ID, AUTH_TOKEN = "MAENGINESDK000000001", "sdk-acceptance-token"
_HOSTS = ("PLIVO_API", "API_VOICE", "API_VOICE_FALLBACK_1", "API_VOICE_FALLBACK_2",
          "CALLINSIGHTS_BASE_URL")
_BASES = ("PLIVO_API_BASE_URI", "API_VOICE_BASE_URI", "API_VOICE_BASE_URI_FALLBACK_1",
          "API_VOICE_BASE_URI_FALLBACK_2")


def ensure_account() -> None:
    """The application's account, made with the operator CLI (its token is then sealed,
    so the engine can sign this account's webhooks)."""
    engine = [sys.executable, "-m", "engine", "accounts"]
    made = subprocess.run([*engine, "create", AUTH_ID, "--token", AUTH_TOKEN],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        subprocess.run([*engine, "rotate", AUTH_ID, "--token", AUTH_TOKEN],
                       capture_output=True, text=True, check=True)


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch, stack: object) -> Iterator[Any]:
    """Plivo's client with its base URLs (module constants) pointed at the engine."""
    ensure_account()
    for name in _HOSTS:
        monkeypatch.setattr(plivo_client, name, BASE_URL)
    for name in _BASES:
        monkeypatch.setattr(plivo_client, name, f"{BASE_URL}/v1/Account")
    yield plivo.RestClient(AUTH_ID, AUTH_TOKEN)


def signed_by_plivo_rules(request: Received) -> bool:
    return bool(validate_v3_signature(
        request.method, request.url, request.headers["X-Plivo-Signature-V3-Nonce"],
        AUTH_TOKEN, request.headers["X-Plivo-Signature-V3"],
        request.params if request.method == "POST" else None))


async def test_an_application_on_plivos_sdk_runs_against_the_engine(
        sdk: Any, webhooks: WebhookServer, stack: object) -> None:
    document = (plivoxml.ResponseElement()
                .add(plivoxml.SpeakElement("Hello from your own voice platform"))
                .add(plivoxml.WaitElement(None).set_length(1))
                .to_string())
    answer_url = webhooks.serve("/answer", document)
    hangup_url = webhooks.url("/hangup")
    to = number(ANSWER)

    created = await asyncio.to_thread(
        sdk.calls.create, from_=CALLER_ID, to_=to, answer_url=answer_url,
        answer_method="POST", hangup_url=hangup_url, hangup_method="POST")
    assert created.message == "call fired"
    call_uuid = created.request_uuid
    assert isinstance(call_uuid, str) and created.api_id

    (answer,) = await webhooks.wait_for("/answer", timeout=30)
    assert answer.method == "POST"
    assert answer.params["CallUUID"] == call_uuid and answer.params["To"] == to
    assert answer.params["CallStatus"] == "in-progress"
    assert signed_by_plivo_rules(answer)

    (hangup,) = await webhooks.wait_for("/hangup", timeout=40)
    assert hangup.params["CallUUID"] == call_uuid
    assert hangup.params["HangupCause"] == "NORMAL_CLEARING"
    assert int(hangup.params["Duration"]) >= 1 and hangup.params["AnswerTime"]
    assert signed_by_plivo_rules(hangup)
    # A wrong token does not verify: the signature really is the account's.
    assert not validate_v3_signature(
        hangup.method, hangup.url, hangup.headers["X-Plivo-Signature-V3-Nonce"],
        "another-token", hangup.headers["X-Plivo-Signature-V3"], hangup.params)

    # The carrier (the far end) was called once, from the given number.
    heard = [row for row in carrier_calls(stack_heard_dir()) if row[0] == to]
    assert len(heard) == 1 and heard[0][1] == CALLER_ID

    details = await asyncio.to_thread(sdk.calls.get, call_uuid)
    assert details.call_uuid == call_uuid

    async def feedback() -> Any:
        # The call's final record lands a moment after hangup_url may have been posted.
        try:
            return await asyncio.to_thread(sdk.call_feedback.create, call_uuid, "3.0",
                                           ["ECHO", "AUDIO_LAG"], "It's intermittent")
        except plivo.exceptions.ResourceNotFoundError:
            return None

    posted = await eventually(feedback, timeout=10, what="feedback accepted")
    assert posted.status == "success"


def stack_heard_dir() -> Any:
    from pathlib import Path

    from engine.settings import Settings
    settings = Settings()
    return Path(settings.var_dir) / "asterisk" / "carrier" / "spool" / "heard"
